import { describe, expect, it } from 'vitest';
import { backoffReason, FleetLeases, MemoryLeaseRedis, type LeaseOptions } from '../../src/fleet/lease.js';

/** A virtual clock: sleeping advances it, so the tests take no wall time and cannot be flaky. */
function setup(over: Partial<LeaseOptions> = {}) {
  let now = 1_000_000;
  const redis = new MemoryLeaseRedis(() => now);
  const waits: string[] = [];
  const leases = (o: Partial<LeaseOptions> = {}) =>
    new FleetLeases(redis, {
      prefix: 't:', ttlMs: 5000, hostGapMs: 1000, backoffMs: 60_000,
      sleep: async (ms) => {
        now += ms;
      },
      onWait: (ip, why, ms) => waits.push(`${ip} ${why} ${ms}`),
      ...over,
      ...o,
    });
  return { redis, leases, waits, clock: { get: () => now, add: (ms: number) => (now += ms) } };
}

describe('FleetLeases', () => {
  it('gives one holder per IP; a second worker waits until release plus the host gap', async () => {
    const { leases, clock, waits } = setup();
    const a = leases();
    const b = leases();
    const la = await a.acquire('192.0.2.1');
    const t0 = clock.get();
    let got = false;
    const pb = b.acquire('192.0.2.1').then((l) => {
      got = true;
      return l;
    });
    // b polls (virtual time passes) but cannot get it while a holds it, until the TTL frees it.
    const lb = await pb;
    expect(got).toBe(true);
    expect(clock.get() - t0).toBeGreaterThanOrEqual(5000); // a never released: the TTL expired
    expect(waits.some((w) => w.includes('busy'))).toBe(true);
    await la.release({ status: 'success', facts: {} }); // stale token: must not free b's lease
    const c = leases();
    const before = clock.get();
    const pc = c.acquire('192.0.2.1');
    await lb.release({ status: 'success', facts: {} });
    await pc;
    expect(clock.get()).toBeGreaterThan(before);
  });

  it('enforces the host gap after a release, fleet-wide', async () => {
    const { leases, clock } = setup();
    const a = leases();
    const l1 = await a.acquire('192.0.2.2');
    await l1.release({ status: 'success', facts: {} });
    const t = clock.get();
    await leases().acquire('192.0.2.2');
    expect(clock.get() - t).toBeGreaterThanOrEqual(1000);
  });

  it('a 421 or a drop makes every worker back off the IP for the back-off time', async () => {
    const { leases, clock, waits } = setup();
    const l = await leases().acquire('192.0.2.3');
    await l.release({ status: 'success', facts: { closedBy421: true } });
    const t = clock.get();
    await leases().acquire('192.0.2.3');
    expect(clock.get() - t).toBeGreaterThanOrEqual(60_000);
    expect(waits.some((w) => w.includes('backoff'))).toBe(true);
  });

  it('different IPs do not wait for each other', async () => {
    const { leases, clock } = setup();
    const t = clock.get();
    await leases().acquire('192.0.2.4');
    await leases().acquire('192.0.2.5');
    expect(clock.get()).toBe(t);
  });

  it('keeps retrying while Redis fails, and never hands out a lease it did not get', async () => {
    const { leases, clock } = setup();
    let failures = 3;
    const inner = new MemoryLeaseRedis(() => clock.get());
    const flaky = {
      eval: async (lua: string, n: number, ...rest: string[]) => {
        if (failures-- > 0) throw new Error('ECONNREFUSED');
        return inner.eval(lua, n, ...rest);
      },
    };
    const l = new FleetLeases(flaky, { prefix: 'x:', ttlMs: 5000, hostGapMs: 0, backoffMs: 0, sleep: async (ms) => void clock.add(ms), errorRetryMs: 100 });
    const t = clock.get();
    await l.acquire('192.0.2.6');
    expect(clock.get() - t).toBe(300);
  });

  it('gives up waiting when the signal fires', async () => {
    const { leases } = setup();
    await leases().acquire('192.0.2.7');
    const ac = new AbortController();
    ac.abort();
    await expect(leases().acquire('192.0.2.7', ac.signal)).rejects.toThrow(/interrupted/);
  });
});

describe('backoffReason', () => {
  it('is set for 421, a drop or a refusal, and not for an ordinary verdict', () => {
    expect(backoffReason({ status: 'success', facts: { closedBy421: true } })).toBe('421');
    expect(backoffReason({ status: 'connection-closed', facts: {} })).toBe('connection-closed');
    expect(backoffReason({ status: 'connection-refused', facts: {} })).toBe('connection-refused');
    expect(backoffReason({ status: 'success', facts: { closedBy421: false } })).toBeNull();
    expect(backoffReason(undefined)).toBeNull();
  });
});
