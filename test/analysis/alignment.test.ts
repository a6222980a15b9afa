/** Alignment checks against the real UDP DNS fixture on 127.0.0.1 through createResolver. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiverAlignment, senderAlignment } from '../../src/analysis/alignment.js';
import { createResolver } from '../../src/dns/resolver.js';
import type { AlignmentCheck } from '../../src/results.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

function byId(checks: AlignmentCheck[]): Record<string, AlignmentCheck> {
  return Object.fromEntries(checks.map((c) => [c.id, c]));
}

beforeAll(async () => {
  let z = zone(
    {
      'good.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] },
      'other.example.test': { A: ['127.0.0.99'] },
      'elsewhere.example.test': { A: ['127.0.0.77'] },
      'multi.example.test': { A: ['127.0.0.12'] },
      'v6.example.test': { AAAA: ['2001:db8::25'], TXT: ['v=spf1 ip6:2001:db8::/64 -all'] },
      'alias.example.test': { CNAME: 'good.example.test' },
      'nodata.example.test': { TXT: ['hello'] },
      'mxonly.example.test': { MX: [{ exchange: 'good.example.test', priority: 10 }] },
      'spffail.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
      'mx.receiver.test': { A: ['127.0.0.30'] },
    },
    { servfail: ['broken.example.test'], drop: ['slow.example.test'] },
  );
  z = withPtr(z, '127.0.0.10', 'good.example.test');
  z = withPtr(z, '127.0.0.11', 'elsewhere.example.test');
  z = withPtr(z, '127.0.0.12', 'wrong.example.test', 'multi.example.test');
  z = withPtr(z, '2001:db8::25', 'v6.example.test');
  z = withPtr(z, '127.0.0.30', 'mx.receiver.test');
  server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  resolver = createResolver({ servers: [server.address], timeoutMs: 800 });
});

afterAll(async () => {
  await server.close();
});

describe('senderAlignment', () => {
  it('passes every check for a fully aligned identity', async () => {
    const { checks, observedIp } = await senderAlignment({ helo: 'good.example.test', sourceIp: '127.0.0.10' }, resolver);
    const c = byId(checks);
    for (const id of ['helo-syntax', 'helo-fqdn', 'helo-resolves', 'helo-addresses-include-ip', 'ptr-exists', 'ptr-matches-helo', 'fcrdns', 'helo-generic', 'spf-helo']) {
      expect(c[id]?.status, `${id}: ${c[id]?.detail}`).toBe('pass');
    }
    expect(c['literal-matches-ip']?.status).toBe('skip');
    expect(c['ptr-matches-helo']?.detail).toBe('PTR of 127.0.0.10 is good.example.test; HELO is good.example.test');
    expect(observedIp).toBeUndefined();
  });

  it('reports a missing PTR', async () => {
    const c = byId((await senderAlignment({ helo: 'good.example.test', sourceIp: '127.0.0.50' }, resolver)).checks);
    expect(c['ptr-exists']?.status).toBe('fail');
    expect(c['ptr-exists']?.detail).toMatch(/127\.0\.0\.50 has no PTR record \(NXDOMAIN at 50\.0\.0\.127\.in-addr\.arpa\)/);
    expect(c['fcrdns']?.status).toBe('skip');
    expect(c['ptr-matches-helo']?.status).toBe('skip');
    expect(c['helo-addresses-include-ip']?.status).toBe('fail');
  });

  it('fails when the PTR names a host that resolves elsewhere', async () => {
    const c = byId((await senderAlignment({ helo: 'good.example.test', sourceIp: '127.0.0.11' }, resolver)).checks);
    expect(c['ptr-exists']?.status).toBe('pass');
    expect(c['ptr-matches-helo']?.status).toBe('fail');
    expect(c['ptr-matches-helo']?.detail).toBe('PTR of 127.0.0.11 is elsewhere.example.test; HELO is good.example.test');
    expect(c['fcrdns']?.status).toBe('fail');
    expect(c['fcrdns']?.detail).toContain('elsewhere.example.test -> 127.0.0.77');
  });

  it('accepts one matching PTR among several', async () => {
    const c = byId((await senderAlignment({ helo: 'multi.example.test', sourceIp: '127.0.0.12' }, resolver)).checks);
    expect(c['ptr-matches-helo']?.status).toBe('pass');
    expect(c['fcrdns']?.status).toBe('pass');
    expect(c['fcrdns']?.detail).toContain('multi.example.test');
    expect(c['fcrdns']?.detail).not.toContain('wrong.example.test (PTR');
  });

  it('handles IPv6', async () => {
    const c = byId((await senderAlignment({ helo: 'v6.example.test', sourceIp: '2001:db8::25' }, resolver)).checks);
    for (const id of ['helo-resolves', 'helo-addresses-include-ip', 'ptr-exists', 'ptr-matches-helo', 'fcrdns', 'spf-helo']) {
      expect(c[id]?.status, `${id}: ${c[id]?.detail}`).toBe('pass');
    }
  });

  it('tells NXDOMAIN from NODATA for the HELO name', async () => {
    const nx = byId((await senderAlignment({ helo: 'missing.example.test', sourceIp: null }, resolver)).checks);
    expect(nx['helo-resolves']?.status).toBe('fail');
    expect(nx['helo-resolves']?.detail).toMatch(/NXDOMAIN/);
    const nd = byId((await senderAlignment({ helo: 'nodata.example.test', sourceIp: null }, resolver)).checks);
    expect(nd['helo-resolves']?.status).toBe('fail');
    expect(nd['helo-resolves']?.detail).toMatch(/NODATA/);
    const mx = byId((await senderAlignment({ helo: 'mxonly.example.test', sourceIp: null }, resolver)).checks);
    expect(mx['helo-resolves']?.status).toBe('pass');
    expect(mx['helo-addresses-include-ip']?.status).toBe('skip');
  });

  it('treats SERVFAIL as temporary (warn, not fail)', async () => {
    const c = byId((await senderAlignment({ helo: 'broken.example.test', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(c['helo-resolves']?.status).toBe('warn');
    expect(c['helo-resolves']?.detail).toMatch(/temporary DNS failure \(servfail\)/);
    expect(c['helo-addresses-include-ip']?.status).toBe('warn');
    expect(c['spf-helo']?.status).toBe('warn');
    expect(Object.values(c).filter((x) => x.status === 'fail').map((x) => x.id)).toEqual(['ptr-matches-helo']);
  });

  it('treats a timeout as temporary and does not hang', async () => {
    const t0 = Date.now();
    const c = byId((await senderAlignment({ helo: 'slow.example.test', sourceIp: null }, resolver)).checks);
    expect(c['helo-resolves']?.status).toBe('warn');
    expect(c['helo-resolves']?.detail).toMatch(/timeout/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('follows a CNAMEd HELO name', async () => {
    const c = byId((await senderAlignment({ helo: 'alias.example.test', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(c['helo-resolves']?.status).toBe('pass');
    expect(c['helo-resolves']?.detail).toContain('via CNAME');
    expect(c['helo-addresses-include-ip']?.status).toBe('pass');
    expect(c['ptr-matches-helo']?.status).toBe('fail');
  });

  it('evaluates SPF for the HELO identity: pass, fail, none', async () => {
    const pass = byId((await senderAlignment({ helo: 'good.example.test', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(pass['spf-helo']?.detail).toMatch(/^SPF pass/);
    const fail = byId((await senderAlignment({ helo: 'spffail.example.test', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(fail['spf-helo']?.status).toBe('fail');
    expect(fail['spf-helo']?.detail).toMatch(/^SPF fail/);
    const none = byId((await senderAlignment({ helo: 'other.example.test', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(none['spf-helo']?.status).toBe('warn');
    expect(none['spf-helo']?.detail).toMatch(/^SPF none/);
  });

  it('checks address literals against the IP', async () => {
    const ok = byId((await senderAlignment({ helo: '[127.0.0.10]', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(ok['literal-matches-ip']?.status).toBe('pass');
    expect(ok['helo-fqdn']?.status).toBe('skip');
    expect(ok['spf-helo']?.status).toBe('skip');
    const bad = byId((await senderAlignment({ helo: '[127.0.0.99]', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(bad['literal-matches-ip']?.status).toBe('fail');
    const bare = byId((await senderAlignment({ helo: '127.0.0.10', sourceIp: '127.0.0.10' }, resolver)).checks);
    expect(bare['helo-syntax']?.status).toBe('fail');
    expect(bare['helo-syntax']?.detail).toMatch(/bare IP/);
  });

  it('also judges the observed IP when the source is private/NAT', async () => {
    const r = await senderAlignment({ helo: 'good.example.test', sourceIp: '10.0.0.5', observedIp: '127.0.0.10' }, resolver);
    expect(r.observedIp?.ip).toBe('127.0.0.10');
    const o = byId(r.observedIp?.checks ?? []);
    expect(o['fcrdns']?.status).toBe('pass');
    expect(o['fcrdns']?.detail).toContain('source 10.0.0.5 is private/NAT');
    // Same observed IP as source: nothing extra.
    const same = await senderAlignment({ helo: 'good.example.test', sourceIp: '127.0.0.10', observedIp: '127.0.0.10' }, resolver);
    expect(same.observedIp).toBeUndefined();
    // Public source different from observed: not NAT, not re-run.
    const pub = await senderAlignment({ helo: 'good.example.test', sourceIp: '192.0.2.7', observedIp: '127.0.0.10' }, resolver);
    expect(pub.observedIp).toBeUndefined();
  });
});

describe('receiverAlignment', () => {
  it('passes for an aligned MX', async () => {
    const c = byId(await receiverAlignment({
      exchange: 'mx.receiver.test', ip: '127.0.0.30', bannerName: 'mx.receiver.test', ehloName: 'MX.receiver.test',
      tls: { nameMatches: null, subjectAltNames: ['DNS:*.receiver.test'] }, isIpTarget: false,
    }, resolver));
    for (const id of ['mx-address', 'ptr-exists', 'fcrdns', 'banner-name', 'ehlo-name', 'cert-name']) {
      expect(c[id]?.status, `${id}: ${c[id]?.detail}`).toBe('pass');
    }
  });

  it('flags a banner that does not match the PTR, a wrong address and a bad certificate', async () => {
    const c = byId(await receiverAlignment({
      exchange: 'mx.receiver.test', ip: '127.0.0.11', bannerName: 'localhost.localdomain', ehloName: 'mx.receiver.test',
      tls: { nameMatches: false, subjectAltNames: ['DNS:other.test'] }, isIpTarget: false,
    }, resolver));
    expect(c['mx-address']?.status).toBe('fail');
    expect(c['mx-address']?.detail).toBe('mx.receiver.test A 127.0.0.30 does not include the probed 127.0.0.11');
    expect(c['banner-name']?.status).toBe('warn');
    expect(c['banner-name']?.detail).toMatch(/matches neither the PTR nor the MX name \(PTR of 127\.0\.0\.11 is elsewhere\.example\.test/);
    expect(c['ehlo-name']?.status).toBe('warn');
    expect(c['ehlo-name']?.detail).toMatch(/matches the MX name but not the PTR/);
    expect(c['cert-name']?.status).toBe('fail');
  });

  it('skips what an IP target cannot have', async () => {
    const c = byId(await receiverAlignment({ exchange: '127.0.0.50', ip: '127.0.0.50', bannerName: null, ehloName: null, tls: null, isIpTarget: true }, resolver));
    expect(c['mx-address']?.status).toBe('skip');
    expect(c['ptr-exists']?.status).toBe('fail');
    expect(c['banner-name']?.status).toBe('skip');
    expect(c['cert-name']?.status).toBe('skip');
  });
});
