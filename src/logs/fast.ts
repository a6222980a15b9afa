/**
 * The fast path of `mxprobe logs` for the lines that make up nearly all of a Postfix log in the
 * classic syslog format: it reads a line in place, as the range text[s, e) of the decoded read chunk
 * (read.ts), with character arithmetic, and counts it straight into the aggregator: no line string,
 * no Header, no event object, no substring.
 *
 * It handles a line only when it is SURE to reach the same result as parseLine() + add(); anything
 * else (another format, a non-Postfix program, an odd header) returns false, and every line that
 * carries data (deliveries, rejects, HELO info lines) goes through parsePostfix() with exactly the
 * arguments parseLine() would pass. The one side effect before a `false` is YearTracker.yearFor()
 * for the line's month, which parseLine() then repeats harmlessly (a repeated month never wraps).
 *
 * Every search is bounded by the line's end `e` (a loop, not indexOf on the chunk, which could run
 * on through thousands of following lines of a hostile log). Literals compared with startsWith hold
 * no CR or LF, so they cannot match across the end of a line.
 *
 * Lines counted here (about 85% of a busy relay's log, bench/logs-gen.mjs): smtpd "connect from",
 * "disconnect from" (session end), "QID: client=" (received), cleanup "message-id=", qmgr
 * "from=/size=" and "removed", bounce notifications, pickup "uid=/sender=".
 */
import type { LogAggregator } from './aggregate.js';
import { detach } from './aggregate.js';
import { classicStamp } from './header.js';
import type { ParseContext } from './parse.js';
import { parsePostfix, postfixService } from './postfix.js';

/**
 * Recently seen syslog tags ("postfix/smtpd") and hosts, found by a hash of their characters and
 * compared in place, so that a line's tag and host are not sliced. Small and bounded: a log has a
 * handful of each; past the cap the lookups still work, they just slice.
 */
const CACHE = 32;
const progNames: string[] = [];
const progHashes: number[] = [];
const progServices: Array<string | null> = [];
const hostNames: string[] = [];

/** text[start, start + p.length) === p, compared in place. */
function sameAt(text: string, start: number, p: string): boolean {
  for (let j = 0; j < p.length; j++) if (text.charCodeAt(start + j) !== p.charCodeAt(j)) return false;
  return true;
}

/** The cache slot of the tag text[start, end) with hash `h`, or -1. */
function progSlot(text: string, start: number, end: number, h: number): number {
  const len = end - start;
  for (let k = 0; k < progNames.length; k++) {
    if (progHashes[k] === h && (progNames[k] as string).length === len && sameAt(text, start, progNames[k] as string)) return k;
  }
  return -1;
}

function serviceAt(text: string, start: number, end: number, h: number): string | null {
  const k = progSlot(text, start, end, h);
  if (k >= 0) return progServices[k] as string | null;
  const program = detach(text.slice(start, end));
  const service = postfixService(program);
  if (progNames.length < CACHE) {
    progNames.push(program);
    progHashes.push(h);
    progServices.push(service);
  }
  return service;
}

function programAt(text: string, start: number, end: number, h: number): string {
  const k = progSlot(text, start, end, h);
  return k >= 0 ? (progNames[k] as string) : text.slice(start, end);
}

function hostAt(text: string, start: number, end: number): string {
  const len = end - start;
  for (let k = 0; k < hostNames.length; k++) {
    const h = hostNames[k] as string;
    if (h.length === len && sameAt(text, start, h)) return h;
  }
  const host = detach(text.slice(start, end));
  if (hostNames.length < CACHE) hostNames.push(host);
  return host;
}

/** "QID" as parsePostfix's QID_RE (/^[0-9A-Za-z]+$/) reads it, on text[start, end). */
function isQid(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/**
 * The first ": " in text[from, e), or -1. indexOf(':') runs on past `e` into the following lines
 * only as far as the next colon, and every line that gets here has two in its stamp: a hostile
 * chunk cannot make these searches quadratic.
 */
export function colonSpace(text: string, from: number, e: number): number {
  let i = text.indexOf(':', from);
  while (i >= 0 && i < e - 1) {
    if (text.charCodeAt(i + 1) === 32) return i;
    i = text.indexOf(':', i + 1);
  }
  return -1;
}

/**
 * Count the line text[s, e) if it is a classic-syslog Postfix line; false when the caller must use
 * parseLine() + add() on it (nothing was counted then).
 */
export function fastLine(text: string, s: number, e: number, ctx: ParseContext, agg: LogAggregator): boolean {
  if (ctx.format === 'auto') {
    const c0 = text.charCodeAt(s);
    if (c0 < 65 || c0 > 90) return false;
  } else if (ctx.format !== 'syslog') return false;
  const t = classicStamp(text, ctx.years, s, e);
  if (t !== t) return false; // NaN: no classic stamp
  // header.ts tail(): "host tag[pid]: msg" from s + 16 on.
  const h0 = s + 16;
  // (indexOf(' ') stops in the next line's stamp at the latest: see colonSpace.)
  const sp = text.indexOf(' ', h0);
  if (sp <= h0 || sp >= e) return false;
  let br = -1;
  let colon = -1;
  let h = 0;
  for (let i = sp + 1; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 /* [ */) {
      br = i;
      break;
    }
    if (c === 58 /* : */ && i + 1 < e && text.charCodeAt(i + 1) === 32) {
      colon = i;
      break;
    }
    if (c === 32) return false; // a space in the tag: not "tag[pid]: " (tail() says null)
    h = (Math.imul(h, 31) + c) | 0;
  }
  if (br >= 0) colon = colonSpace(text, br + 1, e);
  if (colon < 0) return false;
  const tagEnd = br >= 0 ? br : colon;
  if (tagEnd === sp + 1) return false; // empty tag
  const service = serviceAt(text, sp + 1, tagEnd, h);
  if (service === null) return false;

  // postfix.ts parsePostfix() on msg = text[m0, e): the cheap outcomes here, the rest through it.
  const m0 = colon + 2;
  const session = service === 'smtpd' || service === 'postscreen';
  if (br >= 0 && session && text.charCodeAt(m0) === 100 /* d */ && text.startsWith('disconnect from ', m0)) {
    // The aggregator's session key `${relay} ${proc}` is exactly the line's "host tag[pid]".
    agg.addSessionEnd(t, text, h0, colon);
    return true;
  }
  const c = colonSpace(text, m0, e);
  if (c <= m0) {
    // A parallel range (run.ts) notes the sessions it sees open: their HELOs need no earlier state.
    if (session && br >= 0 && agg.ranged && text.startsWith('connect from ', m0)) agg.bornSession(text.slice(h0, colon));
    agg.addOther(t);
    return true;
  }
  const r = c + 2;
  const r0 = text.charCodeAt(r);
  if (r0 === 116 /* t */ && text.startsWith('to=<', r)) {
    if (sentLine(text, s, e, sp, m0, c, r, t, agg)) return true;
    return slow(text, s, e, service, sp, tagEnd, colon, br, h, t, agg);
  }
  if (session) {
    if (r0 === 99 /* c */ && text.startsWith('client=', r)) {
      if (isQid(text, m0, c)) {
        if (agg.ranged) agg.bornQid(text.slice(m0, c));
        agg.addReceived(t);
      } else agg.addOther(t);
      return true;
    }
    if ((r0 === 114 /* r */ && (text.startsWith('reject: ', r) || text.startsWith('reject_warning: ', r))) || (r0 === 109 /* m */ && text.startsWith('milter-reject: ', r)) || (r0 === 105 /* i */ && text.startsWith('info: ', r))) {
      return slow(text, s, e, service, sp, tagEnd, colon, br, h, t, agg);
    }
    agg.addOther(t);
    return true;
  }
  if (service === 'qmgr') {
    if (e === r + 7 && r0 === 114 /* r */ && text.startsWith('removed', r)) agg.addRemoved(t, text, m0, c);
    else agg.addOther(t);
    return true;
  }
  if (service === 'pickup' && (text.startsWith('uid=', r) || text.startsWith('sender=', r))) {
    if (agg.ranged) agg.bornQid(text.slice(m0, c));
    agg.addReceived(t);
    return true;
  }
  if (service === 'cleanup' && (text.startsWith('reject: ', r) || text.startsWith('milter-reject: ', r))) {
    return slow(text, s, e, service, sp, tagEnd, colon, br, h, t, agg);
  }
  agg.addOther(t);
  return true;
}

/** A line that carries data: parsePostfix() with exactly parseLine()'s arguments, then add(). */
function slow(text: string, s: number, e: number, service: string, sp: number, tagEnd: number, colon: number, br: number, h: number, t: number, agg: LogAggregator): true {
  const relay = hostAt(text, s + 16, sp);
  const program = programAt(text, sp + 1, tagEnd, h);
  const proc = br >= 0 ? text.slice(sp + 1, colon) : null;
  // add() keeps the line only as an example of an unparsed one, which a Postfix event never is.
  agg.add(parsePostfix(service, program, text.slice(colon + 2, e), t, relay, proc), '');
  return true;
}

/** The first `ch` in text[from, e), or -1 (bounded by the line's end). */
function find(text: string, from: number, e: number, ch: number): number {
  for (let i = from; i < e; i++) if (text.charCodeAt(i) === ch) return i;
  return -1;
}

/**
 * The next `ch` in a chunk, found with the native indexOf and remembered: lines are read in order,
 * so searches in one chunk move forward, and each stretch of the chunk is scanned once however
 * many lines search it (a chunk without the character costs one scan, not one per line: no
 * quadratic search on a hostile log). Any search that goes back, or another text, starts afresh.
 */
class NextOf {
  private text = '';
  private from = 0;
  private at = -1;
  constructor(private readonly ch: string) {}
  /** The first `ch` in text[from, e), or -1. */
  find(text: string, from: number, e: number): number {
    if (text !== this.text || from < this.from) {
      this.text = text;
      this.at = text.indexOf(this.ch, from);
    } else if (this.at !== -1 && this.at < from) this.at = text.indexOf(this.ch, from);
    // (Otherwise `at` is still the first one from `from` on: none lies between the old start and it.)
    this.from = from;
    return this.at >= 0 && this.at < e ? this.at : -1;
  }
}
const commas = new NextOf(',');
const closers = new NextOf('>');

/** The end of "[^,]+, " at `from` (the index after ", "), or -1. */
function field(text: string, from: number, e: number): number {
  const comma = commas.find(text, from, e);
  return comma > from && comma + 1 < e && text.charCodeAt(comma + 1) === 32 ? comma + 2 : -1;
}

/**
 * A delivery line "QID: to=<..>, [orig_to=<..>,] relay=.., [conn_use=..,] delay=.., [delays=..,]
 * [dsn=..,] status=sent (...)" that is not a forward, read in place and counted with addSent():
 * nearly all delivery lines of a relay. It accepts a line only in the one shape where postfix.ts'
 * STATUS_RE is sure to match with the very same groups (each "[^,]+, " piece is taken up to the
 * first comma, as the regex must; the optional pieces start with words the pieces after them
 * cannot), and the result parsePostfix() would give (lower-case domain, no "forwarded as", no line
 * terminator for `(.*)$`); anything else, and every other status (their replies are classified),
 * returns false for slow().
 */
function sentLine(text: string, s: number, e: number, sp: number, m0: number, c: number, r: number, t: number, agg: LogAggregator): boolean {
  if (!isQid(text, m0, c)) return false;
  const toStart = r + 4;
  const gt = closers.find(text, toStart, e);
  if (gt < 0 || gt + 2 >= e || text.charCodeAt(gt + 1) !== 44 || text.charCodeAt(gt + 2) !== 32) return false;
  let q = gt + 3;
  if (text.startsWith('orig_to=<', q)) {
    const g2 = closers.find(text, q + 9, e);
    if (g2 < 0 || g2 + 2 >= e || text.charCodeAt(g2 + 1) !== 44 || text.charCodeAt(g2 + 2) !== 32) return false;
    q = g2 + 3;
  }
  if (!text.startsWith('relay=', q)) return false;
  const relayStart = q + 6;
  q = field(text, relayStart, e);
  if (q < 0) return false;
  const relayEnd = q - 2;
  if (text.startsWith('conn_use=', q) && (q = field(text, q + 9, e)) < 0) return false;
  if (!text.startsWith('delay=', q) || (q = field(text, q + 6, e)) < 0) return false;
  if (text.startsWith('delays=', q) && (q = field(text, q + 7, e)) < 0) return false;
  if (text.startsWith('dsn=', q) && (q = field(text, q + 4, e)) < 0) return false;
  if (!text.startsWith('status=sent', q)) return false;
  q += 11;
  // \S+ must end right after "sent": a space (taken by " ?") or the end of the line.
  if (q < e && text.charCodeAt(q) !== 32) return false;
  // (.*)$: no line terminator in the rest; and no "forwarded as " (a forward, counted apart).
  for (let i = q; i < e; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 || ch === 0x2028 || ch === 0x2029) return false;
    if (ch === 102 /* f */ && text.startsWith('forwarded as ', i) && i + 13 <= e) return false;
  }
  // lowerDomain(): the domain after the last "@" must be lower case already (else slow() lowers it).
  let at = -1;
  for (let i = gt - 1; i >= toStart; i--) {
    if (text.charCodeAt(i) === 64 /* @ */) {
      at = i;
      break;
    }
  }
  if (at >= 0) {
    for (let i = at + 1; i < gt; i++) {
      const ch = text.charCodeAt(i);
      if ((ch >= 65 && ch <= 90) || ch >= 128) return false;
    }
  }
  // relay= "host[ip]:port" -> host, ip (up to the first "]" after "[", or the field's end).
  let mxHost: string | null;
  let mxIp: string | null = null;
  const lb = find(text, relayStart, relayEnd, 91 /* [ */);
  if (lb >= 0) {
    mxHost = text.slice(relayStart, lb);
    const rb = find(text, lb + 1, relayEnd, 93 /* ] */);
    mxIp = text.slice(lb + 1, rb < 0 ? relayEnd : rb);
  } else mxHost = text.slice(relayStart, relayEnd);
  if (mxHost === 'none') mxHost = null;
  const to = text.slice(toStart, gt);
  agg.addSent(t, hostAt(text, s + 16, sp), text.slice(m0, c), to, at >= 0 ? text.slice(at + 1, gt) : '', mxHost, mxIp);
  return true;
}
