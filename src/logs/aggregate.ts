/**
 * Fold LogEvents into bounded counters: the whole state of `mxprobe logs`.
 *
 * Memory is flat in the number of lines: every map is keyed by something whose cardinality is a
 * property of the mail system (relays, destination domains, MX hosts, causes, HELO names, hours),
 * never of the log length, and every map has a cap with an overflow counter reported in `limits`.
 * The two per-message maps (queue ids with a deferral; recipients still deferred) hold only
 * messages in flight: an entry goes when Postfix logs "QID: removed" (Exim "Completed"), and past
 * the cap the oldest goes, counted, so a deferred-then-delivered message is recognised unless more
 * than the cap were in flight at once.
 */
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

interface DestState extends Counts {
  causes: Map<Cause, number>;
  mx: Map<string, MxState>;
}
interface MxState extends Counts {
  host: string | null;
  ip: string | null;
}
interface RelayState extends Counts {
  causes: Map<Cause, number>;
  rejected: number;
}
interface ReplyState {
  count: number;
  cause: Cause;
  stage: string | null;
  code: number | null;
  enhanced: string | null;
  example: string;
}
interface BucketState {
  received: number;
  delivered: number;
  deferrals: number;
  bounced: number;
  rejected: number;
}

function counts(): Counts {
  return { sent: 0, deferred: 0, deferrals: 0, bounced: 0, deliveredAfterDeferral: 0 };
}

/** The share accepted among final outcomes: sent / (sent + bounced); null when neither happened. */
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
  if (n < 13) {
    // V8 copies substrings shorter than 13 characters (SlicedString::kMinLength) instead of making
    // views, so a short one is detached already (queue ids, IPs, most HELO names): skip the round
    // trip, unless it holds a UTF-16 surrogate, which the round trip would turn into U+FFFD.
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) break;
      i++;
    }
    if (i === n) return s;
  }
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Bounded FIFO set/map: insertion order is age; past the cap the oldest entry goes. */
class Bounded<V> {
  readonly map = new Map<string, V>();
  evicted = 0;
  constructor(private readonly cap: number) {}
  set(k: string, v: V): void {
    if (this.map.size >= this.cap && !this.map.has(k)) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
      this.evicted++;
    }
    this.map.set(detach(k), v);
  }
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

const OTHER_DOMAINS = '(other domains)';

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
  /** queue id -> recipients deferred and not yet final (messages in flight only). */
  private readonly pending = new Bounded<string[]>(LIMITS.inFlight);
  private readonly deferredQids = new Bounded<1>(LIMITS.inFlight);
  private readonly rejectsByCheck = new Map<RejectCheck, number>();
  private readonly rejectsByService = new Map<string, number>();
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
        this.deferredQids.map.delete(ev.queueId);
        this.pending.map.delete(ev.queueId);
        this.other++;
        return;
      case 'session-end':
        this.sessions.map.delete(`${ev.relay} ${ev.session}`);
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
  /** add() of a Postfix 'received' event (its queue id and null HELO are not used). */
  addReceived(t: number): void {
    if (!this.admit(t)) return;
    this.totals.received++;
    this.bucket(t, 'received');
  }
  /** add() of a 'queue-removed' event. */
  addRemoved(t: number, queueId: string): void {
    if (!this.admit(t)) return;
    this.deferredQids.map.delete(queueId);
    this.pending.map.delete(queueId);
    this.other++;
  }
  /** add() of a 'session-end' event; `key` is `${relay} ${session}` (the line's "host tag[pid]"). */
  addSessionEnd(t: number, key: string): void {
    if (!this.admit(t)) return;
    this.sessions.map.delete(key);
    this.other++;
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
      this.lastBucket[field]++;
      return;
    }
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= LIMITS.buckets) return;
      b = { received: 0, delivered: 0, deferrals: 0, bounced: 0, rejected: 0 };
      this.buckets.set(key, b);
    }
    this.lastBucketKey = key;
    this.lastBucket = b;
    b[field]++;
  }

  private dest(domain: string): DestState {
    let d = this.dests.get(domain);
    if (d) return d;
    if (this.dests.size >= LIMITS.destinations) {
      this.destOverflow++;
      d = this.dests.get(OTHER_DOMAINS);
      if (d) return d;
    }
    d = { ...counts(), causes: new Map(), mx: new Map() };
    this.dests.set(this.dests.size >= LIMITS.destinations ? OTHER_DOMAINS : detach(domain), d);
    return d;
  }

  private relay(name: string): RelayState {
    let r = this.relays.get(name);
    if (r) return r;
    const key = this.relays.size >= LIMITS.relays ? '(other relays)' : detach(name);
    r = this.relays.get(key);
    if (!r) {
      r = { ...counts(), causes: new Map(), rejected: 0 };
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
    if (this.classifyCache.size >= LIMITS.classifyCache) this.classifyCache.clear();
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
    // Keyed by the MX address (or its name when the log gives none): a concatenated "host[ip]" key
    // would be a fresh cons string per line, which V8 must flatten before it can hash it.
    const mxKey = ev.mxIp ?? ev.mxHost;
    let mx: MxState | undefined;
    if (mxKey !== null) {
      mx = d.mx.get(mxKey);
      if (!mx && d.mx.size < LIMITS.mxPerDestination) {
        mx = { ...counts(), host: ev.mxHost === null ? null : detach(ev.mxHost), ip: ev.mxIp === null ? null : detach(ev.mxIp) };
        d.mx.set(detach(mxKey), mx);
      }
    }
    switch (ev.status) {
      case 'sent': {
        this.totals.delivered++;
        this.bucket(ev.time, 'delivered');
        rs.sent++;
        d.sent++;
        if (mx) mx.sent++;
        if (this.takePending(ev.queueId, ev.to)) {
          this.totals.deliveredAfterDeferral++;
          rs.deliveredAfterDeferral++;
          d.deliveredAfterDeferral++;
          if (mx) mx.deliveredAfterDeferral++;
        }
        return;
      }
      case 'deferred': {
        this.totals.deferrals++;
        this.bucket(ev.time, 'deferrals');
        if (!this.deferredQids.map.has(ev.queueId)) {
          this.totals.deferred++;
          this.deferredQids.set(ev.queueId, 1);
        }
        rs.deferrals++;
        d.deferrals++;
        if (mx) mx.deferrals++;
        if (this.addPending(ev.queueId, ev.to)) {
          rs.deferred++;
          d.deferred++;
          if (mx) mx.deferred++;
        }
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
        this.takePending(ev.queueId, ev.to);
        this.refusal(ev, rs, d, 'bounced');
        return;
      }
    }
  }

  /** Remember a deferred recipient; true when it was not deferred before (first deferral). */
  private addPending(qid: string, to: string): boolean {
    const list = this.pending.map.get(qid);
    if (list === undefined) {
      this.pending.set(qid, [detach(to)]);
      return true;
    }
    if (list.includes(to)) return false;
    if (list.length < 1000) list.push(detach(to));
    return true;
  }

  /** Forget a recipient's deferral at its final status; true when it had one. */
  private takePending(qid: string, to: string): boolean {
    const list = this.pending.map.get(qid);
    if (list === undefined) return false;
    const i = list.indexOf(to);
    if (i < 0) return false;
    list.splice(i, 1);
    if (list.length === 0) this.pending.map.delete(qid);
    return true;
  }

  private refusal(ev: DeliveryEvent, rs: RelayState, d: DestState, field: 'deferrals' | 'bounced'): void {
    const norm = normaliseReply(ev.reply ? ev.reply.text : ev.reason);
    const cause = this.causeOf(ev, norm);
    rs.causes.set(cause, (rs.causes.get(cause) ?? 0) + 1);
    d.causes.set(cause, (d.causes.get(cause) ?? 0) + 1);
    const rk = `${ev.relay}\t${ev.domain}\t${cause}`;
    let r = this.refusals.get(rk);
    if (!r) {
      if (this.refusals.size >= LIMITS.refusals) this.refusalsOverflow++;
      else this.refusals.set(detach(rk), (r = { deferrals: 0, bounced: 0 }));
    }
    if (r) r[field]++;
    const pk = `${ev.reply?.code ?? ''} ${ev.reply?.enhanced ?? ''} ${norm}`;
    let p = this.replies.get(pk);
    if (!p) {
      if (this.replies.size >= LIMITS.replies) {
        this.repliesOverflow++;
        return;
      }
      p = { count: 0, cause, stage: ev.reply?.stage ?? null, code: ev.reply?.code ?? null, enhanced: ev.reply?.enhanced === null || ev.reply?.enhanced === undefined ? null : detach(ev.reply.enhanced), example: detach(norm) };
      this.replies.set(detach(pk), p);
    }
    p.count++;
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
    const sk = `${ev.service}\t${ev.relay}\t${ev.check}`;
    const n = this.rejectsByService.get(sk);
    if (n !== undefined) this.rejectsByService.set(sk, n + 1);
    else if (this.rejectsByService.size < LIMITS.refusals) this.rejectsByService.set(detach(sk), 1);
  }

  /**
   * One observation per SMTP session and HELO name: a Postfix session logs its HELO on every
   * reject/info line (each RCPT), so lines from the same smtpd process before its "disconnect"
   * count once. Sessions are bounded (oldest forgotten past the cap).
   */
  private helo(name: string, relay = '', session: string | null = null): void {
    if (session !== null) {
      const key = `${relay} ${session}`;
      const seen = this.sessions.map.get(key);
      if (seen === name) return;
      this.sessions.set(key, detach(name));
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

  summary(): LogSummary {
    const rec = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    const share = (n: number): number | null => (this.heloObserved === 0 ? null : Math.round((n / this.heloObserved) * 10000) / 10000);
    return {
      totals: { ...this.totals },
      relays: [...this.relays]
        .map(([relay, r]) => ({ relay, sent: r.sent, deferred: r.deferred, deferrals: r.deferrals, bounced: r.bounced, deliveredAfterDeferral: r.deliveredAfterDeferral, acceptanceRate: acceptanceRate(r), rejected: r.rejected, causes: rec(r.causes) }))
        .sort((a, b) => a.relay.localeCompare(b.relay)),
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
        .sort((a, b) => b.sent + b.deferrals + b.bounced - (a.sent + a.deferrals + a.bounced) || a.domain.localeCompare(b.domain)),
      refusals: [...this.refusals]
        .map(([k, v]) => {
          const [relay = '', domain = '', cause = 'unknown'] = k.split('\t');
          return { relay, domain, cause: cause as Cause, heloOrPtr: HELO_PTR_CAUSES.has(cause as Cause), deferrals: v.deferrals, bounced: v.bounced };
        })
        .sort((a, b) => Number(b.heloOrPtr) - Number(a.heloOrPtr) || b.deferrals + b.bounced - (a.deferrals + a.bounced) || a.relay.localeCompare(b.relay)),
      replies: [...this.replies.values()].sort((a, b) => b.count - a.count).map((p) => ({ text: p.example, count: p.count, cause: p.cause, stage: p.stage, code: p.code, enhanced: p.enhanced })),
      inbound: {
        rejected: this.inboundRejected,
        warnings: this.inboundWarnings,
        rejects: rec(this.rejectsByCheck),
        byService: [...this.rejectsByService]
          .map(([k, count]) => {
            const [service = '', relay = '', check = 'other'] = k.split('\t');
            return { service, relay, check: check as RejectCheck, count };
          })
          .sort((a, b) => b.count - a.count),
        heloNames: [...this.heloNames].map(([name, h]) => ({ name, count: h.count, form: h.form })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
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
        inFlightEvicted: this.pending.evicted,
        deferredQueueIdsEvicted: this.deferredQids.evicted,
        destinationsOverflow: this.destOverflow,
        refusalsOverflow: this.refusalsOverflow,
        repliesOverflow: this.repliesOverflow,
        heloNamesOverflow: this.heloOverflow,
      },
    };
  }
}
