/**
 * The production Resolver: node:dns (c-ares) with our own per-query deadline, an in-flight join
 * and a bounded LRU so one run never asks the same (type, name) twice.
 *
 * Decisions, and why:
 *  - Deadline. c-ares retries with exponential back-off, so a "5 s" timeout with the default 4
 *    tries can take far longer. Each channel is built with `tries: 1` and we race our own timer.
 *  - Channels ("lanes"). A c-ares channel carries many queries at once over one UDP socket per
 *    server (the query id tells the answers apart, RFC 1035 §4.1.1). Building a channel and its
 *    socket per query cost more CPU than the query itself (issue 13: a third of a probe's CPU with
 *    alignment on), so up to LANE_QUERIES queries share a lane. `cancel()` cancels EVERY query of
 *    a channel, so when our deadline fires the lane stops taking new queries (draining) and is
 *    cancelled only once nothing but expired queries is left on it: a cancel can never reach
 *    someone else's query, and no expired query lingers to hold the process open.
 *  - Failover. With several --resolver servers c-ares moves to the next one after its per-try
 *    timeout; we set that to deadline / (2 × servers) so the second server is still asked in time.
 *  - Cache. Every answer (failures included: a run is minutes, not a TTL; asking a SERVFAIL
 *    name again 1000 times would only slow the run) is kept under "TYPE name" with the name
 *    lower-cased and its trailing dot removed (RFC 4343 §3: names compare case-insensitively).
 *  - CNAME. c-ares follows CNAMEs inside the answer but does not say so. To fill `cnames` for
 *    a/aaaa/mx we ask the CNAME of the queried name in parallel (one extra query per name,
 *    shared by A, AAAA and MX through the cache; further hops only when there is a CNAME). The
 *    alignment checks need it: an MX target that is an alias breaks RFC 2181 §10.3. Turn it off
 *    with `cnames: false` to save that query.
 *  - PTR. resolvePtr on the reverse name (not dns.reverse) keeps NXDOMAIN and NODATA apart.
 *  - Resend. With `tries: 1` one lost exchange used to cost the whole deadline, and the failure is
 *    cached for the run (a sender-side check then makes every probe inconclusive). Worse, c-ares
 *    1.34 ends a try on its own clock, not ours (ares_metrics.c): once a channel has seen 3
 *    answers a try lasts 5 x their average latency, at least 250 ms, and a first try at most 5 s;
 *    Node runs those timeouts on a 1 s timer before it reads the sockets, so when the event loop
 *    is busy for over a second (valgrind, a load average of 20) an answer already waiting in the
 *    socket buffer becomes ETIMEOUT. So a query with no answer after a third of our deadline is
 *    sent again on another lane (a fresh id and socket), and one c-ares ended early is sent again
 *    at once; at most MAX_ATTEMPTS sends. The first ok/NXDOMAIN/NODATA wins, late answers are
 *    ignored, a failure counts only when no send is left out: two failures stay a failure
 *    (inconclusive, never an answer). The deadline itself is unchanged. A send still out once
 *    the query has its answer counts as expired on its lane (retired, cancelled when only expired
 *    sends are left), so a lost send does not hold the process open until c-ares gives up on it.
 */
import dns from 'node:dns';
import type { DnsAnswer, MxRecord, Resolver } from './types.js';
import { LruCache, normalizeName } from './cache.js';
import { InvalidIpError, reverseName } from './reverse.js';
import { parseResolverAddress } from './servers.js';

export { parseResolverAddress } from './servers.js';

export interface ResolverOptions {
  /** "ip", "ip:port", "[v6]" or "[v6]:port" (the --resolver flag, repeatable). Empty/undefined -> system resolvers. */
  servers?: string[];
  /** Our own per-query deadline in ms (default 5000). */
  timeoutMs?: number;
  /** Max cached answers (LRU, default 50_000) so a 100k-target run has bounded memory. */
  cacheSize?: number;
  /** Ask the CNAME of names looked up with a/aaaa/mx to fill `cnames` (default true). */
  cnames?: boolean;
  /** Most c-ares channels (lanes) in use at once, each carrying up to 32 queries (default 32). */
  poolSize?: number;
  /**
   * Queries on the wire at once (default 256). Each in-flight query holds its own channel and so
   * its own UDP socket; without a cap a 10k-target burst would run out of file descriptors. Calls
   * beyond the cap wait in FIFO order; the deadline starts when a query is actually sent.
   */
  maxConcurrent?: number;
}

export interface ResolverStats {
  /** Queries actually sent (CNAME look-ups included). */
  queries: number;
  /** Answers served from the LRU. */
  cacheHits: number;
  /** Calls that joined a query already in flight for the same (type, name). */
  inflightJoins: number;
  /** The most queries that were on the wire at the same time. */
  peakConcurrent: number;
  /** c-ares channels (each with its own sockets) built so far: lanes shared by many queries. */
  channels: number;
  /** Queries sent again because the first had no answer in time (see "Resend"); not in `queries`. */
  resent: number;
}

type QueryType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME';
type NodeResolver = dns.promises.Resolver;

const MAX_CNAME_HOPS = 8;
/** Queries one lane (c-ares channel) carries at once before another lane is opened. */
const LANE_QUERIES = 32;
/** Sends of one query at most: the first, the resend at a third of the deadline, one more. */
const MAX_ATTEMPTS = 3;

function usedBy(sends: readonly Send[], lane: Lane): boolean {
  for (let i = 0; i < sends.length; i++) if (sends[i]!.lane === lane) return true;
  return false;
}

/** c-ares ended the query itself (its per-try timeout), as opposed to our cancel or an answer. */
function isCaresTimeout(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ETIMEOUT';
}

/** A c-ares channel shared by up to LANE_QUERIES queries; see "Channels" above. */
interface Lane {
  channel: NodeResolver;
  /** Queries c-ares has not settled yet (expired ones included). */
  live: number;
  /** Of those, the ones our deadline already answered as a timeout. */
  expired: number;
  /** Takes no new queries; cancelled once live === expired. */
  draining: boolean;
}

/** One send of a query on a lane (a query has one, or more when it is sent again). */
class Send {
  settled = false;
  /** Still out when the query's deadline fired: counted in its lane's `expired`. */
  expired = false;
  constructor(readonly lane: Lane) {}
}

export interface LookupOptions {
  /**
   * Ask the CNAME of the name too, to fill `cnames` (default: the resolver's `cnames` option).
   * Forward confirmation of PTR names (RFC 8601 §3) needs only the addresses: false saves a query.
   */
  cnames?: boolean;
}

function stripDot(name: string): string {
  return name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
}

/**
 * stripDot over a list, with a loop and push rather than map(): map()'s array is PACKED from the
 * builtin and HOLEY from TurboFan's inlined copy, and the PTR names reach optimised readers
 * (receiver alignment), which a second array map deoptimised (issue 13).
 */
function stripDots(names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) out.push(stripDot(names[i]!));
  return out;
}

/**
 * Names node:dns would send anyway but that can only be mistakes: the empty name (the root),
 * controls/spaces (c-ares cuts at NUL and asks another name), and non-ASCII (an IDN must go on the
 * wire as its A-label, RFC 5890 §2.3.2.1; targets/ converts it before we are called).
 */
function badName(name: string): string | null {
  // The usual name (printable ASCII, no space) passes one scan instead of two.
  if (name !== '' && name !== '.' && !/[^\u0021-\u007e]/.test(name)) return null;
  if (name === '' || name === '.') return 'empty domain name';
  if (/[\u0000-\u0020\u007f]/.test(name)) return 'control character or space in domain name';
  if (/[^\u0000-\u007f]/.test(name)) return 'non-ASCII domain name (convert it to its punycode A-label first)';
  return null;
}

/** node:dns error code -> DnsAnswer. Only our deadline cancels, so ECANCELLED is a timeout. */
export function mapDnsError(err: unknown): DnsAnswer<never> {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'EUNKNOWN';
  switch (code) {
    case 'ENOTFOUND':
      return { status: 'nxdomain' };
    case 'ENODATA':
      return { status: 'nodata' };
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return { status: 'timeout' };
    case 'ESERVFAIL':
      return { status: 'servfail' };
    case 'EREFUSED':
      return { status: 'refused' };
    case 'ECONNREFUSED':
      // The resolver's port refused the query: a word like the other failures (qa11 saw the raw
      // "queryMx ECONNREFUSED name" in the table), the message kept for the JSON detail.
      return { status: 'unreachable', code, message: err instanceof Error ? err.message : String(err) };
    default:
      return { status: 'error', code, message: err instanceof Error ? err.message : String(err) };
  }
}

export function createResolver(options: ResolverOptions = {}): Resolver & { stats(): ResolverStats } {
  // Validate up front: a bad --resolver is a usage error, not a per-host DNS failure.
  const servers = (options.servers ?? []).map(parseResolverAddress);
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  const followCnames = options.cnames ?? true;
  const poolMax = options.poolSize ?? 32;
  const cache = new LruCache<string, DnsAnswer<unknown>>(options.cacheSize ?? 50_000);
  const inflight = new Map<string, Promise<DnsAnswer<unknown>>>();
  const stats: ResolverStats = { queries: 0, cacheHits: 0, inflightJoins: 0, peakConcurrent: 0, channels: 0, resent: 0 };
  const maxConcurrent = options.maxConcurrent ?? 256;
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquireSlot = (): Promise<void> | undefined => {
    if (active < maxConcurrent) {
      active++;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const releaseSlot = (): void => {
    const next = waiting.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next !== undefined) next();
    else active--;
  };

  let perTryMs = timeoutMs;
  const resendMs = Math.max(1, Math.floor(timeoutMs / 3));
  /** Lanes taking new queries; draining lanes live only in their queries' closures. */
  const lanes: Lane[] = [];

  const newChannel = (): NodeResolver => {
    stats.channels++;
    const r = new dns.promises.Resolver({ timeout: perTryMs, tries: 1 });
    if (servers.length > 0) r.setServers(servers);
    return r;
  };
  {
    // One channel up front tells how many servers there are (the system's, when none given).
    const first = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
    if (servers.length > 0) first.setServers(servers);
    const n = Math.max(1, first.getServers().length);
    if (n === 1) stats.channels++;
    // Node checks c-ares timeouts on a periodic timer, so a try may last up to twice its timeout
    // (measured on Node 20.20 / c-ares 1.34: 1000 ms tries failed over after 1000 or 2000 ms).
    // Halving keeps every server's turn inside our deadline. One server: the race alone decides.
    perTryMs = n === 1 ? timeoutMs : Math.max(50, Math.floor(timeoutMs / (2 * n)));
    lanes.push({ channel: n === 1 ? first : newChannel(), live: 0, expired: 0, draining: false });
  }

  /**
   * The lane with room and the fewest queries, among those not in `avoid` (the lanes a resent
   * query already used); a new one when none fits (up to poolMax, then the least busy of all).
   */
  const pickLane = (avoid: readonly Send[]): Lane => {
    let best: Lane | undefined;
    for (const l of lanes) if (!usedBy(avoid, l) && (best === undefined || l.live < best.live)) best = l;
    if (best !== undefined && (best.live < LANE_QUERIES || lanes.length >= poolMax)) return best;
    if (lanes.length >= poolMax) {
      for (const l of lanes) if (best === undefined || l.live < best.live) best = l;
      if (best !== undefined) return best;
    }
    const lane: Lane = { channel: newChannel(), live: 0, expired: 0, draining: false };
    lanes.push(lane);
    return lane;
  };
  const retire = (lane: Lane): void => {
    if (lane.draining) return;
    lane.draining = true;
    const i = lanes.indexOf(lane);
    if (i !== -1) lanes.splice(i, 1);
  };
  /** A draining lane with only expired queries left: cancel them (they were answered already). */
  const cancelIfOnlyExpired = (lane: Lane): void => {
    if (lane.draining && lane.live > 0 && lane.live === lane.expired) lane.channel.cancel();
  };

  function run(r: NodeResolver, type: QueryType, name: string): Promise<unknown[]> {
    switch (type) {
      case 'A':
        return r.resolve4(name);
      case 'AAAA':
        return r.resolve6(name);
      case 'MX':
        return r.resolveMx(name).then((mx) => mx.map((m): MxRecord => ({ exchange: stripDot(m.exchange), priority: m.priority })));
      case 'TXT':
        // RFC 7208 §3.3: a record's character-strings are concatenated without separator.
        return r.resolveTxt(name).then((txt) => txt.map((chunks) => chunks.join('')));
      case 'PTR':
        return r.resolvePtr(name).then(stripDots);
      case 'CNAME':
        return r.resolveCname(name).then(stripDots);
    }
  }

  /**
   * One query: a slot under maxConcurrent, then a lane; `done` gets the answer exactly once.
   * Callbacks, not a promise per step (issue 13, session 6: four chained promises and their
   * closures per query were a third of the resolver's own CPU); one promise per lookup remains.
   */
  function send(type: QueryType, name: string, done: (answer: DnsAnswer<unknown>) => void): void {
    const finish = (answer: DnsAnswer<unknown>): void => {
      releaseSlot();
      done(answer);
    };
    const wait = acquireSlot();
    // sendNow answers every path (a failure is an answer), so the slot is always released.
    if (wait === undefined) sendNow(type, name, finish);
    else void wait.then(() => sendNow(type, name, finish));
  }

  /**
   * One query, raced against our deadline, sent again when it may have been lost (see "Resend"
   * above): up to MAX_ATTEMPTS sends, each on a lane the earlier ones did not use, so each has a
   * fresh query id and socket. `done` gets exactly one answer: the first ok/NXDOMAIN/NODATA of
   * any send; a failure only once no send is left out (the first failure seen), or a timeout at
   * the deadline. Every send keeps the lane accounting of the header comment; a send still out
   * when the query is answered or its deadline passes counts as expired on its lane.
   */
  function sendNow(type: QueryType, name: string, done: (answer: DnsAnswer<unknown>) => void): void {
    stats.queries++;
    if (active > stats.peakConcurrent) stats.peakConcurrent = active;
    const started = Date.now();
    let answered = false;
    let overdue = false;
    let out = 0;
    let failure: DnsAnswer<unknown> | undefined;
    const sends: Send[] = [];
    // One timer per query in the usual case (an answer within a third of the deadline): it is
    // armed for the resend and, only if that fires, again for the rest of the deadline.
    let timer: ReturnType<typeof setTimeout>;
    /**
     * Sends still out once the query is answered (or its deadline passed) are counted expired on
     * their lanes, as a timed-out query is: each lane is retired and cancelled once nothing but
     * expired sends is left on it, so a lost send neither lingers nor holds the process open,
     * and no one else's query is cancelled.
     */
    const abandonSendsOut = (): void => {
      for (const x of sends) {
        if (x.settled || x.expired) continue;
        x.expired = true;
        x.lane.expired++;
        retire(x.lane);
        cancelIfOnlyExpired(x.lane);
      }
    };
    const answer = (a: DnsAnswer<unknown>): void => {
      answered = true;
      clearTimeout(timer);
      if (out > 0) abandonSendsOut();
      done(a);
    };
    const onDeadline = (): void => {
      overdue = true;
      abandonSendsOut();
      if (!answered) answer(failure ?? { status: 'timeout' });
    };
    const onResendDue = (): void => {
      timer = setTimeout(onDeadline, timeoutMs - resendMs);
      if (sends.length < MAX_ATTEMPTS) {
        // No answer after a third of the deadline: a second send, the first still counts.
        stats.resent++;
        attempt();
      }
    };
    const attempt = (): void => {
      const lane = pickLane(sends);
      const me = new Send(lane);
      sends.push(me);
      let query: Promise<unknown[]>;
      try {
        query = run(lane.channel, type, name);
      } catch (err) {
        // node:dns validates some arguments synchronously; a bad name is an answer, never a throw.
        query = Promise.reject(err);
      }
      lane.live++;
      out++;
      const settled = (a: DnsAnswer<unknown>, caresGaveUp: boolean): void => {
        me.settled = true;
        out--;
        lane.live--;
        if (me.expired) lane.expired--;
        cancelIfOnlyExpired(lane);
        if (answered) return;
        if (a.status === 'ok' || a.status === 'nxdomain' || a.status === 'nodata') return answer(a);
        // c-ares ended the send before our deadline: a lost datagram, or an answer it gave up on
        // (its learned per-try timeout). Not the server's word: ask again while time is left.
        if (caresGaveUp && !overdue && out === 0 && sends.length < MAX_ATTEMPTS && Date.now() - started < timeoutMs) {
          stats.resent++;
          attempt();
          return;
        }
        failure ??= a;
        if (out === 0) answer(failure);
      };
      query.then(
        // Frozen: the same answer object is handed to every caller through the cache. node:dns
        // returns a fresh array per query; only MX records are objects (the rest are strings).
        (records) => settled(records.length === 0 ? { status: 'nodata' } : { status: 'ok', records: Object.freeze(type === 'MX' ? records.map((r) => Object.freeze(r)) : records) as unknown[] }, false),
        (err: unknown) => settled(mapDnsError(err), isCaresTimeout(err)),
      );
    };
    timer = setTimeout(onResendDue, resendMs);
    attempt();
  }

  function lookup<T>(type: QueryType, rawName: string): Promise<DnsAnswer<T>> {
    const name = normalizeName(rawName);
    const bad = badName(name);
    if (bad !== null) return Promise.resolve({ status: 'error', code: 'EBADNAME', message: `${bad}: ${JSON.stringify(rawName)}` });
    const key = `${type} ${name}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      stats.cacheHits++;
      return Promise.resolve(cached as DnsAnswer<T>);
    }
    const pending = inflight.get(key);
    if (pending !== undefined) {
      stats.inflightJoins++;
      return pending as Promise<DnsAnswer<T>>;
    }
    const p = new Promise<DnsAnswer<unknown>>((resolve) =>
      send(type, name, (answer) => {
        cache.set(key, answer);
        inflight.delete(key);
        resolve(answer);
      }),
    );
    inflight.set(key, p);
    return p as Promise<DnsAnswer<T>>;
  }

  /** The CNAME chain starting at `name` (targets in order); [] when `name` is not an alias. */
  async function cnameChain(name: string): Promise<string[]> {
    const chain: string[] = [];
    let current = normalizeName(name);
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
      const answer = await lookup<string>('CNAME', current);
      const target = answer.status === 'ok' ? answer.records[0] : undefined;
      if (target === undefined) break;
      const next = normalizeName(target);
      if (next === current || chain.includes(next)) break; // a loop: the server will have failed anyway
      chain.push(target);
      current = next;
    }
    return chain;
  }

  async function withCnames<T>(type: QueryType, name: string, opts?: LookupOptions): Promise<DnsAnswer<T>> {
    if (!(opts?.cnames ?? followCnames)) return lookup<T>(type, name);
    const [answer, chain] = await Promise.all([lookup<T>(type, name), cnameChain(name)]);
    if (answer.status !== 'ok' || chain.length === 0) return answer;
    return { status: 'ok', records: answer.records, cnames: chain };
  }

  return {
    a: (name, opts) => withCnames<string>('A', name, opts),
    aaaa: (name, opts) => withCnames<string>('AAAA', name, opts),
    mx: (name) => withCnames<MxRecord>('MX', name),
    txt: (name) => lookup<string>('TXT', name),
    ptr: (ip) => {
      let rname: string;
      try {
        rname = reverseName(ip);
      } catch (err) {
        if (err instanceof InvalidIpError) return Promise.resolve({ status: 'error', code: err.code, message: err.message });
        throw err;
      }
      return lookup<string>('PTR', rname);
    },
    stats: () => ({ ...stats }),
  };
}
