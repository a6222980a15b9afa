/**
 * Fold LogEvents into bounded counters: the whole state of `mxprobe logs`.
 *
 * Memory is flat in the number of lines: every map is keyed by something whose cardinality is a
 * property of the mail system (relays, destination domains, MX hosts, causes, HELO names, hours),
 * never of the log length, and every map has a cap with an overflow counter reported in `limits`.
 * The per-message map (queue ids with a deferral, each with its recipients still deferred) holds
 * only messages in flight: an entry goes when Postfix logs "QID: removed" (Exim "Completed"), and
 * past the cap the oldest goes, counted, so a deferred-then-delivered message is recognised unless
 * more than the cap were in flight at once.
 */
import { byCodeUnits } from '../report/order.js';
import { classify } from '../analysis/classify.js';
import { parseHelo } from '../analysis/helo-name.js';
import type { Cause, Stage } from '../results.js';
import type { DeliveryEvent, LogEvent, RejectCheck, RejectEvent, SpamEvent } from './events.js';
import { isHostnameSymbol } from './spam.js';

export type Bucket = 'hour' | 'day';

export interface AggregateOptions {
  bucket: Bucket;
  since: number | null;
  until: number | null;
  /** Unparsed-line examples kept (default 5). */
  examples?: number;
}

/** Caps (exported for tests and the README). */
export const LIMITS = {
  inFlight: 200_000,
  destinations: 20_000,
  mxPerDestination: 32,
  relays: 1_000,
  refusals: 50_000,
  replies: 5_000,
  heloNames: 10_000,
  symbols: 2_000,
  buckets: 20_000,
  classifyCache: 10_000,
  exampleChars: 300,
} as const;

/** Causes that are about our HELO name or our reverse DNS: they stand out in reports and feed --emit-targets. */
export const HELO_PTR_CAUSES: ReadonlySet<Cause> = new Set<Cause>(['helo-missing', 'helo-syntax', 'helo-not-fqdn', 'helo-not-resolving', 'helo-mismatch', 'helo-policy', 'no-ptr', 'fcrdns-fail']);

export interface Counts {
  sent: number;
  /** Recipients deferred at least once (each counted once however often it was retried). */
  deferred: number;
  /** Deferral attempts (every status=deferred line). */
  deferrals: number;
  bounced: number;
  /** Recipients delivered after at least one deferral. */
  deliveredAfterDeferral: number;
}

export interface DestState extends Counts {
  causes: Map<Cause, number>;
  mx: Map<string, MxState>;
  /** The MX record (and its key in `mx`) the last delivery used: most destinations have one MX. */
  lastMxKey: string | null;
  lastMx: MxState | undefined;
}
export interface MxState extends Counts {
  host: string | null;
  ip: string | null;
}
export interface RelayState extends Counts {
  causes: Map<Cause, number>;
  rejected: number;
}
export interface ReplyState {
  count: number;
  cause: Cause;
  stage: string | null;
  code: number | null;
  enhanced: string | null;
  example: string;
}
/** One memoised reply of LogAggregator.refusal(). */
interface RefusalMemo {
  stage: string | null;
  code: number | null;
  enhanced: string | null;
  cause: Cause;
  p: ReplyState | null;
}
export interface BucketState {
  received: number;
  delivered: number;
  deferrals: number;
  bounced: number;
  rejected: number;
}

/*
 * The counter records are written as whole object literals, not `{ ...counts(), more }`: V8 gave
 * nearly every spread-built record its own hidden class (on the 1M-line bench 890 destinations had
 * 880 maps, 1,176 MX records 1,148), so each `d.sent++` went through a megamorphic inline cache and
 * a runtime lookup (Runtime_LoadIC_Miss under perf).
 */
function newDest(): DestState {
  return { sent: 0, deferred: 0, deferrals: 0, bounced: 0, deliveredAfterDeferral: 0, causes: new Map(), mx: new Map(), lastMxKey: null, lastMx: undefined };
}
function newRelay(): RelayState {
  return { sent: 0, deferred: 0, deferrals: 0, bounced: 0, deliveredAfterDeferral: 0, causes: new Map(), rejected: 0 };
}
function newMx(host: string | null, ip: string | null): MxState {
  return { sent: 0, deferred: 0, deferrals: 0, bounced: 0, deliveredAfterDeferral: 0, host, ip };
}

/**
 * The order of names in reports: by UTF-16 code units (report/order.ts), the same on every machine; no ICU collator
 * load (71 M instructions, 1% of a 1M-line run).
 */
export { byCodeUnits };

/** The share accepted among final outcomes: sent / (sent + bounced); null when neither happened. */
/**
 * b[field]++ with the field named in code: `b[field]` with a variable key went through V8's
 * megamorphic keyed load and store (five names), ~70 M instructions on the 1M-line log. Inlined
 * into a caller that passes a constant, the switch folds away.
 */
function countIn(b: BucketState, field: keyof BucketState): void {
  switch (field) {
    case 'received':
      b.received++;
      return;
    case 'delivered':
      b.delivered++;
      return;
    case 'deferrals':
      b.deferrals++;
      return;
    case 'bounced':
      b.bounced++;
      return;
    case 'rejected':
      b.rejected++;
      return;
  }
}

export function acceptanceRate(c: Pick<Counts, 'sent' | 'bounced'>): number | null {
  const d = c.sent + c.bounced;
  return d === 0 ? null : Math.round((c.sent / d) * 10000) / 10000;
}

/**
 * Replace what differs per message in a reply so that identical refusals group: addresses in <>,
 * IP addresses, queue ids and other digit-bearing tokens (pflogsumm keeps them, so thousands of its
 * reason lines carry a count of 1).
 */
export function normaliseReply(text: string): string {
  const hit = normalised.get(text);
  if (hit !== undefined) return hit;
  let s = normaliseUncached(text);
  if (text.length <= NORMALISED_MAX_TEXT) {
    s = detach(s); // (it may be a view of the read chunk: see detach)
    if (normalised.size >= NORMALISED_CACHE) normalised.clear();
    normalised.set(detach(text), s);
  }
  return s;
}

/**
 * Replies repeat (the same greylisting or "no PTR" text thousands of times): normaliseReply is
 * memoised by its exact input, bounded (at most 2,048 texts of up to 600 characters, cleared when
 * full: a few MB at worst, flat whatever the log size).
 */
const NORMALISED_CACHE = 2048;
const NORMALISED_MAX_TEXT = 600;
const normalised = new Map<string, string>();

/** True when /\s+/g -> ' ' would change `s`: some whitespace other than a lone space. */
const ODD_SPACE = /\s\s|[^\S ]/;

function normaliseUncached(text: string): string {
  let s = text.length > 1000 ? text.slice(0, 1000) : text;
  // Each replacement runs only when a character it needs is there: the same result, without
  // scanning (and copying) the reply seven times.
  if (s.includes('@')) s = s.replace(/<[^<>\s]*@[^<>\s]*>/g, '<addr>').replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, 'addr');
  s = s.replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, 'IP');
  if (s.includes('connect to ')) s = s.replace(/\bconnect to [^\s[]+\[/g, 'connect to HOST[');
  if (s.includes(':')) s = s.replace(/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b/gi, 'IP');
  s = s.replace(/(?<![\w.])(?=[\w./=+-]*\d)[\w./=+-]{8,}(?![\w])/g, (t) => (/^https?:|^\d\.\d+\.\d+$/.test(t) || /^[a-z]+\.[a-z.]+$/i.test(t) ? t : '#'));
  if (ODD_SPACE.test(s)) s = s.replace(/\s+/g, ' ');
  s = s.trim();
  return s.length > LIMITS.exampleChars ? s.slice(0, LIMITS.exampleChars) : s;
}

/**
 * A copy of `s` that shares no memory with the line it came from. V8 makes substrings as views of
 * their parent string: a map key sliced from a line would keep that line's whole 1 MiB read chunk
 * alive for the rest of the run (2,000 destination keys can pin 2,000 chunks). Every string stored
 * in a long-lived map goes through here once, when its entry is created.
 */
export function detach(s: string): string {
  const n = s.length;
  if (n === 0) return '';
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) break;
    i++;
  }
  if (i === n) {
    // No UTF-16 surrogate: the UTF-8 round trip below would give the same characters. V8 copies
    // substrings shorter than 13 characters (SlicedString::kMinLength) instead of making views, so
    // a short one is detached already (queue ids, IPs, most HELO names); a longer one is copied by
    // own() (a flattened concatenation), several times cheaper than a Buffer round trip.
    return own(s);
  }
  // A surrogate: the round trip turns a lone one into U+FFFD (what every key stored so far holds).
  return Buffer.from(s, 'utf8').toString('utf8');
}

/**
 * A 16-bit hash of the characters text[a, b) (keyHash of the same characters as a string gives the
 * same value), for Bounded's filter: computed in place on the read chunk, it needs no substring.
 * Only the last 12 characters count: all of a queue id, and the "smtpd[pid]" end of a session key
 * ("relay1 postfix/smtpd[6692]"), where its keys differ.
 */
export function rangeHash(text: string, a: number, b: number): number {
  let h = 0;
  for (let i = b - a > 12 ? b - 12 : a; i < b; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h ^ (h >>> 16)) & 0xffff;
}
/** rangeHash() of ASCII bytes u[a, b): the same value as of the characters they are. */
export function rangeHashBytes(u: Uint8Array, a: number, b: number): number {
  let h = 0;
  for (let i = b - a > 12 ? b - 12 : a; i < b; i++) h = (Math.imul(h, 31) + u[i]!) | 0;
  return (h ^ (h >>> 16)) & 0xffff;
}
export function keyHash(k: string): number {
  return rangeHash(k, 0, k.length);
}

/**
 * Bounded FIFO set/map: insertion order is age; past the cap the oldest entry goes.
 *
 * Most lookups here miss (a "removed" or "disconnect" line for a message or session that never
 * needed remembering), and a Map lookup on a fresh string pays for hashing it in the runtime and
 * for a probe in a table that does not fit the cache. `filter` counts the keys held per 16-bit
 * hash (rangeHash), so a zero answers "not held" from 64 KiB; a count that reaches 255 stays there
 * (it may then say "maybe" wrongly, never "no" wrongly). Every change of `map` goes through set(),
 * setDetached(), delete() or deleteH() to keep the counts.
 */
export class Bounded<V> {
  readonly map = new Map<string, V>();
  private readonly filter = new Uint8Array(1 << 16);
  evicted = 0;
  /** Evictions of an entry for which `live` (a constructor argument) said true. */
  evictedLive = 0;
  /** The most entries held at once (a parallel range's merge checks that no eviction could have happened). */
  peak = 0;
  constructor(
    private readonly cap: number,
    private readonly live: ((v: V) => boolean) | null = null,
  ) {}
  set(k: string, v: V): void {
    // The very key stored: delete() hashes the same characters.
    this.setDetached(detach(k), v);
  }
  /** set() of a key that is its own detach() already (the caller made it): stored as it is. */
  setDetached(key: string, v: V): void {
    if (this.map.size >= this.cap && !this.map.has(key)) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) {
        const ov = this.map.get(oldest) as V;
        if (this.live !== null && this.live(ov)) this.evictedLive++;
        this.delete(oldest);
      }
      this.evicted++;
    }
    const before = this.map.size;
    this.map.set(key, v);
    if (this.map.size > before) {
      const h = keyHash(key);
      const n = this.filter[h] as number;
      if (n < 255) this.filter[h] = n + 1;
    }
    if (this.map.size > this.peak) this.peak = this.map.size;
  }
  delete(k: string): void {
    this.deleteH(k, keyHash(k));
  }
  /** delete() of a key whose keyHash the caller has: `h` must be keyHash(k). */
  deleteH(k: string, h: number): void {
    if (!this.map.delete(k)) return;
    const n = this.filter[h] as number;
    if (n < 255) this.filter[h] = n - 1;
  }
  /** False when no key with this rangeHash is held. */
  mayHold(h: number): boolean {
    return this.filter[h] !== 0;
  }
}

/**
 * A Bloom filter of strings (fixed memory; has() may say yes wrongly, never no wrongly): the queue
 * ids and sessions a parallel range assumed new, checked at the merge against what the range before
 * it left open.
 */
export class Bloom {
  readonly bits: Uint32Array;
  private readonly mask: number;
  constructor(bits: Uint32Array | number) {
    this.bits = typeof bits === 'number' ? new Uint32Array(1 << (bits - 5)) : bits;
    this.mask = this.bits.length * 32 - 1;
  }
  /** Two 32-bit hashes of `s` in one pass (FNV-1a and a multiplicative one), for double hashing. */
  private h1 = 0;
  private h2 = 0;
  private hash(s: string): void {
    let a = 0x811c9dc5 | 0;
    let b = 0x9e3779b1 | 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b + c, 0x85ebca6b) ^ (b >>> 13);
    }
    b ^= b >>> 16;
    this.h1 = a;
    this.h2 = b | 1;
  }
  add(s: string): void {
    this.hash(s);
    for (let k = 0; k < 3; k++) {
      const p = (this.h1 + Math.imul(k, this.h2)) & this.mask;
      this.bits[p >>> 5]! |= 1 << (p & 31);
    }
  }
  has(s: string): boolean {
    this.hash(s);
    for (let k = 0; k < 3; k++) {
      const p = (this.h1 + Math.imul(k, this.h2)) & this.mask;
      if ((this.bits[p >>> 5]! & (1 << (p & 31))) === 0) return false;
    }
    return true;
  }
}

/**
 * What a range of a log that does not start at the beginning (a parallel range, run.ts) cannot
 * decide alone: the counters that depend on state left by earlier lines, keyed by queue id
 * (deferred-then-delivered, first deferral) or by smtpd session (one HELO per session). Those
 * operations are recorded in order and replayed at the merge against the real state there:
 *   ['s', qid, to, relay, domain, mxKey]  status=sent: was the recipient deferred before?
 *   ['f', qid, to, relay, domain, mxKey]  status=deferred: first deferral of the message / recipient?
 *   ['t', qid, to]                        bounced/expired: forget the recipient's deferral
 *   ['r', qid]                            qmgr removed
 *   ['h', relay, session, helo]           a HELO seen in a session
 *   ['e', key]                            the session's disconnect
 * A queue id or session whose birth the range saw (smtpd client= / pickup, smtpd connect) is counted
 * in place, assumed new; the merge checks that assumption (Bloom filter) against what the range
 * before left open and refuses the merge when it may be wrong.
 */
export type RangeOp =
  | ['s' | 'f', string, string, string, string, string | null]
  | ['t', string, string]
  | ['r', string]
  | ['h', string, string, string]
  | ['e', string];

/** Recorded operations kept at most (a log without births or removals would record every delivery). */
const RANGE_OPS_CAP = 100_000;

/**
 * A copy of a (short) string that does not keep its read chunk alive, with exactly the same code
 * units: the concatenation is flattened into a fresh string, which the slice then views. (detach()
 * goes through UTF-8 and would change a lone surrogate; recorded operations must replay the very
 * strings the sequential count would have used.)
 */
function own(s: string): string {
  return s.length < 13 ? s : ` ${s}`.slice(1);
}
const RANGE_LOCAL_CAP = 200_000;

class RangeTail {
  readonly localQids = new Set<string>();
  readonly openQids = new Set<string>();
  readonly localSessions = new Set<string>();
  readonly openSessions = new Set<string>();
  readonly ops: RangeOp[] = [];
  readonly bornQids: Bloom;
  readonly bornSessions: Bloom;
  /** Why this range cannot be merged (it gave up counting alone), or null. */
  overflow: string | null = null;
  constructor(bloomBits: number) {
    this.bornQids = new Bloom(bloomBits);
    // Checked only against the sessions open at the cut (a handful, where queue ids are thousands).
    this.bornSessions = new Bloom(Math.min(bloomBits, 20));
  }
  rec(op: RangeOp): void {
    if (this.ops.length >= RANGE_OPS_CAP) {
      this.overflow = 'the range recorded too many operations';
      return;
    }
    this.ops.push(op);
  }
  /** Record an operation on a queue id that is not local. */
  qid(op: RangeOp, qid: string): void {
    if (op[0] === 'r') this.openQids.delete(qid);
    else this.openQids.add(qid);
    this.rec(op);
  }
  bornQid(qid: string): void {
    if (this.openQids.has(qid) || this.localQids.has(qid)) return;
    const q = own(qid);
    this.localQids.add(q);
    this.bornQids.add(q);
    if (this.localQids.size > RANGE_LOCAL_CAP) this.overflow = 'too many queue ids open in the range';
  }
  bornSession(key: string): void {
    if (this.openSessions.has(key) || this.localSessions.has(key)) return;
    const k = own(key);
    this.localSessions.add(k);
    this.bornSessions.add(k);
    if (this.localSessions.size > RANGE_LOCAL_CAP) this.overflow = 'too many sessions open in the range';
  }
}

/** A range's whole state, as a structured-cloneable object (worker_threads postMessage). */
export interface RangeSnapshot {
  totals: LogSummary['totals'];
  dests: Map<string, DestState>;
  destOverflow: number;
  relays: Map<string, RelayState>;
  refusals: Map<string, { deferrals: number; bounced: number }>;
  refusalsOverflow: number;
  replies: Map<string, ReplyState>;
  repliesOverflow: number;
  /** Queue id -> its recipients still deferred (see LogAggregator.msgs). */
  msgs: Map<string, string[]>;
  msgsPeak: number;
  msgsEvicted: number;
  rejectsByCheck: Map<RejectCheck, number>;
  rejectsByService: Map<string, { count: number }>;
  inboundRejected: number;
  inboundWarnings: number;
  sessions: Map<string, string>;
  sessionsPeak: number;
  sessionsEvicted: number;
  heloNames: Map<string, { count: number; form: string }>;
  heloOverflow: number;
  heloObserved: number;
  heloInvalid: number;
  heloNonFqdn: number;
  symbols: Map<string, { count: number; score: number; scored: number }>;
  scanned: { rspamd: number; spamassassin: number };
  buckets: Map<number, BucketState>;
  bucketsDropped: number;
  first: number | null;
  last: number | null;
  unparsed: number;
  examples: string[];
  total: number;
  other: number;
  outOfRange: number;
  capped: number;
  ops: RangeOp[];
  bornQids: Uint32Array;
  bornSessions: Uint32Array;
  overflow: string | null;
}

export interface HeloRuleShare {
  rule: 'reject_invalid_helo_hostname' | 'reject_non_fqdn_helo_hostname';
  failing: number;
  observed: number;
  share: number | null;
}

export interface LogSummary {
  totals: { received: number; delivered: number; deferred: number; deferrals: number; bounced: number; rejected: number; forwarded: number; expired: number; deliveredAfterDeferral: number };
  relays: Array<{ relay: string; sent: number; deferred: number; deferrals: number; bounced: number; deliveredAfterDeferral: number; acceptanceRate: number | null; rejected: number; causes: Record<string, number> }>;
  destinations: Array<{
    domain: string;
    sent: number;
    deferred: number;
    deferrals: number;
    bounced: number;
    deliveredAfterDeferral: number;
    acceptanceRate: number | null;
    causes: Record<string, number>;
    mx: Array<{ host: string | null; ip: string | null; sent: number; deferred: number; deferrals: number; bounced: number; acceptanceRate: number | null }>;
  }>;
  /** relay × destination × cause: "relay2 is refused by outlook.com for no-ptr" is one entry. */
  refusals: Array<{ relay: string; domain: string; cause: Cause; heloOrPtr: boolean; deferrals: number; bounced: number }>;
  /** Distinct refusal replies (normalised), most frequent first. */
  replies: Array<{ text: string; count: number; cause: Cause; stage: string | null; code: number | null; enhanced: string | null }>;
  inbound: {
    rejected: number;
    warnings: number;
    rejects: Record<string, number>;
    byService: Array<{ service: string; relay: string; check: RejectCheck; count: number }>;
    heloNames: Array<{ name: string; count: number; form: string }>;
    heloObserved: number;
    heloRules: HeloRuleShare[];
  };
  spam: { scanned: { rspamd: number; spamassassin: number }; symbols: Record<string, { count: number; score: number | null }> };
  time: { bucket: Bucket; first: string | null; last: string | null; series: Array<{ start: string; received: number; delivered: number; deferrals: number; bounced: number; rejected: number; acceptanceRate: number | null }> };
  unparsed: { count: number; examples: string[] };
  lines: { total: number; parsed: number; other: number; outOfRange: number; capped: number };
  limits: { inFlightEvicted: number; deferredQueueIdsEvicted: number; destinationsOverflow: number; refusalsOverflow: number; repliesOverflow: number; heloNamesOverflow: number };
}

/** True when s holds a UTF-16 surrogate code unit (what detach() checks before it copies). */
function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/** s === the characters of the ASCII bytes u[a, b). */
function sameChars(s: string, u: Uint8Array, a: number, b: number): boolean {
  if (s.length !== b - a) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== u[a + i]) return false;
  return true;
}

/**
 * A map by three strings, as nested Maps: the names come from the line (the relay from the
 * header table, the cause and check as constants), so their hashes are mostly cached in the
 * strings already, where a joined key is a fresh string to build, flatten and hash on every line.
 */
class Key3<V> {
  private readonly m = new Map<string, Map<string, Map<string, V>>>();
  get(a: string, b: string, c: string): V | undefined {
    return this.m.get(a)?.get(b)?.get(c);
  }
  set(a: string, b: string, c: string, v: V): void {
    let mb = this.m.get(a);
    if (mb === undefined) this.m.set(detach(a), (mb = new Map()));
    let mc = mb.get(b);
    if (mc === undefined) mb.set(detach(b), (mc = new Map()));
    mc.set(detach(c), v);
  }
}

const OTHER_DOMAINS = '(other domains)';
/** Slots of the in-place destination index (destAt) at first: it doubles when half full. */
const DEST_INDEX_MIN = 1 << 10;

export class LogAggregator {
  private readonly opts: Required<AggregateOptions>;
  private totals = { received: 0, delivered: 0, deferred: 0, deferrals: 0, bounced: 0, rejected: 0, forwarded: 0, expired: 0, deliveredAfterDeferral: 0 };
  private readonly dests = new Map<string, DestState>();
  private destOverflow = 0;
  private readonly relays = new Map<string, RelayState>();
  private readonly refusals = new Map<string, { deferrals: number; bounced: number }>();
  private refusalsOverflow = 0;
  private readonly replies = new Map<string, ReplyState>();
  private repliesOverflow = 0;
  private readonly classifyCache = new Map<string, Cause>();
  /**
   * Queue id of a message deferred at least once -> its recipients deferred and not yet final
   * (messages in flight only). One entry per message holds both facts, set at its first deferral
   * and deleted once, at "removed": two maps (deferred queue ids; pending recipients) cost a set and
   * a delete each per deferred message, and two filter checks on every "removed" line. An entry whose
   * list is empty stays: the message was deferred (pflogsumm counts it once however often).
   */
  private readonly msgs = new Bounded<string[]>(LIMITS.inFlight, (list) => list.length > 0);
  private readonly rejectsByCheck = new Map<RejectCheck, number>();
  private readonly rejectsByService = new Map<string, { count: number }>();
  /**
   * The records of `refusals` and `rejectsByService` by the three names of their keys: a line finds
   * its record without building and hashing the joined key. A miss looks the joined key up (a
   * merged range adds records under it) and remembers what it found; nothing is remembered past
   * the caps, so an overflow is counted as before.
   */
  private readonly refusalAt = new Key3<{ deferrals: number; bounced: number }>();
  private readonly rejectAt = new Key3<{ count: number }>();
  private inboundRejected = 0;
  private inboundWarnings = 0;
  /** Open smtpd sessions (relay + "postfix/smtpd[pid]") -> the HELO already counted for it. */
  private readonly sessions = new Bounded<string>(LIMITS.heloNames);
  private readonly heloNames = new Map<string, { count: number; form: string }>();
  private heloOverflow = 0;
  private heloObserved = 0;
  private heloInvalid = 0;
  private heloNonFqdn = 0;
  private readonly symbols = new Map<string, { count: number; score: number; scored: number }>();
  private scanned = { rspamd: 0, spamassassin: 0 };
  private readonly buckets = new Map<number, BucketState>();
  private bucketsDropped = 0;
  /** Set for a range that does not start the log (a parallel range): see RangeTail. */
  private tail: RangeTail | null = null;
  private lastBucketKey = NaN;
  private lastBucket: BucketState | null = null;
  private first: number | null = null;
  private last: number | null = null;
  private unparsed = 0;
  private readonly examples: string[] = [];
  private total = 0;
  private other = 0;
  private outOfRange = 0;
  private capped = 0;

  constructor(opts: AggregateOptions) {
    this.opts = { examples: 5, ...opts };
  }

  /** Count one line; `line` is only kept (capped) when it is an unparsed example. */
  add(ev: LogEvent, line: string): void {
    this.total++;
    if (ev.kind === 'unknown') {
      this.unparsed++;
      if (this.examples.length < this.opts.examples) this.examples.push(detach(line.length > LIMITS.exampleChars ? `${line.slice(0, LIMITS.exampleChars)}…` : line));
      return;
    }
    const t = ev.time;
    if (t !== null) {
      if ((this.opts.since !== null && t < this.opts.since) || (this.opts.until !== null && t >= this.opts.until)) {
        this.outOfRange++;
        return;
      }
    } else if (this.opts.since !== null || this.opts.until !== null) {
      // A line without a readable time cannot be placed inside --since/--until: leave it out, counted.
      this.outOfRange++;
      return;
    }
    if (t !== null) {
      if (this.first === null || t < this.first) this.first = t;
      if (this.last === null || t > this.last) this.last = t;
    }
    switch (ev.kind) {
      case 'delivery':
        this.delivery(ev);
        return;
      case 'received':
        if (this.tail !== null) this.tail.bornQid(ev.queueId);
        this.totals.received++;
        if (ev.helo !== null) this.helo(ev.helo);
        this.bucket(t, 'received');
        return;
      case 'reject':
        this.reject(ev);
        return;
      case 'helo':
        this.helo(ev.helo, ev.relay, ev.session);
        return;
      case 'queue-removed':
        // The message is done: forget its queue id (memory holds messages in flight only). A
        // recipient still listed as deferred here was never final in this log (lost, or expired
        // without a status line): it stays counted as deferred, not delivered.
        this.removed(ev.queueId);
        this.other++;
        return;
      case 'session-end':
        this.sessionEnd(`${ev.relay} ${ev.session}`);
        this.other++;
        return;
      case 'spam':
        this.spam(ev);
        return;
      case 'other':
        this.other++;
        return;
    }
  }

  /**
   * The fast path's entries (fast.ts): the same counting as add() for an event of these kinds, without
   * building the event. `t` is always a real time there (a classic stamp). admit() is add()'s prologue.
   */
  private admit(t: number): boolean {
    this.total++;
    if ((this.opts.since !== null && t < this.opts.since) || (this.opts.until !== null && t >= this.opts.until)) {
      this.outOfRange++;
      return false;
    }
    if (this.first === null || t < this.first) this.first = t;
    if (this.last === null || t > this.last) this.last = t;
    return true;
  }
  /** add() of an 'other' event. */
  addOther(t: number): void {
    if (this.admit(t)) this.other++;
  }
  /** add() of a Postfix 'received' event (its null HELO is not used; its queue id only by a parallel range). */
  addReceived(t: number): void {
    if (!this.admit(t)) return;
    this.totals.received++;
    this.bucket(t, 'received');
  }
  /** add() of a 'queue-removed' event for the queue id text[a, b) (sliced only when it may be held). */
  addRemoved(t: number, text: string, a: number, b: number): void {
    if (!this.admit(t)) return;
    this.other++;
    if (this.tail === null) {
      const h = rangeHash(text, a, b);
      if (!this.msgs.mayHold(h)) return;
    }
    this.removed(text.slice(a, b));
  }
  /**
   * add() of a 'session-end' event; the key text[a, b) is `${relay} ${session}` (the line's "host
   * tag[pid]"), sliced only when a session with its hash is open.
   */
  addSessionEnd(t: number, text: string, a: number, b: number): void {
    if (!this.admit(t)) return;
    this.other++;
    if (this.tail === null && !this.sessions.mayHold(rangeHash(text, a, b))) return;
    this.sessionEnd(text.slice(a, b));
  }

  /**
   * The byte-level fast path's entries (fastbytes.ts): addRemoved() and addSessionEnd() with the
   * key's rangeHash computed in place on the bytes. (A parallel range must see every key: an
   * unknown one is recorded for the merge.)
   */
  addRemovedH(t: number, h: number, text: string, a: number, b: number): void {
    if (!this.admit(t)) return;
    this.other++;
    if (this.tail === null && !this.msgs.mayHold(h)) return;
    this.removed(text.slice(a, b), h);
  }
  addSessionEndH(t: number, h: number, text: string, a: number, b: number): void {
    if (!this.admit(t)) return;
    this.other++;
    if (this.tail === null && !this.sessions.mayHold(h)) return;
    this.sessionEnd(text.slice(a, b), h);
  }

  /**
   * addSent() on positions of the line text[..] = u[..] (ASCII): queue id [qa, qb), recipient
   * [ta, tb) (its domain already lower case), domain [da, db), relay= field [ra, re) with "[" at
   * lb (or -1) and the address up to ie. The same counting, without the substrings: the domain is
   * found in place (destAt), the queue id and recipient are sliced only when a deferral may be
   * pending for that queue id, the MX host only when its record is made.
   */
  addSentAt(t: number, relay: string, text: string, u: Uint8Array, qa: number, qb: number, ta: number, tb: number, da: number, db: number, ra: number, lb: number, ie: number, re: number): void {
    if (!this.admit(t)) return;
    const rs = this.relay(relay);
    const d = this.destAt(text, u, da, db);
    let mx: MxState | undefined;
    let key: string | null;
    // The MX address in "[...]" is compared in place with the key of the destination's last
    // delivery (nearly always the same): `d.lastMxKey === ip` without slicing the address out of
    // every sent line.
    const last = d.lastMxKey;
    if (lb >= 0 && last !== null && sameChars(last, u, lb + 1, ie)) {
      key = last;
      mx = d.lastMx;
    } else {
      const ip = lb >= 0 ? text.slice(lb + 1, ie) : null;
      key = ip;
      if (key === null) {
        const host = text.slice(ra, re);
        key = host === 'none' ? null : host;
      }
      if (key !== null) {
        if (d.lastMxKey === key) mx = d.lastMx;
        else {
          const host = lb >= 0 ? text.slice(ra, lb) : key;
          mx = this.mxOf(d, host === 'none' ? null : host, ip);
        }
      }
    }
    this.totals.delivered++;
    this.bucket(t, 'delivered');
    rs.sent++;
    d.sent++;
    if (mx) mx.sent++;
    const tail = this.tail;
    if (tail !== null) {
      // sent() on a parallel range: a queue id not born here is recorded, with the strings sent()
      // would record (addSent's relay, the line's domain, the MX key mxOf used).
      const qid = text.slice(qa, qb);
      if (!tail.localQids.has(qid)) {
        tail.qid(['s', own(qid), own(text.slice(ta, tb)), own(relay), own(text.slice(da, db)), mx ? own(key as string) : null], qid);
        return;
      }
    }
    const h = rangeHashBytes(u, qa, qb);
    if (!this.msgs.mayHold(h)) return;
    if (this.takePending(text.slice(qa, qb), text.slice(ta, tb), h)) {
      this.totals.deliveredAfterDeferral++;
      rs.deliveredAfterDeferral++;
      d.deliveredAfterDeferral++;
      if (mx) mx.deliveredAfterDeferral++;
    }
  }

  /**
   * dest() of the domain u[a, b) (ASCII), found in place: an open-addressing index of the
   * destinations by a hash of their bytes, each entry checked byte for byte. A miss goes through
   * dest() with the substring, and the domain joins the index only when dest() stored it under its
   * own name (not "(other domains)" past the cap). Entries of `dests` are never replaced, so an
   * indexed record stays the right one.
   */
  private destIdx = new Int32Array(DEST_INDEX_MIN);
  private readonly destIdxKeys: Uint8Array[] = [];
  private readonly destIdxHashes: number[] = [];
  private readonly destIdxVals: DestState[] = [];
  private destAt(text: string, u: Uint8Array, a: number, b: number): DestState {
    let h = 0x811c9dc5 | 0;
    for (let i = a; i < b; i++) h = Math.imul(h ^ u[i]!, 0x01000193);
    const idx = this.destIdx;
    const mask = idx.length - 1;
    let slot = (h ^ (h >>> 15)) & mask;
    const n = b - a;
    for (;;) {
      const at = idx[slot]!;
      if (at === 0) break;
      if (this.destIdxHashes[at - 1] === h) {
        const k = this.destIdxKeys[at - 1]!;
        if (k.length === n) {
          let j = 0;
          while (j < n && k[j] === u[a + j]) j++;
          if (j === n) return this.destIdxVals[at - 1]!;
        }
      }
      slot = (slot + 1) & mask;
    }
    const domain = text.slice(a, b);
    const d = this.dest(domain);
    if (this.dests.get(domain) === d && this.destIdxVals.length < LIMITS.destinations + 1) {
      this.destIdxKeys.push(Uint8Array.prototype.slice.call(u, a, b)); // (a copy: Buffer#slice would be a view pinning the chunk)
      this.destIdxHashes.push(h);
      this.destIdxVals.push(d);
      idx[slot] = this.destIdxVals.length;
      // At most half full: a small table stays in the cache (most logs have a few hundred domains).
      if (this.destIdxVals.length * 2 > idx.length) {
        const big = new Int32Array(idx.length * 2);
        const m2 = big.length - 1;
        for (let e = 0; e < this.destIdxHashes.length; e++) {
          const hh = this.destIdxHashes[e]!;
          let sl = (hh ^ (hh >>> 15)) & m2;
          while (big[sl] !== 0) sl = (sl + 1) & m2;
          big[sl] = e + 1;
        }
        this.destIdx = big;
      }
    }
    return d;
  }

  /** True for a parallel range (see startRange): the fast path then reports births. */
  get ranged(): boolean {
    return this.tail !== null;
  }
  /** A parallel range: smtpd client= / pickup named a new queue id (the fast path; add() sees it in the event). */
  bornQid(qid: string): void {
    this.tail?.bornQid(qid);
  }
  /**
   * A parallel range gives up (the run then reads it on the main thread): a journald JSON line may
   * hold a lone surrogate (a JSON escape), which detach() changes, so map keys would not be the
   * strings the sequential count looks up.
   */
  refuseRange(): void {
    if (this.tail !== null) this.tail.overflow ??= 'a journald JSON line in the range';
  }
  /** A parallel range: smtpd "connect from" opened session `key` ("host tag[pid]"). */
  bornSession(key: string): void {
    this.tail?.bornSession(key);
  }

  /** `h`, when given, is keyHash(qid). */
  private removed(qid: string, h = -1): void {
    const tail = this.tail;
    if (tail !== null) {
      if (!tail.localQids.has(qid)) {
        tail.qid(['r', own(qid)], qid);
        return;
      }
      tail.localQids.delete(qid);
    }
    if (h < 0) h = keyHash(qid);
    if (this.msgs.mayHold(h)) this.msgs.deleteH(qid, h);
  }

  /** `h`, when given, is keyHash(key). */
  private sessionEnd(key: string, h = -1): void {
    const tail = this.tail;
    if (tail !== null) {
      if (!tail.localSessions.has(key)) {
        tail.openSessions.delete(key);
        tail.rec(['e', own(key)]);
        return;
      }
      tail.localSessions.delete(key);
    }
    if (h < 0) h = keyHash(key);
    if (this.sessions.mayHold(h)) this.sessions.deleteH(key, h);
  }

  /** A line longer than the reader's cap was cut (counted in lines.capped). */
  noteCapped(): void {
    this.capped++;
  }

  private bucket(t: number | null, field: keyof BucketState): void {
    if (t === null) return;
    const size = this.opts.bucket === 'hour' ? 3_600_000 : 86_400_000;
    const key = Math.floor(t / size) * size;
    // Lines come in time order: nearly every line falls in the bucket of the line before.
    if (key === this.lastBucketKey && this.lastBucket !== null) {
      countIn(this.lastBucket, field);
      return;
    }
    let b = this.buckets.get(key);
    // The first calls run all of this branch: a function's feedback vector is allocated only after
    // some calls, and code first run after its callers were optimised (at the log's second hour,
    // the new-bucket code) deoptimised addSentAt, addReceived and reject once each. Setting an
    // entry again with the same value changes nothing (a Map keeps a key's first place).
    const warm = this.bucketWarm > 0;
    if (b === undefined || warm) {
      if (this.buckets.size >= LIMITS.buckets && b === undefined) {
        this.bucketsDropped++;
        return;
      }
      if (b === undefined) b = { received: 0, delivered: 0, deferrals: 0, bounced: 0, rejected: 0 };
      this.buckets.set(key, b);
    }
    if (warm) this.bucketWarm--;
    else this.lastBucketKey = key; // (while warm it stays unset: the next call comes here again)
    this.lastBucket = b;
    countIn(b, field);
  }
  /** Calls of bucket() that run its whole Map branch before it remembers the bucket (see there). */
  private bucketWarm = 64;

  private dest(domain: string): DestState {
    let d = this.dests.get(domain);
    if (d) return d;
    if (this.dests.size >= LIMITS.destinations) {
      this.destOverflow++;
      d = this.dests.get(OTHER_DOMAINS);
      if (d) return d;
    }
    d = newDest();
    this.dests.set(this.dests.size >= LIMITS.destinations ? OTHER_DOMAINS : detach(domain), d);
    return d;
  }

  private relay(name: string): RelayState {
    let r = this.relays.get(name);
    if (r) return r;
    const key = this.relays.size >= LIMITS.relays ? '(other relays)' : detach(name);
    r = this.relays.get(key);
    if (!r) {
      r = newRelay();
      this.relays.set(key, r);
    }
    return r;
  }

  /**
   * The classifier's cause, cached by the NORMALISED reply: per-message tokens (Gmail's
   * "a640c23a62f3a-...si123.45 - gsmtp", queue ids, IPs) would otherwise make every bounce a miss.
   */
  private causeOf(ev: DeliveryEvent, norm: string): Cause {
    const r = ev.reply;
    const stage: Stage | null = r && r.stage !== 'data' ? r.stage : null;
    const code = r ? r.code : null;
    const key = `${stage}|${code}|${r?.enhanced ?? ''}|${norm}`;
    const hit = this.classifyCache.get(key);
    if (hit !== undefined) return hit;
    const cause = classify({ stage, code, enhanced: r?.enhanced ?? null, text: r ? r.text : ev.reason }).cause;
    if (this.classifyCache.size >= LIMITS.classifyCache) {
      this.classifyCache.clear();
      // (The memos repeat this cache's answers: they must forget them with it, see refusal.)
      this.refusalMemo.clear();
      this.normMemo.clear();
    }
    this.classifyCache.set(detach(key), cause);
    return cause;
  }

  private delivery(ev: DeliveryEvent): void {
    if (ev.forwarded) {
      // pflogsumm counts "forwarded as" apart from delivered: the message goes on under a new queue id.
      this.totals.forwarded++;
      return;
    }
    const rs = this.relay(ev.relay);
    const d = this.dest(ev.domain);
    const mxKey = ev.mxIp ?? ev.mxHost;
    const mx = this.mxOf(d, ev.mxHost, ev.mxIp);
    switch (ev.status) {
      case 'sent':
        this.sent(ev.time, rs, d, mx, ev.queueId, ev.to, ev.relay, ev.domain, mxKey);
        return;
      case 'deferred': {
        this.totals.deferrals++;
        this.bucket(ev.time, 'deferrals');
        rs.deferrals++;
        d.deferrals++;
        if (mx) mx.deferrals++;
        if (this.tail !== null && !this.tail.localQids.has(ev.queueId)) {
          this.tail.qid(['f', own(ev.queueId), own(ev.to), own(ev.relay), own(ev.domain), mx ? own(mxKey as string) : null], ev.queueId);
        } else this.firstDeferral(ev.queueId, ev.to, rs, d, mx);
        this.refusal(ev, rs, d, 'deferrals');
        return;
      }
      case 'bounced':
      case 'expired': {
        // status=expired is Postfix's "message expired in the queue" final notice; pflogsumm does not count it as bounced.
        if (ev.status === 'bounced') {
          this.totals.bounced++;
          this.bucket(ev.time, 'bounced');
        } else this.totals.expired++;
        rs.bounced++;
        d.bounced++;
        if (mx) mx.bounced++;
        if (this.tail !== null && !this.tail.localQids.has(ev.queueId)) this.tail.qid(['t', own(ev.queueId), own(ev.to)], ev.queueId);
        else this.takePending(ev.queueId, ev.to);
        this.refusal(ev, rs, d, 'bounced');
        return;
      }
    }
  }

  /**
   * The MX counters of a delivery. Keyed by the MX address (or its name when the log gives none): a
   * concatenated "host[ip]" key would be a fresh cons string per line, which V8 must flatten before
   * it can hash it.
   */
  private mxOf(d: DestState, mxHost: string | null, mxIp: string | null): MxState | undefined {
    const mxKey = mxIp ?? mxHost;
    if (mxKey === null) return undefined;
    // (An entry of `mx` never changes or goes: the one the last delivery found is still right.)
    if (d.lastMxKey === mxKey) return d.lastMx;
    let mx = d.mx.get(mxKey);
    let key = mxKey;
    if (!mx && d.mx.size < LIMITS.mxPerDestination) {
      mx = newMx(mxHost === null ? null : detach(mxHost), mxIp === null ? null : detach(mxIp));
      d.mx.set((key = detach(mxKey)), mx);
    }
    if (mx) {
      d.lastMxKey = own(key); // (a copy with the same code units, not a view of the read chunk)
      d.lastMx = mx;
    }
    return mx;
  }

  /** status=sent, not forwarded (delivery(), and the fast path through addSent). */
  private sent(t: number | null, rs: RelayState, d: DestState, mx: MxState | undefined, qid: string, to: string, relay: string, domain: string, mxKey: string | null): void {
    this.totals.delivered++;
    this.bucket(t, 'delivered');
    rs.sent++;
    d.sent++;
    if (mx) mx.sent++;
    if (this.tail !== null && !this.tail.localQids.has(qid)) {
      this.tail.qid(['s', own(qid), own(to), own(relay), own(domain), mx ? own(mxKey as string) : null], qid);
      return;
    }
    if (this.takePending(qid, to)) {
      this.totals.deliveredAfterDeferral++;
      rs.deliveredAfterDeferral++;
      d.deliveredAfterDeferral++;
      if (mx) mx.deliveredAfterDeferral++;
    }
  }

  /**
   * add() of a Postfix delivery event with status=sent that is not a forward (the fast path,
   * fast.ts): `to` with its domain already lower case, `domain` the part after its last "@".
   */
  addSent(t: number, relay: string, qid: string, to: string, domain: string, mxHost: string | null, mxIp: string | null): void {
    if (!this.admit(t)) return;
    const rs = this.relay(relay);
    const d = this.dest(domain);
    this.sent(t, rs, d, this.mxOf(d, mxHost, mxIp), qid, to, relay, domain, mxIp ?? mxHost);
  }

  /** status=deferred: the message's first deferral, and the recipient's. */
  private firstDeferral(qid: string, to: string, rs: Counts, d: Counts, mx: Counts | undefined): void {
    const list = this.msgs.map.get(qid);
    if (list === undefined) {
      this.totals.deferred++;
      this.msgs.set(qid, [detach(to)]);
    } else {
      if (list.includes(to)) return;
      if (list.length < 1000) list.push(detach(to));
    }
    rs.deferred++;
    d.deferred++;
    if (mx) mx.deferred++;
  }

  /** Forget a recipient's deferral at its final status; true when it had one. `h`, when given, is keyHash(qid). */
  private takePending(qid: string, to: string, h = -1): boolean {
    if (h < 0) h = keyHash(qid);
    if (!this.msgs.mayHold(h)) return false;
    const list = this.msgs.map.get(qid);
    if (list === undefined) return false;
    const i = list.indexOf(to);
    if (i < 0) return false;
    // (The order of the list means nothing: the last one takes the gap, no splice array.)
    const last = list.pop() as string;
    if (i < list.length) list[i] = last;
    return true;
  }

  /**
   * What refusal() derives from a reply, by its text, then its stage, code and enhanced code: the
   * cause (causeOf: normaliseReply, the classifier's cache) and the distinct-reply record (or null
   * when the record cap was reached without it). Each is a function of those four values and of
   * the caches' state, and those only ever grow (classifyCache is cleared when full, and this memo
   * with it; `replies` never loses an entry): so a repeated reply skips the normalised-text key
   * strings. Bounded like the caches it repeats.
   */
  private readonly refusalMemo = new Map<string, RefusalMemo[]>();
  /** refusalMemo by the normalised text (see refusal); bounded and cleared like it. */
  private readonly normMemo = new Map<string, RefusalMemo[]>();

  private refusal(ev: DeliveryEvent, rs: RelayState, d: DestState, field: 'deferrals' | 'bounced'): void {
    const r = ev.reply;
    const text = r ? r.text : ev.reason;
    const stage = r ? r.stage : null;
    const code = r ? r.code : null;
    const enhanced = r ? r.enhanced : null;
    const memo = this.refusalMemo.get(text);
    if (memo !== undefined) {
      for (const m of memo) {
        if (m.stage === stage && m.code === code && m.enhanced === enhanced) {
          this.countRefusal(ev, rs, d, field, m.cause);
          if (m.p !== null) m.p.count++;
          else this.repliesOverflow++;
          return;
        }
      }
    }
    // (Not normaliseReply(): its cache would keep a copy of every text, and a text that reaches
    // here is one the memo by text has not seen; most are replies with a per-message token.)
    const norm = normalised.get(text) ?? normaliseUncached(text);
    // The same by the normalised text: a reply with a per-message token (Gmail's "... a640c23a62f3a-
    // ...si123.45 - gsmtp", a Spamhaus reference) is a new text on every line but one normalised
    // text, and the classifier's key and the distinct-reply key (two joined strings of the whole
    // reply, built, flattened and hashed) are not needed again. Same reasoning as the memo by text.
    const nm = this.normMemo.get(norm);
    let entry: RefusalMemo | undefined;
    if (nm !== undefined) {
      for (const m of nm) {
        if (m.stage === stage && m.code === code && m.enhanced === enhanced) {
          entry = m;
          break;
        }
      }
    }
    if (entry === undefined) {
      const cause = this.causeOf(ev, norm);
      const pk = `${ev.reply?.code ?? ''} ${ev.reply?.enhanced ?? ''} ${norm}`;
      let p = this.replies.get(pk);
      if (!p && this.replies.size < LIMITS.replies) {
        p = { count: 0, cause, stage: ev.reply?.stage ?? null, code: ev.reply?.code ?? null, enhanced: ev.reply?.enhanced === null || ev.reply?.enhanced === undefined ? null : detach(ev.reply.enhanced), example: detach(norm) };
        this.replies.set(detach(pk), p);
      }
      entry = { stage, code, enhanced, cause, p: p ?? null };
      if (this.normMemo.size >= 4096) this.normMemo.clear();
      if (nm !== undefined) nm.push(entry);
      else this.normMemo.set(detach(norm), [entry]);
    }
    this.countRefusal(ev, rs, d, field, entry.cause);
    if (entry.p !== null) entry.p.count++;
    else this.repliesOverflow++;
    if (text.length <= 600) {
      if (this.refusalMemo.size >= 4096) this.refusalMemo.clear();
      if (memo !== undefined) memo.push(entry);
      else this.refusalMemo.set(detach(text), [entry]);
    }
  }

  /** The per-relay, per-destination and relay × destination × cause counts of one refusal. */
  private countRefusal(ev: DeliveryEvent, rs: RelayState, d: DestState, field: 'deferrals' | 'bounced', cause: Cause): void {
    rs.causes.set(cause, (rs.causes.get(cause) ?? 0) + 1);
    d.causes.set(cause, (d.causes.get(cause) ?? 0) + 1);
    let r = this.refusalAt.get(ev.relay, ev.domain, cause);
    if (r === undefined) {
      const rk = `${ev.relay}\t${ev.domain}\t${cause}`;
      r = this.refusals.get(rk);
      if (!r) {
        if (this.refusals.size >= LIMITS.refusals) this.refusalsOverflow++;
        else this.refusals.set(detach(rk), (r = { deferrals: 0, bounced: 0 }));
      }
      if (r) this.refusalAt.set(ev.relay, ev.domain, cause, r);
    }
    if (r) {
      if (field === 'deferrals') r.deferrals++;
      else r.bounced++; // (named: a keyed r[field]++ is a megamorphic access, see countIn)
    }
  }

  private reject(ev: RejectEvent): void {
    if (ev.helo !== null) this.helo(ev.helo, ev.relay, ev.session);
    if (!ev.counted) {
      this.inboundWarnings++;
      return;
    }
    this.totals.rejected++;
    this.inboundRejected++;
    this.bucket(ev.time, 'rejected');
    this.relay(ev.relay).rejected++;
    this.rejectsByCheck.set(ev.check, (this.rejectsByCheck.get(ev.check) ?? 0) + 1);
    let n = this.rejectAt.get(ev.service, ev.relay, ev.check);
    if (n === undefined) {
      const sk = `${ev.service}\t${ev.relay}\t${ev.check}`;
      n = this.rejectsByService.get(sk);
      if (n === undefined && this.rejectsByService.size < LIMITS.refusals) this.rejectsByService.set(detach(sk), (n = { count: 0 }));
      if (n !== undefined) this.rejectAt.set(ev.service, ev.relay, ev.check, n);
    }
    if (n !== undefined) n.count++;
  }

  /**
   * One observation per SMTP session and HELO name: a Postfix session logs its HELO on every
   * reject/info line (each RCPT), so lines from the same smtpd process before its "disconnect"
   * count once. Sessions are bounded (oldest forgotten past the cap).
   */
  private helo(name: string, relay = '', session: string | null = null): void {
    if (session !== null) {
      const raw = `${relay} ${session}`;
      const tail = this.tail;
      if (tail !== null && !tail.localSessions.has(raw)) {
        tail.openSessions.add(own(raw));
        tail.rec(['h', own(relay), own(session), own(name)]);
        return;
      }
      // One flat copy of the key (own), looked up and stored as that same string: the joined key
      // was flattened and hashed for the lookup, then copied, flattened and hashed again by set()'s
      // detach(). A key with a UTF-16 surrogate keeps the old way (detach() rewrites lone ones,
      // and the lookup must use the characters as they are).
      const key = own(raw);
      if (hasSurrogate(key)) {
        if (this.sessions.map.get(raw) === name) return;
        this.sessions.set(raw, detach(name));
      } else {
        if (this.sessions.map.get(key) === name) return;
        this.sessions.setDetached(key, detach(name));
      }
    }
    this.heloObserved++;
    let h = this.heloNames.get(name);
    if (!h) {
      const f = parseHelo(name);
      const form = f.form === 'domain' ? (f.fqdn ? 'fqdn' : 'not-fqdn') : f.form;
      if (this.heloNames.size < LIMITS.heloNames) {
        h = { count: 0, form };
        this.heloNames.set(detach(name), h);
      } else {
        this.heloOverflow++;
        this.countForm(form);
        return;
      }
    }
    h.count++;
    this.countForm(h.form);
  }

  /**
   * Postfix's reject_invalid_helo_hostname refuses bad syntax and a bare IP (valid_hostname() calls an
   * all-numeric name "numeric hostname"); reject_non_fqdn_helo_hostname a name without a dot. An
   * address literal passes both. reject_unknown_helo_hostname needs DNS, so it is not judged here.
   */
  private countForm(form: string): void {
    if (form === 'invalid' || form === 'bare-ip') this.heloInvalid++;
    else if (form === 'not-fqdn') this.heloNonFqdn++;
  }

  private spam(ev: SpamEvent): void {
    this.scanned[ev.engine]++;
    for (const s of ev.symbols) {
      if (!isHostnameSymbol(s.name)) continue;
      let st = this.symbols.get(s.name);
      if (!st) {
        if (this.symbols.size >= LIMITS.symbols) continue;
        st = { count: 0, score: 0, scored: 0 };
        this.symbols.set(detach(s.name), st);
      }
      st.count++;
      if (s.score !== null) {
        st.score += s.score;
        st.scored++;
      }
    }
  }

  /**
   * Make this aggregator count a range that does not start the log (a parallel range): state left
   * by earlier lines is unknown here, so what depends on it is recorded (RangeTail). `bloomBits`:
   * log2 of the Bloom filters' size, about 300 bits per expected queue id keeps false refusals rare.
   */
  startRange(bloomBits = 24): void {
    this.tail = new RangeTail(bloomBits);
  }

  /** This range's state for mergeRange (in another thread: every field is structured-cloneable). */
  snapshot(): RangeSnapshot {
    const tail = this.tail;
    if (tail === null) throw new Error('snapshot() of an aggregator that is not a range (startRange)');
    return {
      totals: { ...this.totals },
      dests: this.dests,
      destOverflow: this.destOverflow,
      relays: this.relays,
      refusals: this.refusals,
      refusalsOverflow: this.refusalsOverflow,
      replies: this.replies,
      repliesOverflow: this.repliesOverflow,
      msgs: this.msgs.map,
      msgsPeak: this.msgs.peak,
      msgsEvicted: this.msgs.evicted,
      rejectsByCheck: this.rejectsByCheck,
      rejectsByService: this.rejectsByService,
      inboundRejected: this.inboundRejected,
      inboundWarnings: this.inboundWarnings,
      sessions: this.sessions.map,
      sessionsPeak: this.sessions.peak,
      sessionsEvicted: this.sessions.evicted,
      heloNames: this.heloNames,
      heloOverflow: this.heloOverflow,
      heloObserved: this.heloObserved,
      heloInvalid: this.heloInvalid,
      heloNonFqdn: this.heloNonFqdn,
      symbols: this.symbols,
      scanned: { ...this.scanned },
      buckets: this.buckets,
      bucketsDropped: this.bucketsDropped,
      first: this.first,
      last: this.last,
      unparsed: this.unparsed,
      examples: this.examples,
      total: this.total,
      other: this.other,
      outOfRange: this.outOfRange,
      capped: this.capped,
      ops: tail.ops,
      bornQids: tail.bornQids.bits,
      bornSessions: tail.bornSessions.bits,
      overflow: tail.overflow,
    };
  }

  /**
   * Why the range `r` (the lines right after the ones counted here) cannot be merged exactly, or
   * null. Every cap of the sequential count must be out of reach (a cap makes the result depend on
   * the order of first sightings across the two ranges), Rspamd scores must not need a sum across
   * them (floating-point addition is not associative), and no queue id or session the range assumed
   * new may be open here.
   */
  mergeRefusal(r: RangeSnapshot): string | null {
    if (this.tail !== null) return 'this aggregator is itself a range';
    if (r.overflow !== null) return r.overflow;
    const over = (a: number, b: number): boolean => a !== 0 || b !== 0;
    if (over(this.destOverflow, r.destOverflow) || over(this.refusalsOverflow, r.refusalsOverflow) || over(this.repliesOverflow, r.repliesOverflow) || over(this.heloOverflow, r.heloOverflow)) return 'a cap was reached';
    if (over(this.msgs.evicted, r.msgsEvicted) || over(this.sessions.evicted, r.sessionsEvicted) || over(this.bucketsDropped, r.bucketsDropped)) return 'a cap was reached';
    const merged = <K>(a: Map<K, unknown>, b: Map<K, unknown>): number => {
      let n = a.size;
      for (const k of b.keys()) if (!a.has(k)) n++;
      return n;
    };
    if (this.relays.has('(other relays)') || r.relays.has('(other relays)') || merged(this.relays, r.relays) > LIMITS.relays) return 'relay cap';
    if (merged(this.dests, r.dests) > LIMITS.destinations) return 'destination cap';
    for (const [k, d] of r.dests) {
      const a = this.dests.get(k);
      if (d.mx.size >= LIMITS.mxPerDestination || (a !== undefined && merged(a.mx, d.mx) >= LIMITS.mxPerDestination)) return 'MX cap';
    }
    if (merged(this.refusals, r.refusals) > LIMITS.refusals) return 'refusal cap';
    if (merged(this.replies, r.replies) > LIMITS.replies) return 'reply cap';
    if (merged(this.rejectsByService, r.rejectsByService) >= LIMITS.refusals) return 'reject cap';
    if (merged(this.symbols, r.symbols) >= LIMITS.symbols) return 'symbol cap';
    for (const st of r.symbols.values()) if (st.scored !== 0) return 'spam scores in the range';
    if (merged(this.buckets, r.buckets) > LIMITS.buckets) return 'bucket cap';
    let f = 0;
    let h = 0;
    for (const op of r.ops) {
      if (op[0] === 'f' || op[0] === 's') {
        if (op[0] === 'f') f++;
        // The counters a replayed delivery adds to must be there (they were made when the range saw it).
        const d = this.dests.get(op[4]) ?? r.dests.get(op[4]);
        if (!(this.relays.has(op[3]) || r.relays.has(op[3])) || d === undefined) return 'a recorded delivery has no counters';
        if (op[5] !== null && !(d.mx.has(op[5]) || r.dests.get(op[4])?.mx.has(op[5]) === true)) return 'a recorded delivery has no MX counters';
      } else if (op[0] === 'h') h++;
    }
    if (merged(this.heloNames, r.heloNames) + h >= LIMITS.heloNames) return 'HELO name cap';
    if (this.msgs.map.size + r.msgsPeak + f >= LIMITS.inFlight) return 'in-flight cap';
    if (this.sessions.map.size + r.sessionsPeak + h >= LIMITS.heloNames) return 'session cap';
    const qids = new Bloom(r.bornQids);
    for (const k of this.msgs.map.keys()) if (qids.has(k)) return 'a queue id open here may be reused in the range';
    const sessions = new Bloom(r.bornSessions);
    for (const k of this.sessions.map.keys()) if (sessions.has(k)) return 'a session open here may be reused in the range';
    return null;
  }

  /**
   * Fold in the range that follows the lines counted here, as if its lines had been added here one
   * by one (same summary, byte for byte): counters add; a key first seen in the range goes after
   * the keys seen here (Map order is first-sighting order, which breaks ties in the summary); the
   * recorded operations are replayed in order against this state. False, with nothing changed,
   * when mergeRefusal() says no: the caller then counts the range's lines here instead.
   */
  mergeRange(r: RangeSnapshot): boolean {
    if (this.mergeRefusal(r) !== null) return false;
    const t = this.totals;
    const rt = r.totals;
    t.received += rt.received;
    t.delivered += rt.delivered;
    t.deferred += rt.deferred;
    t.deferrals += rt.deferrals;
    t.bounced += rt.bounced;
    t.rejected += rt.rejected;
    t.forwarded += rt.forwarded;
    t.expired += rt.expired;
    t.deliveredAfterDeferral += rt.deliveredAfterDeferral;
    const addCounts = (a: Counts, b: Counts): void => {
      a.sent += b.sent;
      a.deferred += b.deferred;
      a.deferrals += b.deferrals;
      a.bounced += b.bounced;
      a.deliveredAfterDeferral += b.deliveredAfterDeferral;
    };
    const addNums = <K>(a: Map<K, number>, b: Map<K, number>): void => {
      for (const [k, n] of b) a.set(k, (a.get(k) ?? 0) + n);
    };
    for (const [k, d] of r.dests) {
      const a = this.dests.get(k);
      if (a === undefined) {
        this.dests.set(k, d);
        continue;
      }
      addCounts(a, d);
      addNums(a.causes, d.causes);
      for (const [mk, m] of d.mx) {
        const am = a.mx.get(mk);
        if (am === undefined) a.mx.set(mk, m);
        else addCounts(am, m);
      }
    }
    for (const [k, rs] of r.relays) {
      const a = this.relays.get(k);
      if (a === undefined) {
        this.relays.set(k, rs);
        continue;
      }
      addCounts(a, rs);
      a.rejected += rs.rejected;
      addNums(a.causes, rs.causes);
    }
    for (const [k, v] of r.refusals) {
      const a = this.refusals.get(k);
      if (a === undefined) this.refusals.set(k, v);
      else {
        a.deferrals += v.deferrals;
        a.bounced += v.bounced;
      }
    }
    mergeCounted(this.replies, r.replies);
    addNums(this.rejectsByCheck, r.rejectsByCheck);
    mergeCounted(this.rejectsByService, r.rejectsByService);
    this.inboundRejected += r.inboundRejected;
    this.inboundWarnings += r.inboundWarnings;
    mergeCounted(this.heloNames, r.heloNames);
    this.heloObserved += r.heloObserved;
    this.heloInvalid += r.heloInvalid;
    this.heloNonFqdn += r.heloNonFqdn;
    for (const [k, v] of r.symbols) {
      const a = this.symbols.get(k);
      if (a === undefined) this.symbols.set(k, v);
      else {
        a.count += v.count; // (no scores in the range: mergeRefusal)
      }
    }
    this.scanned.rspamd += r.scanned.rspamd;
    this.scanned.spamassassin += r.scanned.spamassassin;
    for (const [k, v] of r.buckets) {
      const a = this.buckets.get(k);
      if (a === undefined) this.buckets.set(k, v);
      else {
        a.received += v.received;
        a.delivered += v.delivered;
        a.deferrals += v.deferrals;
        a.bounced += v.bounced;
        a.rejected += v.rejected;
      }
    }
    if (r.first !== null && (this.first === null || r.first < this.first)) this.first = r.first;
    if (r.last !== null && (this.last === null || r.last > this.last)) this.last = r.last;
    this.unparsed += r.unparsed;
    for (const ex of r.examples) if (this.examples.length < this.opts.examples) this.examples.push(ex);
    this.total += r.total;
    this.other += r.other;
    this.outOfRange += r.outOfRange;
    this.capped += r.capped;
    // The operations that needed the state at the range's start, in their order.
    for (const op of r.ops) {
      switch (op[0]) {
        case 's':
        case 'f': {
          const [kind, qid, to, relay, domain, mxKey] = op;
          const rs = this.relays.get(relay) as RelayState;
          const d = this.dests.get(domain) as DestState;
          const mx = mxKey === null ? undefined : d.mx.get(mxKey);
          if (kind === 'f') this.firstDeferral(qid, to, rs, d, mx);
          else if (this.takePending(qid, to)) {
            this.totals.deliveredAfterDeferral++;
            rs.deliveredAfterDeferral++;
            d.deliveredAfterDeferral++;
            if (mx) mx.deliveredAfterDeferral++;
          }
          break;
        }
        case 't':
          this.takePending(op[1], op[2]);
          break;
        case 'r':
          this.msgs.delete(op[1]);
          break;
        case 'h':
          this.helo(op[3], op[1], op[2]);
          break;
        case 'e':
          this.sessions.delete(op[1]);
          break;
      }
    }
    // The range's own per-message and per-session state: keys it saw born, none of them open here.
    for (const [k, v] of r.msgs) this.msgs.set(k, v);
    for (const [k, v] of r.sessions) this.sessions.set(k, v);
    return true;
  }

  summary(): LogSummary {
    const rec = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    const share = (n: number): number | null => (this.heloObserved === 0 ? null : Math.round((n / this.heloObserved) * 10000) / 10000);
    return {
      totals: { ...this.totals },
      relays: [...this.relays]
        .map(([relay, r]) => ({ relay, sent: r.sent, deferred: r.deferred, deferrals: r.deferrals, bounced: r.bounced, deliveredAfterDeferral: r.deliveredAfterDeferral, acceptanceRate: acceptanceRate(r), rejected: r.rejected, causes: rec(r.causes) }))
        .sort((a, b) => byCodeUnits(a.relay, b.relay)),
      destinations: [...this.dests]
        .map(([domain, d]) => ({
          domain,
          sent: d.sent,
          deferred: d.deferred,
          deferrals: d.deferrals,
          bounced: d.bounced,
          deliveredAfterDeferral: d.deliveredAfterDeferral,
          acceptanceRate: acceptanceRate(d),
          causes: rec(d.causes),
          mx: [...d.mx.values()].map((m) => ({ host: m.host, ip: m.ip, sent: m.sent, deferred: m.deferred, deferrals: m.deferrals, bounced: m.bounced, acceptanceRate: acceptanceRate(m) })).sort((a, b) => b.sent + b.deferrals + b.bounced - (a.sent + a.deferrals + a.bounced)),
        }))
        .sort((a, b) => b.sent + b.deferrals + b.bounced - (a.sent + a.deferrals + a.bounced) || byCodeUnits(a.domain, b.domain)),
      refusals: [...this.refusals]
        .map(([k, v]) => {
          const [relay = '', domain = '', cause = 'unknown'] = k.split('\t');
          return { relay, domain, cause: cause as Cause, heloOrPtr: HELO_PTR_CAUSES.has(cause as Cause), deferrals: v.deferrals, bounced: v.bounced };
        })
        .sort((a, b) => Number(b.heloOrPtr) - Number(a.heloOrPtr) || b.deferrals + b.bounced - (a.deferrals + a.bounced) || byCodeUnits(a.relay, b.relay)),
      replies: [...this.replies.values()].sort((a, b) => b.count - a.count).map((p) => ({ text: p.example, count: p.count, cause: p.cause, stage: p.stage, code: p.code, enhanced: p.enhanced })),
      inbound: {
        rejected: this.inboundRejected,
        warnings: this.inboundWarnings,
        rejects: rec(this.rejectsByCheck),
        byService: [...this.rejectsByService]
          .map(([k, { count }]) => {
            const [service = '', relay = '', check = 'other'] = k.split('\t');
            return { service, relay, check: check as RejectCheck, count };
          })
          .sort((a, b) => b.count - a.count),
        heloNames: [...this.heloNames].map(([name, h]) => ({ name, count: h.count, form: h.form })).sort((a, b) => b.count - a.count || byCodeUnits(a.name, b.name)),
        heloObserved: this.heloObserved,
        heloRules: [
          { rule: 'reject_invalid_helo_hostname', failing: this.heloInvalid, observed: this.heloObserved, share: share(this.heloInvalid) },
          { rule: 'reject_non_fqdn_helo_hostname', failing: this.heloNonFqdn, observed: this.heloObserved, share: share(this.heloNonFqdn) },
        ],
      },
      spam: {
        scanned: { ...this.scanned },
        symbols: Object.fromEntries(
          [...this.symbols].sort((a, b) => b[1].count - a[1].count).map(([n, s]) => [n, { count: s.count, score: s.scored === 0 ? null : Math.round(s.score * 1000) / 1000 }]),
        ),
      },
      time: {
        bucket: this.opts.bucket,
        first: iso(this.first),
        last: iso(this.last),
        series: [...this.buckets]
          .sort((a, b) => a[0] - b[0])
          .map(([k, b]) => ({ start: new Date(k).toISOString(), ...b, acceptanceRate: acceptanceRate({ sent: b.delivered, bounced: b.bounced }) })),
      },
      unparsed: { count: this.unparsed, examples: [...this.examples] },
      lines: { total: this.total, parsed: this.total - this.unparsed, other: this.other, outOfRange: this.outOfRange, capped: this.capped },
      limits: {
        // (An evicted message with recipients still deferred was in flight; every evicted one had been deferred.)
        inFlightEvicted: this.msgs.evictedLive,
        deferredQueueIdsEvicted: this.msgs.evicted,
        destinationsOverflow: this.destOverflow,
        refusalsOverflow: this.refusalsOverflow,
        repliesOverflow: this.repliesOverflow,
        heloNamesOverflow: this.heloOverflow,
      },
    };
  }
}

/** Merges a range's counted entries into ours: an entry we lack is taken over, one we have gains its count. */
function mergeCounted<K, V extends { count: number }>(into: Map<K, V>, from: Map<K, V>): void {
  for (const [k, v] of from) {
    const a = into.get(k);
    if (a === undefined) into.set(k, v);
    else a.count += v.count;
  }
}
