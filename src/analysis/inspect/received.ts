/**
 * Received: trace field parser (RFC 5321 §4.4, RFC 5322 §3.6.7).
 *
 * The grammar is loose in practice: every MTA puts the HELO name, the reverse-DNS name and the IP in
 * its own order inside the "from" clause. What we read, by style:
 *  - Postfix:   from HELO (RDNS|unknown [IP]) by HOST (Postfix) with ESMTPS id QID for <rcpt>; date
 *  - Sendmail:  from HELO (ident@RDNS [IP] (may be forged)) by HOST (8.17.1/8.17.1) with ESMTP id QID
 *  - Exchange:  from HELO (IP) by HOST (IP) with Microsoft SMTP Server (version=TLS1_2, cipher=...) id 15.20...
 *  - Exim:      from RDNS ([IP] helo=HELO) ... | from [IP] (helo=HELO) by HOST with esmtps (TLS1.3) ... (Exim 4.96) id X
 *    Exim leads with the *verified* host name (or the bracketed IP when there is none) and writes
 *    helo= only when the HELO differs from that name (Exim spec, "sender_rcvhost").
 */
import { isIP } from 'node:net';

export type ReceivedStyle = 'postfix' | 'exim' | 'sendmail' | 'exchange' | 'unknown';

export interface ReceivedFrom {
  /** The HELO/EHLO argument the receiver recorded, verbatim; null when it wrote none. */
  helo: string | null;
  /** The reverse-DNS name the receiver saw (trailing dot removed); null when "unknown" or absent. */
  rdns: string | null;
  /** The connecting IP (IPv6 without the "IPv6:" tag); null when absent. */
  ip: string | null;
  port: number | null;
  /** Sendmail's "(may be forged)": the PTR name did not resolve back to the IP (no FCrDNS). */
  mayBeForged: boolean;
  /** The from clause as written (value and comment). */
  raw: string;
}

export interface ReceivedHop {
  /** 0 for the topmost (most recent) Received: field. */
  index: number;
  style: ReceivedStyle;
  from: ReceivedFrom | null;
  by: string | null;
  with: string | null;
  id: string | null;
  for: string | null;
  /** The date after the ";" verbatim; null when absent. */
  date: string | null;
  /** TLS details as written (Postfix "using TLSv1.3 ...", Exim "TLS1.3", Microsoft "version=TLS1_2, ..."). */
  tls: string | null;
  /** MTA software named in the field (Postfix, Exim 4.96, 8.17.1/8.17.1, Microsoft SMTP Server). */
  software: string | null;
  /** The unfolded field value. */
  raw: string;
}

type Token = { kind: 'atom'; text: string } | { kind: 'comment'; text: string };

/** Split at top level: comments (nested parentheses), quoted strings and <addr> stay whole. */
function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        const d = s[j];
        if (d === '\\') {
          j++;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')') {
          depth--;
          if (depth === 0) break;
        }
      }
      out.push({ kind: 'comment', text: s.slice(i + 1, j).trim() });
      i = j + 1;
      continue;
    }
    let j = i;
    let quoted = false;
    let angle = false;
    for (; j < s.length; j++) {
      const d = s[j] ?? '';
      if (quoted) {
        if (d === '\\') j++;
        else if (d === '"') quoted = false;
        continue;
      }
      if (d === '"') quoted = true;
      else if (d === '<') angle = true;
      else if (d === '>') angle = false;
      else if (!angle && (/\s/.test(d) || d === '(')) break;
    }
    out.push({ kind: 'atom', text: s.slice(i, j) });
    i = j;
  }
  return out;
}

/** Index of the last ";" outside comments and quotes: the date follows it (RFC 5321 §4.4). */
function lastTopLevelSemicolon(s: string): number {
  let depth = 0;
  let quoted = false;
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0) last = i;
  }
  return last;
}

const KEYWORDS = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

interface Clause {
  key: string;
  atoms: string[];
  comments: string[];
}

function clauses(tokens: Token[]): Clause[] {
  const out: Clause[] = [];
  let cur: Clause | null = null;
  for (const t of tokens) {
    if (t.kind === 'atom' && KEYWORDS.has(t.text.toLowerCase()) && (cur === null || cur.atoms.length > 0)) {
      cur = { key: t.text.toLowerCase(), atoms: [], comments: [] };
      out.push(cur);
      continue;
    }
    if (cur === null) {
      cur = { key: '', atoms: [], comments: [] };
      out.push(cur);
    }
    if (t.kind === 'atom') cur.atoms.push(t.text);
    else cur.comments.push(t.text);
  }
  return out;
}

function detectStyle(raw: string): ReceivedStyle {
  if (/\(Exim [\d.]+/i.test(raw)) return 'exim';
  if (/\(Postfix\b/i.test(raw)) return 'postfix';
  if (/Microsoft SMTP Server/i.test(raw)) return 'exchange';
  if (/\(\d+\.\d+\.\d+(?:\.\d+)?\/[\d.]+/.test(raw)) return 'sendmail';
  return 'unknown';
}

function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

const BRACKET_IP = /\[(?:IPv6:)?([0-9A-Fa-f:.]+)\](?::(\d+))?/;

interface TcpInfo {
  rdns: string | null;
  ip: string | null;
  port: number | null;
  helo: string | null;
  mayBeForged: boolean;
}

/** Read the TCP-info comment of the from clause. */
function parseTcpInfo(comment: string | undefined): TcpInfo {
  const info: TcpInfo = { rdns: null, ip: null, port: null, helo: null, mayBeForged: false };
  if (comment === undefined) return info;
  info.mayBeForged = /may be forged/i.test(comment);
  const helo = /(?:^|\s)helo=(\S+)/i.exec(comment);
  if (helo?.[1]) info.helo = helo[1];
  const port = /(?:^|\s)port=(\d+)/i.exec(comment);
  if (port?.[1]) info.port = Number(port[1]);
  const br = BRACKET_IP.exec(comment);
  if (br?.[1] && isIP(br[1])) {
    info.ip = br[1];
    if (br[2]) info.port = Number(br[2]);
    // What precedes the bracket is the PTR name, maybe with an ident "user@" in front (Sendmail).
    const before = comment.slice(0, br.index).trim().split(/\s+/).pop() ?? '';
    const name = before.includes('@') ? before.slice(before.lastIndexOf('@') + 1) : before;
    if (name !== '' && name.toLowerCase() !== 'unknown' && !name.includes('=')) info.rdns = stripDot(name);
    return info;
  }
  // Microsoft writes the bare IP in the comment: "from helo (192.0.2.7)".
  const first = comment.split(/[\s,]+/)[0] ?? '';
  if (isIP(first)) info.ip = first;
  return info;
}

function literalIp(value: string): string | null {
  const m = /^\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]$/.exec(value);
  return m?.[1] && isIP(m[1]) ? m[1] : null;
}

function parseFrom(c: Clause, style: ReceivedStyle): ReceivedFrom {
  const value = c.atoms[0] ?? null;
  const tcp = parseTcpInfo(c.comments[0]);
  const raw = [...c.atoms, ...c.comments.slice(0, 1).map((x) => `(${x})`)].join(' ');
  const valueIp = value === null ? null : literalIp(value);
  const eximLike = style === 'exim' || (valueIp !== null && tcp.helo !== null);
  if (eximLike) {
    if (valueIp !== null) {
      // "from [IP] (helo=NAME)": no verified host name.
      return { helo: tcp.helo, rdns: null, ip: valueIp, port: tcp.port, mayBeForged: tcp.mayBeForged, raw };
    }
    // "from VERIFIED ([IP] helo=NAME)": helo= is omitted when it equals the verified name.
    const rdns = value === null ? null : stripDot(value);
    return { helo: tcp.helo ?? value, rdns, ip: tcp.ip, port: tcp.port, mayBeForged: tcp.mayBeForged, raw };
  }
  return { helo: value, rdns: tcp.rdns, ip: tcp.ip, port: tcp.port, mayBeForged: tcp.mayBeForged, raw };
}

const SOFTWARE = /^(Postfix\b.*|Exim [\d.]+.*|\d+\.\d+\.\d+(?:\.\d+)?\/[\d.]+.*)$/i;
const TLS_COMMENT = /using TLS|version=TLS|^TLS\d|^TLSv\d|cipher=/i;

/** Parse one Received: field value (unfolded). `index` 0 is the topmost field. */
export function parseReceived(value: string, index = 0): ReceivedHop {
  const raw = value.trim();
  const semi = lastTopLevelSemicolon(raw);
  const body = semi === -1 ? raw : raw.slice(0, semi);
  const date = semi === -1 ? null : raw.slice(semi + 1).trim() || null;
  const style = detectStyle(raw);
  const cl = clauses(tokenize(body));
  const get = (k: string): Clause | undefined => cl.find((c) => c.key === k);

  const fromC = get('from');
  const withC = get('with');
  const withFirst = withC?.atoms[0] ?? null;
  // "with Microsoft SMTP Server" is one protocol name spread over atoms.
  const withValue = withFirst !== null && /^Microsoft$/i.test(withFirst) ? (withC?.atoms.join(' ') ?? null) : withFirst;

  let software: string | null = null;
  let tls: string | null = null;
  for (const c of cl) {
    for (const comment of c.comments) {
      if (software === null && SOFTWARE.test(comment)) software = comment;
      if (tls === null && TLS_COMMENT.test(comment)) tls = comment;
    }
  }
  if (software === null && withValue !== null && /Microsoft SMTP Server/i.test(withValue)) software = withValue;
  // Exim: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384": the cipher follows as bare atoms.
  const eximTls = withC?.atoms.indexOf('tls') ?? -1;
  if (eximTls > 0 && withC) {
    const cipher = withC.atoms[eximTls + 1];
    if (cipher) tls = tls === null ? cipher : `${tls} ${cipher}`;
  }
  // RFC 3848 §1-§2 / RFC 6531 §3.7.3: a "with" protocol ending in S (ESMTPS, ESMTPSA, UTF8SMTPS,
  // LMTPS…) means the session used TLS, even when no cipher comment says which.
  if (tls === null && withValue !== null && /^(ESMTP|UTF8SMTP|LMTP|UTF8LMTP)SA?$/i.test(withValue)) {
    tls = `${withValue} (TLS, RFC 3848)`;
  }
  const stripAngle = (s: string | undefined): string | null => (s === undefined ? null : s.replace(/^<|>$/g, ''));

  return {
    index,
    style,
    from: fromC ? parseFrom(fromC, style) : null,
    by: get('by')?.atoms[0] ?? null,
    with: withValue,
    id: stripAngle(get('id')?.atoms[0]),
    for: stripAngle(get('for')?.atoms[0]),
    date,
    tls,
    software,
    raw,
  };
}
