/**
 * EHLO reply → capabilities (RFC 5321 §4.1.1.1). Pure and total: never throws, whatever the server
 * put in its reply. Unknown or malformed keywords are kept verbatim so reports can show them.
 */
import type { Capabilities, SmtpReply } from '../results.js';

/**
 * Known EHLO keywords and the document that defines each (IANA "SMTP Service Extensions").
 * Used by reports to explain a keyword; parsing does not depend on it.
 */
export const KNOWN_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '8BITMIME': 'RFC 6152',
  ATRN: 'RFC 2645',
  AUTH: 'RFC 4954',
  BINARYMIME: 'RFC 3030',
  BURL: 'RFC 4468',
  CHECKPOINT: 'RFC 1845',
  CHUNKING: 'RFC 3030',
  CONNEG: 'RFC 4141',
  CONPERM: 'RFC 4141',
  DELIVERBY: 'RFC 2852',
  DSN: 'RFC 3461',
  ENHANCEDSTATUSCODES: 'RFC 2034',
  ETRN: 'RFC 1985',
  EXPN: 'RFC 5321',
  FUTURERELEASE: 'RFC 4865',
  HELP: 'RFC 5321',
  LIMITS: 'RFC 9422',
  'MT-PRIORITY': 'RFC 6710',
  MTRK: 'RFC 3885',
  'NO-SOLICITING': 'RFC 3865',
  PIPELINING: 'RFC 2920',
  REQUIRETLS: 'RFC 8689',
  RRVS: 'RFC 7293',
  SEND: 'RFC 821',
  SIZE: 'RFC 1870',
  SMTPUTF8: 'RFC 6531',
  STARTTLS: 'RFC 3207',
  SUBMITTER: 'RFC 4405',
  TURN: 'RFC 1869',
  UTF8SMTP: 'RFC 5336 (obsolete, replaced by SMTPUTF8)',
  VERB: 'Sendmail (non-standard)',
  VRFY: 'RFC 5321',
  XCLIENT: 'Postfix (non-standard)',
  XFORWARD: 'Postfix (non-standard)',
  XEXCH50: 'Microsoft Exchange (non-standard)',
  'X-EXPS': 'Microsoft Exchange (non-standard)',
  'X-LINK2STATE': 'Microsoft Exchange (non-standard)',
  'X-ANONYMOUSTLS': 'Microsoft Exchange (non-standard)',
  XRDST: 'Microsoft Exchange (non-standard)',
  'X-RCPTLIMIT': 'Microsoft (non-standard)',
  XOORG: 'Microsoft Exchange (non-standard)',
  XPROXYFROM: 'Microsoft Exchange (non-standard)',
});

/** ASCII-only upper-casing: keywords are ASCII (RFC 5321 §4.1.1.1); anything else stays verbatim. */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/**
 * The text of each line (after "250-" / "250 "). A loop and push, not Array.prototype.map: the
 * array map() returns is PACKED when the builtin runs and HOLEY when TurboFan inlines it, so an
 * optimised caller saw a second array map and was deoptimised and compiled again (issue 13).
 */
function lineTexts(reply: SmtpReply): string[] {
  const lines = reply.lines;
  if (lines.length > 0) {
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) out.push(lines[i]!.slice(4));
    return out;
  }
  return reply.text === '' ? [] : reply.text.split('\n');
}

/** RFC 1870 §3: size-param = 1*20DIGIT; 0 (or none) means "no fixed maximum". */
function parseSize(param: string): number | null {
  const p = param.trim();
  if (!/^\d{1,20}$/.test(p)) return null;
  const n = Number(p);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function emptyCapabilities(): Capabilities {
  return {
    name: null,
    greeting: '',
    keywords: {},
    size: null,
    auth: [],
    starttls: false,
    pipelining: false,
    eightBitMime: false,
    smtpUtf8: false,
    chunking: false,
    dsn: false,
    enhancedStatusCodes: false,
    requireTls: false,
  };
}

/**
 * Parse an EHLO reply (RFC 5321 §4.1.1.1):
 *   ehlo-ok-rsp = "250" SP Domain [ SP ehlo-greet ] CRLF
 *               / "250-" Domain [ SP ehlo-greet ] CRLF *( "250-" ehlo-line CRLF ) "250" SP ehlo-line CRLF
 *   ehlo-line   = ehlo-keyword *( SP ehlo-param )
 * Never throws on odd content. The caller should pass a 2xx reply; for anything else only the first
 * line's text is kept (as `greeting`) and no keyword is reported, since a 5xx text is not a list.
 */
export function parseCapabilities(reply: SmtpReply): Capabilities {
  const caps = emptyCapabilities();
  const texts = lineTexts(reply);
  const first = texts[0] ?? '';
  if (Math.floor(reply.code / 100) !== 2) {
    caps.greeting = first;
    return caps;
  }
  const m = /^[ \t]*(\S+)[ \t]*([\s\S]*)$/.exec(first);
  if (m) {
    caps.name = m[1] ?? null;
    caps.greeting = m[2] ?? '';
  }
  const keywords: Record<string, string> = {};
  const auth: string[] = [];
  const addAuth = (mechs: string): void => {
    for (const mech of mechs.split(/[ \t]+/)) {
      if (mech === '') continue;
      const up = asciiUpper(mech);
      if (!auth.includes(up)) auth.push(up);
    }
  };
  for (const text of texts.slice(1)) {
    // Tolerate stray leading blanks; the keyword ends at the first space (params are verbatim after it).
    const line = text.replace(/^[ \t]+/, '');
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const keyword = asciiUpper(sp === -1 ? line : line.slice(0, sp));
    const params = sp === -1 ? '' : line.slice(sp + 1);
    if (!Object.hasOwn(keywords, keyword)) keywords[keyword] = params;
    if (keyword === 'AUTH') {
      addAuth(params);
    } else if (keyword.startsWith('AUTH=')) {
      // Pre-RFC 2554 form still sent for old Outlook clients: "250-AUTH=LOGIN PLAIN".
      addAuth(keyword.slice(5) + ' ' + params);
    }
  }
  caps.keywords = keywords;
  caps.auth = auth;
  const has = (k: string): boolean => Object.hasOwn(keywords, k);
  caps.size = has('SIZE') ? parseSize(keywords.SIZE ?? '') : null;
  caps.starttls = has('STARTTLS');
  caps.pipelining = has('PIPELINING');
  caps.eightBitMime = has('8BITMIME');
  caps.smtpUtf8 = has('SMTPUTF8');
  caps.chunking = has('CHUNKING');
  caps.dsn = has('DSN');
  caps.enhancedStatusCodes = has('ENHANCEDSTATUSCODES');
  caps.requireTls = has('REQUIRETLS');
  return caps;
}

/** Dotted-quad without leading zeros (those are ambiguous: octal in some parsers). */
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4ToWords(s: string): [number, number] | null {
  if (!IPV4.test(s)) return null;
  const o = s.split('.').map(Number) as [number, number, number, number];
  return [(o[0] << 8) | o[1], (o[2] << 8) | o[3]];
}

/** Parse an IPv6 address (RFC 4291 §2.2 text forms) into 8 16-bit words, or null. */
function parseIpv6(s: string): number[] | null {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string, allowV4: boolean): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4 && i === groups.length - 1 && g.includes('.')) {
        const v4 = ipv4ToWords(g);
        if (!v4) return null;
        words.push(...v4);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  if (halves.length === 1) {
    const w = parseGroups(s, true);
    return w && w.length === 8 ? w : null;
  }
  const head = parseGroups(halves[0]!, false);
  const tail = parseGroups(halves[1]!, true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 §4 canonical text: lower case, no leading zeros, longest (first) run of >= 2 zero words as "::". */
function formatIpv6(w: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Normalise an IP literal the server echoed: IPv4 as is, IPv6 in RFC 5952 form, and an IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, seen from dual-stack listeners) as the IPv4 it stands for.
 */
function normaliseIp(raw: string): string | null {
  if (IPV4.test(raw)) return raw;
  const v6 = /^ipv6:/i.test(raw) ? raw.slice(5) : raw;
  const w = parseIpv6(v6);
  if (!w) return null;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `${w[6]! >> 8}.${w[6]! & 0xff}.${w[7]! >> 8}.${w[7]! & 0xff}`;
  }
  return formatIpv6(w);
}

/**
 * The IP the server says it saw, from "Hello name [192.0.2.7]" style greetings (Exim, Sendmail,
 * Microsoft, Gmail's "at your service, [192.0.2.7]"; Postfix doesn't echo it). IPv6 too
 * ("[IPv6:2001:db8::1]" as Sendmail writes it, RFC 5321 §4.1.3 address literal, or "[2001:db8::1]").
 * Only the first line (the greeting) is searched. null if none.
 */
export function observedClientIp(reply: SmtpReply): string | null {
  const first = lineTexts(reply)[0] ?? '';
  for (const m of first.matchAll(/\[([^\][\s]{1,64})\]/g)) {
    const ip = normaliseIp(m[1] ?? '');
    if (ip !== null) return ip;
  }
  return null;
}
