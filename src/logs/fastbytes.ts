/**
 * The byte-level fast path of `mxprobe logs` (issue 14: 10x pflogsumm). Same job as fast.ts, on the
 * same lines, with the same result; it reads the line's BYTES instead of its characters.
 *
 * Why: on these machines `charCodeAt` costs about 4 ns a character and `startsWith(literal, pos)`
 * about 100 ns a call, while an indexed read of a Uint8Array costs about 1 ns (measured on the
 * 1M-line bench file). The reader (read.ts) hands over, with each decoded chunk, the bytes it was
 * decoded from when they are all ASCII (`buffer.isAscii`): then byte i IS character i of the
 * string, and a line text[s, e) is the bytes u[s, e). A chunk with any other byte gets no bytes,
 * and its lines go through fast.ts as before (so every output stays byte-identical).
 *
 * What it does per line, for the lines that make up nearly all of a Postfix log:
 * - the classic stamp from 15 bytes at fixed offsets, the month and day remembered from the line before,
 *   and the whole time reused when the 15 bytes repeat (about 30 lines a second in a busy log);
 * - "host tag[" found by one short scan and looked up in a small table of the headers seen (a
 *   relay writes a handful: "relay1 postfix/smtpd[", "relay1 postfix/qmgr[", ...), verified byte
 *   for byte, which gives the relay, program and service without a substring;
 * - the message's kind from a few bytes; counters only. Queue ids, session keys and destination
 *   domains are hashed in place (the aggregator's in-place entries); a substring is made only when
 *   the aggregator may hold the key.
 *
 * Contract with fast.ts: fastBytes() returns HANDLED only when fastLine() would have counted the
 * line the same way; TRY_STRINGS when fast.ts must look at it (nothing was counted: the one side
 * effect is YearTracker.yearFor() for the line's month, which fastLine/parseLine repeat harmlessly,
 * see fast.ts); SLOW when fastLine() would decline too (parseLine + add).
 * test/logs/fastbytes.test.ts checks this against parseLine + add on every shape fast.test.ts uses,
 * on random mutations and on random chunk cuts.
 */
import { detach, rangeHashBytes, type LogAggregator } from './aggregate.js';
import { colonSpace } from './fast.js';
import type { YearTracker } from './header.js';
import type { ParseContext } from './parse.js';
import { KNOWN_CLEANUP_REJECT, KNOWN_DELIVERY, KNOWN_SMTPD_INFO, KNOWN_SMTPD_REJECT, parsePostfixKnown, postfixService } from './postfix.js';

export const HANDLED = 1;
export const TRY_STRINGS = 0;
export const SLOW = 2;
export type ByteVerdict = typeof HANDLED | typeof TRY_STRINGS | typeof SLOW;

/** A literal to compare: its bytes, and its first 4 * words.length bytes as little-endian 32-bit words. */
interface Lit {
  bytes: Uint8Array;
  words: Int32Array;
}

/**
 * u[i, i + p.length) === p, inside the line (i + p.length <= e); `dv` must be the view of `u`
 * (fastBytes sets it). Four bytes at a time: an unaligned 32-bit DataView read costs about what
 * one byte read does, and the byte loop was a large part of a line's instructions (cachegrind).
 */
function eqAt(u: Uint8Array, i: number, e: number, p: Lit): boolean {
  const b = p.bytes;
  const n = b.length;
  if (i + n > e) return false;
  const w = p.words;
  const nw = w.length;
  for (let k = 0; k < nw; k++) if (dv.getInt32(i + 4 * k, true) !== w[k]) return false;
  for (let j = 4 * nw; j < n; j++) if (u[i + j] !== b[j]) return false;
  return true;
}
function wordsOf(bytes: Uint8Array): Int32Array {
  const words = new Int32Array(bytes.length >> 2);
  const v = new DataView(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < words.length; k++) words[k] = v.getInt32(k * 4, true);
  return words;
}
const lit = (s: string): Lit => {
  const bytes = new Uint8Array(Buffer.from(s, 'latin1'));
  return { bytes, words: wordsOf(bytes) };
};
/** A DataView of the bytes fastBytes reads (one per read chunk), for its 32-bit reads. */
let dvOf: Uint8Array | null = null;
let dv = new DataView(new ArrayBuffer(0));
const DISCONNECT = lit('disconnect from ');
const CONNECT = lit('connect from ');
const TO = lit('to=<');
const CLIENT = lit('client=');
const REJECT = lit('reject: ');
const REJECT_WARNING = lit('reject_warning: ');
const MILTER_REJECT = lit('milter-reject: ');
const INFO = lit('info: ');
const REMOVED = lit('removed');
const UID = lit('uid=');
const SENDER = lit('sender=');
const ORIG_TO = lit('orig_to=<');
const RELAY = lit('relay=');
const CONN_USE = lit('conn_use=');
const DELAY = lit('delay=');
const DELAYS = lit('delays=');
const DSN = lit('dsn=');
const STATUS_SENT = lit('status=sent');
const FORWARDED = lit('forwarded as ');

/**
 * The first byte `ch` in u[from, e), or -1; `dv` must be the view of `u` (fastBytes sets it).
 * Four bytes per step while they lie inside the line: x = word ^ (ch in every byte) has a zero
 * byte exactly where the word holds `ch`, and (x - 0x01010101) & ~x & 0x80808080 is non-zero
 * exactly when x has a zero byte (the classic test, computed mod 2^32 by the int32 operators);
 * the word that has one is then read byte by byte, so the first match is found.
 */
function findB(u: Uint8Array, from: number, e: number, ch: number): number {
  const pat = Math.imul(ch, 0x01010101);
  let i = from;
  while (i + 4 <= e) {
    const x = dv.getInt32(i, true) ^ pat;
    if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
    i += 4;
  }
  for (; i < e; i++) if (u[i] === ch) return i;
  return -1;
}

/**
 * findB() and eqAt() on `u` from outside fastBytes (tests): their errors would not show in any
 * count, because a wrong position only sends a line to the fallback, which counts it the same.
 */
export function wordReadsForTest(u: Uint8Array): { findB(from: number, e: number, ch: number): number; eqAt(i: number, e: number, p: string): boolean } {
  const view = (): void => {
    dvOf = u;
    dv = new DataView(u.buffer as ArrayBuffer, u.byteOffset, u.byteLength);
  };
  return {
    findB(from, e, ch) {
      view();
      return findB(u, from, e, ch);
    },
    eqAt(i, e, p) {
      view();
      return eqAt(u, i, e, lit(p));
    },
  };
}

/** 1 for the bytes of a queue id ([0-9A-Za-z]), one load per byte instead of three range tests. */
const QID_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) QID_BYTE[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0;

/** fast.ts isQid() on bytes: [0-9A-Za-z]+. */
function isQidB(u: Uint8Array, a: number, b: number): boolean {
  if (b <= a) return false;
  for (let i = a; i < b; i++) {
    const c = u[i]!;
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

// ---- the classic stamp (header.ts classicStamp, on bytes) ----

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_CODES = MONTH_NAMES.map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2));
let lastMonthCode = -1;
let lastDayCode = -1;
let lastMon = -1;
let lastDay = -1;
let baseKey = -1;
let baseMs = 0;

function d2(u: Uint8Array, i: number): number {
  const a = u[i]! - 48;
  const b = u[i + 1]! - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * classicStamp() of the line u[s, e): the same checks in the same order, the same NaN, the same
 * YearTracker call (only for a valid stamp). The month and day of the line before are remembered
 * by their bytes.
 */
export function stampB(u: Uint8Array, s: number, e: number, years: YearTracker): number {
  if (e - s < 17 || u[s + 3] !== 32 || u[s + 6] !== 32 || u[s + 9] !== 58 || u[s + 12] !== 58 || u[s + 15] !== 32) return NaN;
  const mc = (u[s]! << 16) | (u[s + 1]! << 8) | u[s + 2]!;
  const dc = (u[s + 4]! << 8) | u[s + 5]!;
  let mon: number;
  let day: number;
  if (mc === lastMonthCode && dc === lastDayCode) {
    mon = lastMon;
    day = lastDay;
  } else {
    mon = MONTH_CODES.indexOf(mc);
    if (mon < 0) return NaN;
    const d1 = u[s + 4]!;
    day = (d1 === 32 ? 0 : d1 - 48) * 10 + (u[s + 5]! - 48);
    if (day < 1 || day > 31) return NaN;
    lastMonthCode = mc;
    lastDayCode = dc;
    lastMon = mon;
    lastDay = day;
  }
  const hh = d2(u, s + 7);
  const mm = d2(u, s + 10);
  const ss = d2(u, s + 13);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return NaN;
  const year = years.yearFor(mon, day);
  const key = (year * 12 + mon) * 32 + day;
  if (key !== baseKey) {
    baseKey = key;
    baseMs = Date.UTC(year, mon, day);
  }
  return baseMs + ((hh * 60 + mm) * 60 + ss) * 1000;
}

/** The last valid stamp fastBytes read: its 15 bytes as words at 0, 4, 8, 11, and the tracker state after it. */
let stampW0 = 0;
let stampW1 = 0;
let stampW2 = 0;
let stampW3 = 0;
let stampYears: YearTracker | null = null;
let stampYear: number | null = null;
let stampMon = -1;
let stampT = 0;

// ---- "host tag[" headers ----

const K_OTHER = 0;
const K_SESSION = 1;
const K_QMGR = 2;
const K_PICKUP = 3;
const K_CLEANUP = 4;

/** One "host tag[" seen: its bytes (with the "["), and what fast.ts would derive from it. */
interface Head {
  bytes: Uint8Array;
  /** The first 4 * words.length bytes of `bytes` as little-endian 32-bit words (guess check, see fastBytes). */
  words: Int32Array;
  hostLen: number;
  host: string;
  program: string;
  service: string | null;
  kind: number;
}

/**
 * Two-way set-associative by a hash of the header's bytes (a clash between two busy headers must
 * not make both miss on every line); a miss replaces the older way. Bounded, whatever the log.
 */
const HEADS = 1024;
const heads: Array<Head | null> = new Array<Head | null>(HEADS).fill(null);

function sameHead(hd: Head | null, u: Uint8Array, h0: number, sp: number, br: number): boolean {
  if (hd === null) return false;
  const b = hd.bytes;
  const n = b.length;
  if (n !== br + 1 - h0 || hd.hostLen !== sp - h0) return false;
  let j = 0;
  while (j < n && u[h0 + j] === b[j]) j++;
  return j === n;
}

function headAt(u: Uint8Array, text: string, h0: number, sp: number, br: number, hash: number): Head {
  const slot = (Math.imul(hash, 0x9e3779b1) >>> 22) & (HEADS - 2);
  const a = heads[slot] ?? null;
  if (sameHead(a, u, h0, sp, br)) return a as Head;
  const b = heads[slot + 1] ?? null;
  if (sameHead(b, u, h0, sp, br)) return b as Head;
  const program = detach(text.slice(sp + 1, br));
  const service = postfixService(program);
  const kind = service === 'smtpd' || service === 'postscreen' ? K_SESSION : service === 'qmgr' ? K_QMGR : service === 'pickup' ? K_PICKUP : service === 'cleanup' ? K_CLEANUP : K_OTHER;
  const bytes = Uint8Array.prototype.slice.call(u, h0, br + 1); // (a copy, not a view of the chunk)
  const made: Head = { bytes, words: wordsOf(bytes), hostLen: sp - h0, host: detach(text.slice(h0, sp)), program, service, kind };
  heads[slot + 1] = a;
  heads[slot] = made;
  return made;
}

/** Guessed headers (see fastBytes), by a hash of the host and three tag bytes: two-way, bounded. */
const GUESSES = 1024;
const guesses: Array<Head | null> = new Array<Head | null>(GUESSES).fill(null);
function guessSlot(hostHash: number, u: Uint8Array, sp: number): number {
  return (Math.imul(hostHash ^ Math.imul(u[sp + 9]! | (u[sp + 10]! << 8) | (u[sp + 13]! << 16), 0x01000193), 0x9e3779b1) >>> 22) & (GUESSES - 2);
}

/** The host's hash as fastBytes computes it while it looks for the host's end. */
function hash0(u: Uint8Array, h0: number, sp: number): number {
  let h = 0;
  for (let i = h0; i < sp; i++) h = (Math.imul(h, 31) + u[i]!) | 0;
  return h;
}

/**
 * Count the line text[s, e) (= u[s, e), ASCII) if fast.ts would count it, the same way. The caller
 * has checked the format (auto or syslog). On a parallel range (agg.ranged) it also reports what
 * fast.ts reports there: the queue ids and sessions born in the range (bornQid, bornSession); the
 * aggregator's entries record the operations that need earlier state.
 */
export function fastBytes(text: string, u: Uint8Array, s: number, e: number, ctx: ParseContext, agg: LogAggregator): ByteVerdict {
  if (ctx.format === 'auto') {
    const c0 = u[s]!;
    if (c0 < 65 || c0 > 90) return SLOW;
  }
  if (u !== dvOf) {
    dvOf = u;
    dv = new DataView(u.buffer as ArrayBuffer, u.byteOffset, u.byteLength);
  }
  // The stamp of the line before, when this line's 15 stamp bytes are the same (a busy log writes
  // ~30 lines a second) and the year tracker is where that line left it: stampB() would then
  // make the same checks on the same bytes, and its yearFor() call would change nothing.
  const years = ctx.years;
  let t: number;
  if (e - s >= 17 && u[s + 15] === 32 && dv.getInt32(s, true) === stampW0 && dv.getInt32(s + 4, true) === stampW1 && dv.getInt32(s + 8, true) === stampW2 && dv.getInt32(s + 11, true) === stampW3 && years === stampYears && years.unchangedSince(stampYear, stampMon)) {
    t = stampT;
  } else {
    t = stampB(u, s, e, years);
    if (t !== t) return SLOW; // NaN: fastLine's classicStamp says the same
    stampW0 = dv.getInt32(s, true);
    stampW1 = dv.getInt32(s + 4, true);
    stampW2 = dv.getInt32(s + 8, true);
    stampW3 = dv.getInt32(s + 11, true);
    stampYears = years;
    stampYear = years.currentYear();
    stampMon = lastMon;
    stampT = t;
  }
  const h0 = s + 16;
  // fast.ts: sp = the first space from h0 (its indexOf stops at e or in the next line: the same answer).
  let sp = h0;
  let hash = 0;
  while (sp < e && u[sp] !== 32) {
    hash = (Math.imul(hash, 31) + u[sp]!) | 0;
    sp++;
  }
  if (sp <= h0 || sp >= e) return SLOW;
  // The header "host tag[" is guessed from the host and three bytes of the tag (a relay writes a
  // handful of headers) and the guess verified byte for byte, "[" included: then the tag scan
  // below is not needed. The three bytes may lie past a short tag (in the pid): such a header is
  // just not guessed and takes the scan.
  let hd: Head | null = null;
  let br = -1;
  if (sp + 14 <= e) {
    const gs = guessSlot(hash, u, sp);
    for (let w = 0; w < 2; w++) {
      const g = guesses[gs + w] ?? null;
      if (g === null) break;
      const b = g.bytes;
      const n = b.length;
      if (h0 + n <= e) {
        // Four bytes at a time: the header ("relay1 postfix/smtpd[", ~20 bytes) is checked on
        // every line, and one unaligned 32-bit read costs about what one byte read does.
        const w = g.words;
        const nw = w.length;
        let k = 0;
        while (k < nw && dv.getInt32(h0 + 4 * k, true) === w[k]) k++;
        let j = 4 * nw;
        if (k === nw) while (j < n && u[h0 + j] === b[j]) j++;
        if (k === nw && j === n) {
          hd = g;
          br = h0 + n - 1;
          break;
        }
      }
    }
  }
  if (hd === null) {
    // The tag: up to "[" (br); fast.ts leaves a space in the tag, an empty tag or the "tag: " form
    // (no pid) to the slow path or reads the last one itself: those go back to it.
    for (let i = sp + 1; i < e; i++) {
      const c = u[i]!;
      if (c === 91) {
        br = i;
        break;
      }
      if (c === 32 || c === 58) return TRY_STRINGS;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    if (br <= sp + 1) return TRY_STRINGS;
    hd = headAt(u, text, h0, sp, br, hash);
    if (sp + 14 <= e) {
      const gs = guessSlot(hash0(u, h0, sp), u, sp);
      guesses[gs + 1] = guesses[gs] ?? null;
      guesses[gs] = hd;
    }
  }
  if (hd.service === null) return SLOW; // not Postfix: fastLine declines too
  // colonSpace(text, br + 1, e) on bytes: the first ": " after the "[".
  let colon = -1;
  for (let i = br + 1; i < e - 1; i++) {
    if (u[i] === 58 && u[i + 1] === 32) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return SLOW;

  const m0 = colon + 2;
  const kind = hd.kind;
  const session = kind === K_SESSION;
  if (session && u[m0] === 100 /* d */ && eqAt(u, m0, e, DISCONNECT)) {
    agg.addSessionEndH(t, rangeHashBytes(u, h0, colon), text, h0, colon);
    return HANDLED;
  }
  // colonSpace(text, m0, e): most messages start "QUEUEID: ", read here byte by byte; at the
  // first byte that is not a letter or digit the first ": " is there or after it (none before).
  let c = m0;
  while (c < e && QID_BYTE[u[c]!] === 1) c++;
  // [m0, c) is a queue id when ": " follows it at once (isQidB need not read it again).
  const qid = c > m0 && c + 1 < e && u[c] === 58 && u[c + 1] === 32;
  if (!qid) c = colonSpace(text, c, e);
  if (c <= m0) {
    // A parallel range notes the sessions it sees open (fast.ts does the same): their HELOs need no earlier state.
    if (session && agg.ranged && eqAt(u, m0, e, CONNECT)) agg.bornSession(text.slice(h0, colon));
    agg.addOther(t);
    return HANDLED;
  }
  const r = c + 2;
  const r0 = r < e ? u[r]! : -1;
  if (r0 === 116 /* t */ && eqAt(u, r, e, TO)) {
    if (sentBytes(text, u, e, hd, m0, c, r, t, agg, qid)) return HANDLED;
    return slowB(KNOWN_DELIVERY, text, e, hd, sp, colon, r, t, agg);
  }
  if (session) {
    if (r0 === 99 /* c */ && eqAt(u, r, e, CLIENT)) {
      if (qid || isQidB(u, m0, c)) {
        if (agg.ranged) agg.bornQid(text.slice(m0, c));
        agg.addReceived(t);
      } else agg.addOther(t);
      return HANDLED;
    }
    if ((r0 === 114 /* r */ && (eqAt(u, r, e, REJECT) || eqAt(u, r, e, REJECT_WARNING))) || (r0 === 109 /* m */ && eqAt(u, r, e, MILTER_REJECT))) {
      return slowB(KNOWN_SMTPD_REJECT, text, e, hd, sp, colon, r, t, agg);
    }
    if (r0 === 105 /* i */ && eqAt(u, r, e, INFO)) return slowB(KNOWN_SMTPD_INFO, text, e, hd, sp, colon, r, t, agg);
    agg.addOther(t);
    return HANDLED;
  }
  if (kind === K_QMGR) {
    if (e === r + 7 && r0 === 114 /* r */ && eqAt(u, r, e, REMOVED)) agg.addRemovedH(t, rangeHashBytes(u, m0, c), text, m0, c);
    else agg.addOther(t);
    return HANDLED;
  }
  if (kind === K_PICKUP && (eqAt(u, r, e, UID) || eqAt(u, r, e, SENDER))) {
    if (agg.ranged) agg.bornQid(text.slice(m0, c));
    agg.addReceived(t);
    return HANDLED;
  }
  if (kind === K_CLEANUP && (eqAt(u, r, e, REJECT) || eqAt(u, r, e, MILTER_REJECT))) {
    return slowB(KNOWN_CLEANUP_REJECT, text, e, hd, sp, colon, r, t, agg);
  }
  agg.addOther(t);
  return HANDLED;
}

/**
 * fast.ts slow(): parsePostfix() with exactly parseLine()'s arguments, then add(); the tests
 * fastBytes made (message kind, first ": ") are the ones parsePostfix() makes, so it is told their
 * answer (parsePostfixKnown).
 */
function slowB(known: number, text: string, e: number, hd: Head, sp: number, colon: number, r: number, t: number, agg: LogAggregator): typeof HANDLED {
  agg.add(parsePostfixKnown(known, hd.service as string, hd.program, text.slice(colon + 2, e), r - colon - 2, t, hd.host, text.slice(sp + 1, colon)), '');
  return HANDLED;
}

/** fast.ts field() on bytes: the end of "[^,]+, " at `from` (the index after ", "), or -1. */
function fieldB(u: Uint8Array, from: number, e: number): number {
  const comma = findB(u, from, e, 44);
  return comma > from && comma + 1 < e && u[comma + 1] === 32 ? comma + 2 : -1;
}

/**
 * fast.ts sentLine() on bytes: the same shape accepted (see there why exactly this one), counted
 * with addSentAt() on positions instead of substrings.
 */
function sentBytes(text: string, u: Uint8Array, e: number, hd: Head, m0: number, c: number, r: number, t: number, agg: LogAggregator, qid: boolean): boolean {
  if (!qid && !isQidB(u, m0, c)) return false;
  const toStart = r + 4;
  const gt = findB(u, toStart, e, 62);
  if (gt < 0 || gt + 2 >= e || u[gt + 1] !== 44 || u[gt + 2] !== 32) return false;
  let q = gt + 3;
  if (eqAt(u, q, e, ORIG_TO)) {
    const g2 = findB(u, q + 9, e, 62);
    if (g2 < 0 || g2 + 2 >= e || u[g2 + 1] !== 44 || u[g2 + 2] !== 32) return false;
    q = g2 + 3;
  }
  if (!eqAt(u, q, e, RELAY)) return false;
  const relayStart = q + 6;
  q = fieldB(u, relayStart, e);
  if (q < 0) return false;
  const relayEnd = q - 2;
  if (eqAt(u, q, e, CONN_USE) && (q = fieldB(u, q + 9, e)) < 0) return false;
  if (!eqAt(u, q, e, DELAY) || (q = fieldB(u, q + 6, e)) < 0) return false;
  if (eqAt(u, q, e, DELAYS) && (q = fieldB(u, q + 7, e)) < 0) return false;
  if (eqAt(u, q, e, DSN) && (q = fieldB(u, q + 4, e)) < 0) return false;
  if (!eqAt(u, q, e, STATUS_SENT)) return false;
  q += 11;
  if (q < e && u[q] !== 32) return false;
  // No CR in the rest (ASCII bytes hold no U+2028/U+2029), and no "forwarded as ". (Searching
  // each read chunk for both instead cost more than it saved: V8's Boyer-Moore-Horspool search
  // for "forwarded as " took 161 M instructions on the 1M-line log, cachegrind.) Whole words that
  // hold neither a CR nor an "f" are skipped (the zero-byte test of findB, for both bytes at once).
  let i = q;
  while (i + 4 <= e) {
    const x = dv.getInt32(i, true);
    const cr = x ^ 0x0d0d0d0d;
    const f = x ^ 0x66666666;
    if (((((cr - 0x01010101) & ~cr) | ((f - 0x01010101) & ~f)) & 0x80808080) !== 0) break;
    i += 4;
  }
  for (; i < e; i++) {
    const ch = u[i];
    if (ch === 13) return false;
    if (ch === 102 /* f */ && eqAt(u, i, e, FORWARDED)) return false;
  }
  let at = -1;
  for (let i = gt - 1; i >= toStart; i--) {
    if (u[i] === 64 /* @ */) {
      at = i;
      break;
    }
  }
  if (at >= 0) {
    for (let i = at + 1; i < gt; i++) {
      const ch = u[i]!;
      if (ch >= 65 && ch <= 90) return false;
    }
  }
  const lb = findB(u, relayStart, relayEnd, 91);
  const rb = lb >= 0 ? findB(u, lb + 1, relayEnd, 93) : -1;
  agg.addSentAt(t, hd.host, text, u, m0, c, toStart, gt, at >= 0 ? at + 1 : gt, gt, relayStart, lb, rb < 0 ? relayEnd : rb, relayEnd);
  return true;
}
