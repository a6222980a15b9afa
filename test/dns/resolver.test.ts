/** createResolver against the real UDP zone fixture on 127.0.0.1 (no mocks). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResolver } from '../../src/dns/resolver.js';
import { UsageError } from '../../src/errors.js';
import { reverseName, startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

const LONG_SPF = `v=spf1 ${'ip4:192.0.2.0/24 '.repeat(20)}-all`;

let fixture = zone(
  {
    'example.test': {
      MX: [{ exchange: 'mx1.example.test', priority: 10 }],
      TXT: ['v=spf1 -all', LONG_SPF],
    },
    'mx1.example.test': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'] },
    'v4only.example.test': { A: ['192.0.2.12'] },
    'alias.example.test': { CNAME: 'alias2.example.test' },
    'alias2.example.test': { CNAME: 'mx1.example.test' },
    'mxalias.example.test': { CNAME: 'example.test' },
    'deep.sub.example.test': { A: ['192.0.2.20'] },
  },
  { servfail: ['broken.example.test'], refused: ['refused.example.test'], drop: ['black.hole.test', 'mx.black.hole.test'] },
);
fixture = withPtr(fixture, '127.0.0.10', 'one.example.test', 'two.example.test.', 'three.example.test');
fixture = withPtr(fixture, '2001:db8::10', 'mx1.example.test');
fixture = withPtr(fixture, '192.0.2.12', 'V4only.Example.Test');

let server: DnsServerHandle;
beforeAll(async () => {
  server = await startDnsServer(fixture);
});
afterAll(async () => {
  await server.close();
});

function queriesFor(name: string, type?: string): number {
  return server.queryLog().filter((q) => q.name === name && (type === undefined || q.type === type)).length;
}

describe('createResolver against the zone fixture', () => {
  it('A, AAAA, MX, TXT answers', async () => {
    const r = createResolver({ servers: [server.address] });
    expect(await r.a('mx1.example.test')).toEqual({ status: 'ok', records: ['192.0.2.10', '192.0.2.11'] });
    expect(await r.aaaa('mx1.example.test')).toEqual({ status: 'ok', records: ['2001:db8::10'] });
    expect(await r.mx('example.test')).toEqual({ status: 'ok', records: [{ exchange: 'mx1.example.test', priority: 10 }] });
    // Chunks of the long SPF record are joined back without separator (RFC 7208 §3.3).
    const txt = await r.txt('example.test');
    expect(txt.status).toBe('ok');
    expect(txt.status === 'ok' ? [...txt.records].sort() : []).toEqual([LONG_SPF, 'v=spf1 -all'].sort());
  });

  it('keeps NXDOMAIN and NODATA apart, for A and for MX', async () => {
    const r = createResolver({ servers: [server.address] });
    expect(await r.a('nope.example.test')).toEqual({ status: 'nxdomain' });
    expect(await r.a('example.test')).toEqual({ status: 'nodata' });
    expect(await r.mx('nope.example.test')).toEqual({ status: 'nxdomain' });
    expect(await r.mx('mx1.example.test')).toEqual({ status: 'nodata' });
    expect(await r.aaaa('v4only.example.test')).toEqual({ status: 'nodata' });
    // Empty non-terminal: exists, no data (RFC 8020).
    expect(await r.a('sub.example.test')).toEqual({ status: 'nodata' });
    expect(await r.txt('nope.example.test')).toEqual({ status: 'nxdomain' });
  });

  it('SERVFAIL and REFUSED', async () => {
    const r = createResolver({ servers: [server.address] });
    expect(await r.a('broken.example.test')).toEqual({ status: 'servfail' });
    expect(await r.mx('broken.example.test')).toEqual({ status: 'servfail' });
    expect(await r.a('refused.example.test')).toEqual({ status: 'refused' });
  });

  it('a dropped query times out near the deadline without killing a concurrent query', async () => {
    // Every answer takes 1000 ms; the deadline is 1400 ms. The normal query is sent at +800 ms, so
    // it is still in flight when the dropped query's deadline fires (and cancels) at +1400 ms, and
    // answers at ~+1800 ms, well before its own deadline at +2200 ms.
    const slow = await startDnsServer(zone({ 'fine.test': { A: ['192.0.2.1'] } }, { drop: ['black.hole.test'], latencyMs: 1_000 }));
    try {
      const r = createResolver({ servers: [slow.address], timeoutMs: 1_400, cnames: false });
      const started = Date.now();
      const [dropped, normal] = await Promise.all([
        r.a('black.hole.test'),
        new Promise((res) => setTimeout(res, 800)).then(() => r.a('fine.test')),
      ]);
      const droppedElapsed = Date.now() - started;
      expect(dropped).toEqual({ status: 'timeout' });
      expect(normal).toEqual({ status: 'ok', records: ['192.0.2.1'] });
      // Generous bound: proves the deadline is ours, not c-ares' retry schedule (4 tries, backing off).
      expect(droppedElapsed).toBeLessThan(1_400 + 2_000);
      // Each name is asked a second time, on another lane, when it has had no answer after a
      // third of the deadline (+467 ms and +1267 ms here); nothing else is sent.
      expect(slow.queryLog()).toEqual([
        { name: 'black.hole.test', type: 'A' },
        { name: 'black.hole.test', type: 'A' },
        { name: 'fine.test', type: 'A' },
        { name: 'fine.test', type: 'A' },
      ]);
      // A channel that was cancelled goes back to the pool and still works.
      expect(await r.a('fine.test')).toEqual({ status: 'ok', records: ['192.0.2.1'] });
    } finally {
      await slow.close();
    }
  });

  it('several dropped queries at once all time out, and the resolver still answers after', async () => {
    const r = createResolver({ servers: [server.address], timeoutMs: 300 });
    const started = Date.now();
    const answers = await Promise.all([r.a('black.hole.test'), r.mx('mx.black.hole.test'), r.aaaa('black.hole.test')]);
    expect(answers.map((a) => a.status)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(Date.now() - started).toBeLessThan(300 + 2_000);
    expect(await r.a('v4only.example.test')).toEqual({ status: 'ok', records: ['192.0.2.12'] });
  });

  it('a query in flight when the deadline fires on a latency zone is a timeout; a fast one is not', async () => {
    const slow = await startDnsServer(zone({ 'slow.test': { A: ['192.0.2.1'] } }, { latencyMs: 1_000 }));
    try {
      const r = createResolver({ servers: [slow.address], timeoutMs: 200 });
      expect(await r.a('slow.test')).toEqual({ status: 'timeout' });
      const patient = createResolver({ servers: [slow.address], timeoutMs: 5_000, cnames: false });
      expect(await patient.a('slow.test')).toEqual({ status: 'ok', records: ['192.0.2.1'] });
    } finally {
      await slow.close();
    }
  });

  it('follows a CNAME chain and reports it in cnames', async () => {
    const r = createResolver({ servers: [server.address] });
    expect(await r.a('alias.example.test')).toEqual({
      status: 'ok',
      records: ['192.0.2.10', '192.0.2.11'],
      cnames: ['alias2.example.test', 'mx1.example.test'],
    });
    expect(await r.aaaa('Alias.Example.Test.')).toEqual({
      status: 'ok',
      records: ['2001:db8::10'],
      cnames: ['alias2.example.test', 'mx1.example.test'],
    });
    expect(await r.mx('mxalias.example.test')).toEqual({
      status: 'ok',
      records: [{ exchange: 'mx1.example.test', priority: 10 }],
      cnames: ['example.test'],
    });
    // A name that is no alias gets no cnames key at all.
    expect(await r.a('mx1.example.test')).not.toHaveProperty('cnames');
    // With cnames off the chain is still followed by the server; only the report is missing.
    const plain = createResolver({ servers: [server.address], cnames: false });
    expect(await plain.a('alias.example.test')).toEqual({ status: 'ok', records: ['192.0.2.10', '192.0.2.11'] });
  });

  it('PTR: several names, trailing dots stripped, IPv6 under ip6.arpa, nxdomain kept', async () => {
    const r = createResolver({ servers: [server.address] });
    const v4 = await r.ptr('127.0.0.10');
    expect(v4.status).toBe('ok');
    expect(v4.status === 'ok' ? [...v4.records].sort() : []).toEqual(['one.example.test', 'three.example.test', 'two.example.test']);
    expect(await r.ptr('2001:db8::10')).toEqual({ status: 'ok', records: ['mx1.example.test'] });
    expect(server.queryLog()).toContainEqual({ name: reverseName('2001:db8::10'), type: 'PTR' });
    expect(reverseName('2001:db8::10')).toMatch(/\.8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa$/);
    expect(await r.ptr('192.0.2.99')).toEqual({ status: 'nxdomain' });
    const bad = await r.ptr('not-an-ip');
    expect(bad).toMatchObject({ status: 'error', code: 'E_INVALID_IP' });
  });

  it('asks a (type, name) once: 50 concurrent and 50 sequential calls send exactly 1 query', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address] });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => r.a(i % 2 === 0 ? 'v4only.example.test' : 'V4ONLY.example.test.')));
    for (let i = 0; i < 50; i++) answers.push(await r.a('v4only.example.test'));
    for (const a of answers) expect(a).toEqual({ status: 'ok', records: ['192.0.2.12'] });
    expect(queriesFor('v4only.example.test', 'A')).toBe(1);
    // The CNAME probe that fills `cnames` is asked once too, and is the only other query.
    expect(queriesFor('v4only.example.test', 'CNAME')).toBe(1);
    expect(server.queries()).toBe(2);
    const s = r.stats();
    expect(s.queries).toBe(2);
    expect(s.inflightJoins + s.cacheHits).toBeGreaterThanOrEqual(98); // 49+50 per type, minus timing
    // Failures are cached too: a SERVFAIL name is not asked again in the run.
    await r.a('broken.example.test');
    await r.a('broken.example.test');
    expect(queriesFor('broken.example.test', 'A')).toBe(1);
  });

  it('with cnames off, 100 calls for one name are exactly one query', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address], cnames: false });
    await Promise.all(Array.from({ length: 50 }, () => r.mx('example.test')));
    for (let i = 0; i < 50; i++) await r.mx('EXAMPLE.test');
    expect(server.queryLog()).toEqual([{ name: 'example.test', type: 'MX' }]);
    expect(r.stats()).toEqual({ queries: 1, cacheHits: 50, inflightJoins: 49, peakConcurrent: 1, channels: 1, resent: 0 });
  });

  it('the LRU bound evicts: the oldest name is asked again, the recent one is not', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address], cacheSize: 2, cnames: false });
    await r.a('mx1.example.test');
    await r.a('v4only.example.test');
    await r.a('deep.sub.example.test'); // evicts mx1
    await r.a('deep.sub.example.test'); // cached
    await r.a('mx1.example.test'); // asked again
    expect(queriesFor('mx1.example.test', 'A')).toBe(2);
    expect(queriesFor('deep.sub.example.test', 'A')).toBe(1);
    expect(r.stats().queries).toBe(4);
  });

  it('cached answers are frozen so one caller cannot corrupt another', async () => {
    const r = createResolver({ servers: [server.address], cnames: false });
    const first = await r.a('mx1.example.test');
    if (first.status !== 'ok') throw new Error('expected ok');
    expect(() => (first.records as string[]).push('198.51.100.1')).toThrow(TypeError);
    expect(await r.a('mx1.example.test')).toEqual({ status: 'ok', records: ['192.0.2.10', '192.0.2.11'] });
  });

  it('fails over to a second server within the deadline', async () => {
    // The first server drops everything, the second answers.
    const dead = await startDnsServer(zone({}, { drop: ['mx1.example.test'] }));
    try {
      const r = createResolver({ servers: [dead.address, server.address], timeoutMs: 2_000, cnames: false });
      expect(await r.a('mx1.example.test')).toEqual({ status: 'ok', records: ['192.0.2.10', '192.0.2.11'] });
      expect(dead.queries()).toBe(1);
    } finally {
      await dead.close();
    }
  });

  it('maps a server that is not there to unreachable (ECONNREFUSED) or a timeout, never a throw', async () => {
    // Bind and close a fixture to get a loopback port with (very likely) no listener.
    const gone = await startDnsServer(zone({}));
    const address = gone.address;
    await gone.close();
    const r = createResolver({ servers: [address], timeoutMs: 500, cnames: false });
    const answer = await r.a('anything.test');
    expect(['timeout', 'unreachable']).toContain(answer.status);
  });

  it('caps the queries on the wire at once, and still answers every one', async () => {
    const records: Record<string, { A: string[] }> = {};
    for (let i = 0; i < 300; i++) records[`h${i}.bulk.test`] = { A: [`192.0.2.${i % 250}`] };
    const bulk = await startDnsServer(zone(records, { latencyMs: 20 }));
    try {
      const capped = createResolver({ servers: [bulk.address], maxConcurrent: 8, cnames: false });
      const answers = await Promise.all(Object.keys(records).map((n) => capped.a(n)));
      expect(answers.every((a, i) => a.status === 'ok' && a.records[0] === `192.0.2.${i % 250}`)).toBe(true);
      expect(capped.stats().queries).toBe(300);
      expect(capped.stats().peakConcurrent).toBe(8);
      bulk.resetLog();
      const uncapped = createResolver({ servers: [bulk.address], cnames: false });
      const again = await Promise.all(Object.keys(records).map((n) => uncapped.a(n)));
      expect(again.filter((a) => a.status === 'ok')).toHaveLength(300);
      expect(uncapped.stats().peakConcurrent).toBeGreaterThan(8);
      expect(bulk.queries()).toBe(300);
    } finally {
      await bulk.close();
    }
  });

  it('an answer too big for UDP is truncated and fetched again over TCP', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `198.51.100.${i + 1}`);
    const big = await startDnsServer(zone({ 'big.test': { A: many } }));
    try {
      const r = createResolver({ servers: [big.address], cnames: false });
      const answer = await r.a('big.test');
      expect(answer.status === 'ok' ? [...answer.records].sort() : answer).toEqual([...many].sort());
      // Asked once by the resolver, seen twice by the server: UDP (truncated) then TCP.
      expect(r.stats().queries).toBe(1);
      expect(big.queryLog()).toEqual([
        { name: 'big.test', type: 'A' },
        { name: 'big.test', type: 'A' },
      ]);
    } finally {
      await big.close();
    }
  });

  it('bad names are error answers, never throws, and the impossible ones are not sent at all', async () => {
    server.resetLog();
    const r = createResolver({ servers: [server.address] });
    for (const name of ['', '.', 'a\u0000b.test', 'bad name.test', 'bücher.test']) {
      expect(await r.a(name)).toMatchObject({ status: 'error', code: 'EBADNAME' });
    }
    expect(server.queries()).toBe(0);
    // c-ares refuses a 64-octet label itself (RFC 1035 §2.3.4 caps labels at 63).
    expect(await r.mx(`${'a'.repeat(64)}.test`)).toMatchObject({ status: 'error', code: 'EBADNAME' });
    expect(await r.mx(`${'a'.repeat(63)}.test`)).toEqual({ status: 'nxdomain' });
  });

  it('rejects a bad --resolver value with a UsageError up front', () => {
    expect(() => createResolver({ servers: ['127.0.0.1:0'] })).toThrow(UsageError);
    expect(() => createResolver({ servers: ['resolver.example'] })).toThrow(UsageError);
  });
});
