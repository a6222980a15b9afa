/**
 * Fleet-wide politeness: one connection per receiver IP at a time across every worker, the
 * --host-gap between them, and a shared back-off after a 421 or a drop.
 *
 * Design (the single-instance lock of https://redis.io/docs/manual/patterns/distributed-locks/):
 *  - acquire: `SET lease:<ip> <token> NX PX <ttl>` — only one holder; the TTL is the session
 *    deadline plus a margin, so a worker killed mid-session frees the IP by itself;
 *  - release: compare-and-set in Lua: only the holder of the token touches the key, and instead of
 *    deleting it, it re-arms it with PX <host-gap> — the gap is enforced fleet-wide by Redis's own
 *    clock; a late release after expiry does nothing to a newer holder;
 *  - back-off: `SET backoff:<ip> <why> PX <backoff>`; acquire refuses while it exists.
 * Only relative times (PX) are sent, and Redis measures them on its own clock: skew between the
 * workers' clocks does not matter.
 *
 * Pure: the Redis is injected as anything with ioredis's `eval(script, numkeys, ...keysAndArgs)`,
 * so the logic is tested against an in-memory model and the real thing is an ioredis instance.
 */
import { randomBytes } from 'node:crypto';
import { abortableSleep } from '../net/abort.js';

/** The one command the leases need; an ioredis `Redis` instance satisfies it as is. */
export interface LeaseRedis {
  eval(script: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** KEYS[1] lease, KEYS[2] backoff; ARGV[1] token, ARGV[2] ttl ms. → {'ok'|'busy'|'backoff', pttl} */
export const ACQUIRE_LUA = `
local b = redis.call('PTTL', KEYS[2])
if b > 0 then return {'backoff', b} end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'ok', 0} end
return {'busy', redis.call('PTTL', KEYS[1])}
`;

/** KEYS[1] lease, KEYS[2] backoff; ARGV[1] token, ARGV[2] gap ms, ARGV[3] backoff ms, ARGV[4] reason. */
export const RELEASE_LUA = `
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3]) end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], 'gap', 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

export interface LeaseOptions {
  prefix: string;
  /** How long a lease lives if never released: the session deadline plus a margin. */
  ttlMs: number;
  hostGapMs: number;
  /** How long every worker leaves an IP alone after a 421 or a drop. */
  backoffMs: number;
  /** Longest single wait between attempts (the rest is re-checked). */
  maxPollMs?: number;
  /** How long to wait before retrying when Redis itself fails. */
  errorRetryMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onWait?: (ip: string, why: 'busy' | 'backoff' | 'redis-error', ms: number, detail?: string) => void;
}

export interface Lease {
  ip: string;
  token: string;
  /** Give the IP back; `result` is the session's outcome (a 421 or drop starts the back-off). */
  release(result: unknown): Promise<void>;
}

const defaultSleep = abortableSleep;

/** Why the fleet should back off an IP after this session, or null. Shape-checked: a SessionRun. */
export function backoffReason(result: unknown): string | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as { status?: unknown; facts?: { closedBy421?: unknown } };
  if (r.facts?.closedBy421 === true) return '421';
  // RFC 5321 §3.8: a server that drops the connection without a reply is overloaded or refusing us.
  if (r.status === 'connection-closed' || r.status === 'connection-refused') return String(r.status);
  return null;
}

export class AbortedError extends Error {
  override readonly name = 'AbortedError';
}

export class FleetLeases {
  private readonly sleep: NonNullable<LeaseOptions['sleep']>;
  constructor(private readonly redis: LeaseRedis, private readonly options: LeaseOptions) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  keys(ip: string): [string, string] {
    const k = ip.toLowerCase();
    return [`${this.options.prefix}lease:${k}`, `${this.options.prefix}backoff:${k}`];
  }

  /** Waits until this process holds the IP's lease (or the signal fires: AbortedError). */
  async acquire(ip: string, signal?: AbortSignal): Promise<Lease> {
    const token = randomBytes(12).toString('hex');
    const keys = this.keys(ip);
    const maxPoll = this.options.maxPollMs ?? 1000;
    for (;;) {
      if (signal?.aborted) throw new AbortedError('interrupted while waiting for a fleet lease');
      let reply: unknown;
      try {
        reply = await this.redis.eval(ACQUIRE_LUA, 2, ...keys, token, String(this.options.ttlMs));
      } catch (err) {
        // Redis down or restarting: wait and try again; never probe without the lease.
        const ms = this.options.errorRetryMs ?? 1000;
        this.options.onWait?.(ip, 'redis-error', ms, (err as Error).message);
        await this.sleep(ms, signal);
        continue;
      }
      const [state, pttl] = Array.isArray(reply) ? reply : [];
      if (state === 'ok') {
        return { ip, token, release: (result) => this.release(keys, token, result) };
      }
      const why = state === 'backoff' ? 'backoff' : 'busy';
      // PTTL -1 (no expiry) cannot come from our own keys, -2 means it just went: retry soon.
      const ms = Math.max(10, Math.min(typeof pttl === 'number' && pttl > 0 ? pttl : 10, maxPoll));
      this.options.onWait?.(ip, why, ms);
      await this.sleep(ms, signal);
    }
  }

  private async release(keys: [string, string], token: string, result: unknown): Promise<void> {
    const reason = backoffReason(result);
    const args = [token, String(this.options.hostGapMs), String(reason ? this.options.backoffMs : 0), reason ?? ''];
    // A failed release is harmless: the lease expires by itself after its TTL.
    for (let i = 0; i < 3; i++) {
      try {
        await this.redis.eval(RELEASE_LUA, 2, ...keys, ...args);
        return;
      } catch {
        await this.sleep(this.options.errorRetryMs ?? 200);
      }
    }
  }
}

/**
 * An in-memory model of the two scripts with an injectable clock, for tests and for reasoning:
 * the same semantics as Redis's SET NX PX / PTTL / GET / DEL.
 */
export class MemoryLeaseRedis implements LeaseRedis {
  private readonly store = new Map<string, { value: string; expires: number }>();
  calls = 0;
  constructor(public now: () => number = Date.now) {}
  private live(key: string) {
    const e = this.store.get(key);
    if (e && e.expires <= this.now()) {
      this.store.delete(key);
      return undefined;
    }
    return e;
  }
  private pttl(key: string): number {
    const e = this.live(key);
    return e ? e.expires - this.now() : -2;
  }
  get(key: string): string | null {
    return this.live(key)?.value ?? null;
  }
  async eval(lua: string, numkeys: number, ...rest: string[]): Promise<unknown> {
    this.calls++;
    const [lease = '', backoff = ''] = rest.slice(0, numkeys);
    const args = rest.slice(numkeys);
    if (lua === ACQUIRE_LUA) {
      const b = this.pttl(backoff);
      if (b > 0) return ['backoff', b];
      if (!this.live(lease)) {
        this.store.set(lease, { value: args[0] ?? '', expires: this.now() + Number(args[1]) });
        return ['ok', 0];
      }
      return ['busy', this.pttl(lease)];
    }
    if (lua === RELEASE_LUA) {
      const [token = '', gap = '0', back = '0', reason = ''] = args;
      if (Number(back) > 0) this.store.set(backoff, { value: reason, expires: this.now() + Number(back) });
      if (this.live(lease)?.value !== token) return 0;
      if (Number(gap) > 0) this.store.set(lease, { value: 'gap', expires: this.now() + Number(gap) });
      else this.store.delete(lease);
      return 1;
    }
    throw new Error('unknown script');
  }
}
