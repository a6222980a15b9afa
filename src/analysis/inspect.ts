/**
 * `inspect`: read back how a test message landed. Pure: raw message text (an .eml or an mbox) in,
 * structured findings out. What the receiver recorded (Received: from-clause, RFC 5321 §4.4) is
 * compared with what `deliver` sent (the X-Mxprobe-Helo header, the body, or --helo).
 */
import { sameIp } from './helo-name.js';
import { UsageError } from '../errors.js';
import { parseAuthenticationResults, parseReceivedSpf, type AuthenticationResults, type ReceivedSpf } from './inspect/auth.js';
import { fields, firstValue, parseMessage, splitMbox } from './inspect/headers.js';
import { parseReceived, type ReceivedHop } from './inspect/received.js';
import { parseRspamd, parseSpamAssassin, type SpamVerdict } from './inspect/spam.js';

export type { AuthenticationResults, AuthMethodResult, ReceivedSpf } from './inspect/auth.js';
export type { ReceivedFrom, ReceivedHop, ReceivedStyle } from './inspect/received.js';
export type { SpamSymbol, SpamVerdict } from './inspect/spam.js';
export { parseReceived } from './inspect/received.js';
export { parseAuthenticationResults, parseReceivedSpf } from './inspect/auth.js';
export { isHostnameSymbol } from './inspect/spam.js';

/** Header names `deliver` writes (src/deliver/message.ts uses the same constants). */
export const TOKEN_HEADER = 'X-Mxprobe-Token';
export const HELO_HEADER = 'X-Mxprobe-Helo';
export const SOURCE_HEADER = 'X-Mxprobe-Source';

/**
 * Received: fields parsed at most. RFC 5321 §6.3 has a relay drop a message with more than about
 * 100 of them (a loop), so more than that is never a real delivery path.
 */
export const MAX_RECEIVED = 100;

export type FindingStatus = 'pass' | 'warn' | 'fail' | 'info';

export interface InspectFinding {
  /** Stable id: helo-recorded, helo-rdns, rdns, ip-recorded, spf-helo, spf-mailfrom, dkim, dmarc, spam-verdict, spam-symbol. */
  id: string;
  status: FindingStatus;
  detail: string;
  /** For spam-symbol findings. */
  symbol?: { engine: SpamVerdict['engine']; name: string; score: number | null };
}

export interface InspectOptions {
  /** The HELO we sent; overrides what the message says about itself. */
  heloSent?: string;
  /** Select the message of an mbox whose X-Mxprobe-Token equals this (default: the last message). */
  token?: string;
}

export interface InspectResult {
  /** Messages found in the input (1 for an .eml). */
  messageCount: number;
  /** 1-based number of the message inspected, as the table shows it ("message 2 of 2"). */
  selected: number;
  token: string | null;
  subject: string | null;
  messageId: string | null;
  heloSent: string | null;
  heloSentFrom: 'option' | 'header' | 'body' | null;
  sourceSent: string | null;
  /** Every Received: field, topmost (most recent) first; at most MAX_RECEIVED of them. */
  received: ReceivedHop[];
  /** Received: fields beyond MAX_RECEIVED, not parsed (a mail loop, or a hostile message). */
  receivedOmitted: number;
  /** The header block was longer than inspect reads (1 MiB) and was cut. */
  headerTruncated: boolean;
  /** The hop where the receiver took the message from us; null when no Received: field exists. */
  entryHop: ReceivedHop | null;
  authenticationResults: AuthenticationResults[];
  receivedSpf: ReceivedSpf[];
  spam: SpamVerdict[];
  findings: InspectFinding[];
}

function normName(s: string): string {
  return s.trim().toLowerCase().replace(/\.$/, '');
}

function pickMessage(messages: string[], token: string | undefined): number {
  if (token === undefined) return messages.length - 1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const { headers } = parseMessage(messages[i] ?? '');
    if (fields(headers, TOKEN_HEADER).some((h) => h.value === token)) return i;
  }
  throw new UsageError(`no message with ${TOKEN_HEADER}: ${token} among ${messages.length} message(s)`);
}

/**
 * The hop that recorded our connection. We add no Received: ourselves, so it is the bottom-most one,
 * unless a hop's from-clause names the HELO or source IP we sent (a relay in front of the seed box).
 */
function findEntryHop(hops: ReceivedHop[], helo: string | null, source: string | null): ReceivedHop | null {
  const withFrom = hops.filter((h) => h.from !== null);
  const byHelo = helo === null ? undefined : [...withFrom].reverse().find((h) => h.from?.helo !== null && normName(h.from?.helo ?? '') === normName(helo));
  if (byHelo) return byHelo;
  const bySource = source === null ? undefined : [...withFrom].reverse().find((h) => h.from?.ip != null && sameIp(h.from.ip, source));
  if (bySource) return bySource;
  return withFrom[withFrom.length - 1] ?? hops[hops.length - 1] ?? null;
}

export function inspectMessage(raw: string, opts: InspectOptions = {}): InspectResult {
  const messages = splitMbox(raw);
  const selected = pickMessage(messages, opts.token);
  const { headers, body } = parseMessage(messages[selected] ?? '');

  let heloSent: string | null = null;
  let heloSentFrom: InspectResult['heloSentFrom'] = null;
  const headerHelo = firstValue(headers, HELO_HEADER);
  const bodyHelo = /^HELO:\s*(\S+)/m.exec(body)?.[1] ?? null;
  if (opts.heloSent !== undefined) [heloSent, heloSentFrom] = [opts.heloSent, 'option'];
  else if (headerHelo) [heloSent, heloSentFrom] = [headerHelo, 'header'];
  else if (bodyHelo) [heloSent, heloSentFrom] = [bodyHelo, 'body'];
  const sourceSent = firstValue(headers, SOURCE_HEADER) ?? /^Source IP:\s*(\S+)/m.exec(body)?.[1] ?? null;

  const allReceived = fields(headers, 'Received');
  const received = allReceived.slice(0, MAX_RECEIVED).map((h, i) => parseReceived(h.value, i));
  const entryHop = findEntryHop(received, heloSent, sourceSent === 'system-chosen' ? null : sourceSent);
  const authenticationResults = fields(headers, 'Authentication-Results').map((h) => parseAuthenticationResults(h.value));
  const receivedSpf = fields(headers, 'Received-SPF').map((h) => parseReceivedSpf(h.value));
  const spam = [parseSpamAssassin(headers), parseRspamd(headers)].filter((v): v is SpamVerdict => v !== null);

  const result: InspectResult = {
    messageCount: messages.length,
    selected: selected + 1,
    token: firstValue(headers, TOKEN_HEADER),
    subject: firstValue(headers, 'Subject'),
    messageId: firstValue(headers, 'Message-ID'),
    heloSent,
    heloSentFrom,
    sourceSent,
    received,
    receivedOmitted: allReceived.length - received.length,
    headerTruncated: false,
    entryHop,
    authenticationResults,
    receivedSpf,
    spam,
    findings: [],
  };
  result.findings = findings(result);
  return result;
}

function findings(r: InspectResult): InspectFinding[] {
  const out: InspectFinding[] = [];
  const from = r.entryHop?.from ?? null;
  if (r.entryHop === null || from === null) {
    out.push({ id: 'helo-recorded', status: 'warn', detail: 'no Received: field with a from clause; the receiver recorded no HELO' });
  } else {
    const by = r.entryHop.by ?? 'the receiver';
    if (from.helo === null) {
      out.push({ id: 'helo-recorded', status: 'warn', detail: `${by} recorded no HELO name` });
    } else if (r.heloSent === null) {
      out.push({ id: 'helo-recorded', status: 'info', detail: `${by} recorded HELO ${from.helo} (HELO sent unknown; pass --helo to compare)` });
    } else if (normName(from.helo) === normName(r.heloSent)) {
      out.push({ id: 'helo-recorded', status: 'pass', detail: `${by} recorded HELO ${from.helo}, as sent` });
    } else {
      out.push({ id: 'helo-recorded', status: 'warn', detail: `${by} recorded HELO ${from.helo} but ${r.heloSent} was sent (a proxy or relay in between?)` });
    }

    const ip = from.ip ?? 'the client IP';
    if (from.rdns === null) {
      out.push({ id: 'rdns', status: 'warn', detail: `no reverse DNS for ${ip} as seen by ${by} (SpamAssassin RDNS_NONE, Rspamd HFILTER_HOSTNAME_UNKNOWN)` });
    } else if (from.mayBeForged) {
      out.push({ id: 'rdns', status: 'warn', detail: `reverse DNS ${from.rdns} for ${ip} does not resolve back ("may be forged": no FCrDNS)` });
    } else {
      out.push({ id: 'rdns', status: 'pass', detail: `${by} saw ${ip} as ${from.rdns}` });
    }
    if (from.helo !== null && from.rdns !== null) {
      const same = normName(from.helo) === normName(from.rdns);
      out.push({
        id: 'helo-rdns',
        status: same ? 'pass' : 'warn',
        detail: same ? `HELO matches the reverse DNS name ${from.rdns}` : `HELO ${from.helo} differs from the reverse DNS name ${from.rdns}`,
      });
    }
    if (r.sourceSent !== null && r.sourceSent !== 'system-chosen' && from.ip !== null && !sameIp(from.ip, r.sourceSent)) {
      out.push({ id: 'ip-recorded', status: 'warn', detail: `receiver saw ${from.ip} but the message was sent from ${r.sourceSent} (NAT or relay)` });
    }
  }

  for (const ar of r.authenticationResults) {
    for (const m of ar.results) {
      const good = m.result === 'pass';
      const bad = ['fail', 'softfail', 'permerror', 'temperror'].includes(m.result);
      const status: FindingStatus = good ? 'pass' : bad ? 'fail' : 'info';
      if (m.method === 'spf') {
        const helo = m.props['smtp.helo'];
        const mailfrom = m.props['smtp.mailfrom'];
        if (helo !== undefined) out.push({ id: 'spf-helo', status, detail: `SPF ${m.result} for HELO ${helo} (${ar.authservId || "no authserv-id"})` });
        if (mailfrom !== undefined || helo === undefined) {
          out.push({ id: 'spf-mailfrom', status, detail: `SPF ${m.result} for MAIL FROM ${mailfrom ?? '(unnamed)'} (${ar.authservId || "no authserv-id"})` });
        }
      } else if (m.method === 'dkim' || m.method === 'dmarc') {
        const who = m.props['header.d'] ?? m.props['header.i'] ?? m.props['header.from'] ?? '';
        out.push({ id: m.method, status, detail: `${m.method.toUpperCase()} ${m.result}${who ? ` for ${who}` : ''} (${ar.authservId || "no authserv-id"})` });
      }
    }
  }
  for (const spf of r.receivedSpf) {
    if ((spf.params['identity'] ?? '').toLowerCase() !== 'helo') continue;
    const status: FindingStatus = spf.result === 'pass' ? 'pass' : ['fail', 'softfail', 'permerror', 'temperror'].includes(spf.result) ? 'fail' : 'info';
    out.push({ id: 'spf-helo', status, detail: `Received-SPF ${spf.result} for HELO ${spf.params['helo'] ?? '?'}` });
  }

  for (const v of r.spam) {
    const score = v.score === null ? '?' : String(v.score);
    const thr = v.threshold === null ? '' : ` / ${v.threshold}`;
    out.push({
      id: 'spam-verdict',
      status: v.isSpam === true ? 'fail' : v.isSpam === false ? 'pass' : 'info',
      detail: `${v.engine}: ${v.isSpam === true ? 'spam' : v.isSpam === false ? 'not spam' : 'verdict unknown'} [${score}${thr}]${v.action ? ` action=${v.action}` : ''}`,
    });
    for (const s of v.symbols) {
      if (!s.hostnameRelated) continue;
      out.push({
        id: 'spam-symbol',
        status: s.score !== null && s.score > 0 ? 'warn' : 'info',
        detail: `${s.name}${s.score === null ? '' : ` (${s.score})`}${s.detail ? ` ${s.detail}` : ''}`,
        symbol: { engine: v.engine, name: s.name, score: s.score },
      });
    }
  }
  return out;
}

/**
 * Inspect a message chosen by the streaming reader (inspect/select.ts): its count and number
 * come from the whole input, which was never held in memory.
 */
export function inspectSelected(sel: { text: string; messageCount: number; selected: number; headerTruncated: boolean }, opts: InspectOptions = {}): InspectResult {
  const { token: _token, ...rest } = opts;
  const r = inspectMessage(sel.text, rest);
  return { ...r, messageCount: sel.messageCount, selected: sel.selected, headerTruncated: sel.headerTruncated };
}
