/**
 * createResolver's shared channels ("lanes", issue 13 part 3) and the per-call `cnames: false`,
 * against the real UDP zone fixture on 127.0.0.1. No timed assertions: latencies in the zone only
 * order events; bounds are generous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

const NAMES = Array.from({ length: 200 }, (_, i) => `h${i}.lanes.test`);

let fixture = zone(
  {
    ...Object.fromEntries(NAMES.map((n, i) => [n, { A: [`192.0.2.${(i % 250) + 1}`] }])),
    'alias.lanes.test': { CNAME: 'h1.lanes.test' },
  },
  { drop: ['black.hole.test'] },
);
fixture = withPtr(fixture, '127.0.0.10', 'h9.lanes.test');

let server: DnsServerHandle;
beforeAll(async () => {
  server = await startDnsServer(fixture);
});
afterAll(async () => {
  await server.close();
});

describe('resolver lanes: many queries share few channels', () => {
  it('200 concurrent distinct queries are all answered, over a handful of channels, not 200', async () => {
    const r = createResolver({ servers: [server.address], cnames: false });
    const answers = await Promise.all(NAMES.map((n) => r.a(n)));
    answers.forEach((a, i) => expect(a).toEqual({ status: 'ok', records: [`192.0.2.${(i % 250) + 1}`] }));
    const s = r.stats();
    expect(s.queries).toBe(200);
    // 32 queries per lane: 200 at once need at most 7 lanes (the old design built one per query).
    expect(s.channels).toBeGreaterThanOrEqual(1);
    expect(s.channels).toBeLessThanOrEqual(Math.ceil(200 / 32) + 1);
  });

  it('a query that times out on a shared lane cancels nothing else on it', async () => {
    // Every answer takes 600 ms; the deadline is 1000 ms. The dropped query and 40 normal ones
    // share the first lane; the normal ones are sent at +500 ms, so they are in flight when the
    // dropped query's deadline fires at +1000 ms and answer at ~+1100 ms.
    const slow = await startDnsServer(zone(Object.fromEntries(NAMES.slice(0, 40).map((n) => [n, { A: ['192.0.2.7'] }])), { drop: ['black.hole.test'], latencyMs: 600 }));
    try {
      const r = createResolver({ servers: [slow.address], timeoutMs: 1_000, cnames: false });
      const [dropped, ...normal] = await Promise.all([
        r.a('black.hole.test'),
        ...NAMES.slice(0, 40).map((n) => new Promise((res) => setTimeout(res, 500)).then(() => r.a(n))),
      ]);
      expect(dropped).toEqual({ status: 'timeout' });
      for (const a of normal) expect(a).toEqual({ status: 'ok', records: ['192.0.2.7'] });
      // The lane that held the expired query was retired; new queries get another one and work.
      expect(await r.a('black.hole.test')).toEqual({ status: 'timeout' }); // cached failure, no new query
      expect(await r.a(NAMES[41] ?? '')).toEqual({ status: 'nxdomain' });
      expect(r.stats().channels).toBeGreaterThanOrEqual(2);
    } finally {
      await slow.close();
    }
  });

  it('several timeouts on one lane: the lane is cancelled once only expired queries are left', async () => {
    const r = createResolver({ servers: [server.address], timeoutMs: 300, cnames: false });
    const answers = await Promise.all([r.a('black.hole.test'), r.aaaa('black.hole.test'), r.a(NAMES[3] ?? '')]);
    expect(answers.map((a) => a.status)).toEqual(['timeout', 'timeout', 'ok']);
    expect(await r.a(NAMES[4] ?? '')).toEqual({ status: 'ok', records: ['192.0.2.5'] });
  });
});

describe('per-call cnames option', () => {
  it('a(name, { cnames: false }) sends no CNAME query; the default does, and reports the chain', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address] });
    expect(await r.a('alias.lanes.test', { cnames: false })).toEqual({ status: 'ok', records: ['192.0.2.2'] });
    expect(server.queryLog()).toEqual([{ name: 'alias.lanes.test', type: 'A' }]);
    // The same name asked with the chain: A comes from the cache, the CNAME chain is walked now
    // (one hop, then the target's CNAME query finds none).
    expect(await r.a('alias.lanes.test')).toEqual({ status: 'ok', records: ['192.0.2.2'], cnames: ['h1.lanes.test'] });
    expect(server.queryLog()).toEqual([
      { name: 'alias.lanes.test', type: 'A' },
      { name: 'alias.lanes.test', type: 'CNAME' },
      { name: 'h1.lanes.test', type: 'CNAME' },
    ]);
  });

  it('forward confirmation of a PTR name asks PTR and A only (no CNAME)', async () => {
    const { forwardConfirm } = await import('../../src/dns/reverse.js');
    server.resetLog();
    const r = createResolver({ servers: [server.address] });
    const out = await forwardConfirm('127.0.0.10', r);
    expect(out.names).toEqual(['h9.lanes.test']);
    expect(out.unconfirmed).toEqual([{ name: 'h9.lanes.test', reason: 'no matching address (192.0.2.10)' }]);
    expect(server.queryLog().map((q) => q.type).sort()).toEqual(['A', 'PTR']);
  });
});
