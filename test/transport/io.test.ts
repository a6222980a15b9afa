/**
 * The injected I/O against real loopback servers: the DNSSEC-aware query (UDP, TCP fallback on
 * TC, AD read from the reply) against the lab DNS server, and the MTA-STS policy fetch against
 * node:https servers that behave and misbehave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startDnsServer, zone, type DnsServerHandle } from '../../src/lab/dns-server.js';
import { createSecureResolver } from '../../src/transport/dns-query.js';
import { createPolicyFetcher } from '../../src/transport/https-fetch.js';
import { POLICY_CERT, POLICY_KEY } from '../../src/lab/demo-transport.js';

let dns: DnsServerHandle;
beforeAll(async () => {
  dns = await startDnsServer(
    zone(
      {
        '_25._tcp.mx.signed.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }] },
        // Enough records that the UDP answer is truncated and the query goes to TCP.
        '_25._tcp.big.signed.test': { TLSA: Array.from({ length: 40 }, (_, i) => ({ usage: 3, selector: 0, matchingType: 2, data: i.toString(16).padStart(2, '0').repeat(64) })) },
        '_25._tcp.mx.plain.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'cd'.repeat(32) }] },
        'mx.signed.test': { A: ['192.0.2.1'] },
      },
      { secure: ['signed.test'], servfail: ['_25._tcp.broken.test'] },
    ),
  );
});
afterAll(async () => {
  await dns.close();
});

describe('createSecureResolver (dns-packet over UDP/TCP, DO + AD)', () => {
  const r = () => createSecureResolver({ server: { ip: '127.0.0.1', family: 4, port: dns.port }, timeoutMs: 3000 });
  it('reads AD for a signed name, records decoded', async () => {
    const a = await r().tlsa('_25._tcp.mx.signed.test');
    expect(a).toMatchObject({ kind: 'records', dnssec: 'secure' });
    if (a.kind === 'records') expect(Buffer.from(a.records[0]!.data).toString('hex')).toBe('ab'.repeat(32));
  });
  it('no AD and no signatures: insecure', async () => {
    expect(await r().tlsa('_25._tcp.mx.plain.test')).toMatchObject({ kind: 'records', dnssec: 'insecure' });
  });
  it('falls back to TCP when the UDP answer is truncated', async () => {
    dns.resetLog();
    const a = await r().tlsa('_25._tcp.big.signed.test');
    expect(a.kind === 'records' && a.records.length).toBe(40);
    // Asked twice: once over UDP (truncated), once over TCP.
    expect(dns.queryLog().filter((q) => q.name === '_25._tcp.big.signed.test')).toHaveLength(2);
  });
  it('NODATA and NXDOMAIN are "none"; SERVFAIL twice (also with CD) is indeterminate, not bogus', async () => {
    expect((await r().tlsa('mx.signed.test')).kind).toBe('none');
    expect(await r().tlsa('_25._tcp.nothing.test')).toMatchObject({ kind: 'none', nxdomain: true });
    expect(await r().tlsa('_25._tcp.broken.test')).toMatchObject({ kind: 'failed', dnssec: 'indeterminate' });
  });
  it('a silent server times out as indeterminate', async () => {
    const dead = createSecureResolver({ server: { ip: '127.0.0.1', family: 4, port: 9 }, timeoutMs: 300 });
    expect((await dead.tlsa('_25._tcp.x.test')).kind).toBe('failed');
  });
});

describe('createPolicyFetcher (RFC 8461 §3.3)', () => {
  let server: Server;
  let port = 0;
  const hanging = new Set<Socket>();
  beforeAll(async () => {
    server = createServer({ key: POLICY_KEY, cert: POLICY_CERT }, (req, res) => {
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      if (host === 'mta-sts.secure.demo.test') return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('version: STSv1\n');
      if (host === 'mta-sts.postfix.demo.test') return void res.writeHead(301, { location: 'https://elsewhere/' }).end();
      if (host === 'mta-sts.grey.demo.test') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(70_000));
      if (host === 'mta-sts.exim.demo.test') {
        hanging.add(req.socket);
        return; // never answers
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of hanging) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const fetcher = (extraCa: string[], timeoutMs = 5000) => createPolicyFetcher({ extraCa, timeoutMs, port, lookup: async () => '127.0.0.1' });

  it('fetches a text/plain policy from a server trusted through --ca-file', async () => {
    expect(await fetcher([POLICY_CERT])('secure.demo.test')).toEqual({ ok: true, body: 'version: STSv1\n' });
  });
  it('an untrusted certificate fails (system CAs only)', async () => {
    const r = await fetcher([])('secure.demo.test');
    expect(r.ok).toBe(false);
  });
  it('does not follow redirects', async () => {
    expect(await fetcher([POLICY_CERT])('postfix.demo.test')).toMatchObject({ ok: false, error: expect.stringMatching(/redirect/) });
  });
  it('caps the size', async () => {
    expect(await fetcher([POLICY_CERT])('grey.demo.test')).toMatchObject({ ok: false, error: expect.stringMatching(/larger than/) });
  });
  it('a server that hangs is bounded by the timeout', async () => {
    const t0 = Date.now();
    const r = await fetcher([POLICY_CERT], 400)('exim.demo.test');
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/timeout/) });
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
  it('a name the certificate does not cover fails', async () => {
    const r = await fetcher([POLICY_CERT])('other.test');
    expect(r.ok).toBe(false);
  });
  it('a TCP server that never speaks TLS is bounded too', async () => {
    const conns = new Set<Socket>();
    const silent: NetServer = createNetServer((c) => void conns.add(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const p = (silent.address() as AddressInfo).port;
    const r = await createPolicyFetcher({ extraCa: [POLICY_CERT], timeoutMs: 300, port: p, lookup: async () => '127.0.0.1' })('secure.demo.test');
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/timeout/) });
    for (const c of conns) c.destroy();
    await new Promise<void>((r2) => silent.close(() => r2()));
  });
});
