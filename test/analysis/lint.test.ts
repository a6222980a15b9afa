/** The "done when" scenario, against the real UDP DNS fixture. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lint } from '../../src/analysis/lint.js';
import { createResolver } from '../../src/dns/resolver.js';
import { startDnsServer, withPtr, zone, type DnsServerHandle } from '../helpers/dns-zone.js';

let server: DnsServerHandle;
let resolver: ReturnType<typeof createResolver>;

beforeAll(async () => {
  let z = zone({
    'good.example.test': { A: ['127.0.0.10'], TXT: ['v=spf1 a -all'] },
    'another.example.test': { A: ['127.0.0.88'] },
  });
  z = withPtr(z, '127.0.0.10', 'good.example.test');
  z = withPtr(z, '127.0.0.11', 'another.example.test');
  server = await startDnsServer(z, { host: '127.0.0.1', port: 0 });
  resolver = createResolver({ servers: [server.address], timeoutMs: 1000 });
});
afterAll(async () => server.close());

describe('lint (done-when scenario)', () => {
  it('passes every alignment check for an aligned identity and suggests nothing in DNS', async () => {
    const r = await lint({ helo: 'good.example.test', sourceIp: '127.0.0.10' }, resolver);
    const bad = r.checks.filter((c) => c.status !== 'pass' && c.status !== 'skip');
    expect(bad, JSON.stringify(bad)).toEqual([]);
    expect(r.checks.filter((c) => c.status === 'skip').map((c) => c.id)).toEqual(['literal-matches-ip']);
    expect(r.failed).toBe(false);
    expect(r.fix.dns).toEqual([]);
    expect(r.fix.postfix).toBe('smtp_helo_name = good.example.test');
    expect(r.fix.exim).toBe('helo_data = good.example.test');
    expect(r.predictions.filter((p) => p.outcome === 'reject' || p.outcome === 'defer')).toEqual([]);
  });

  it('reports ptr-matches-helo and fcrdns failures from an IP whose PTR names another host', async () => {
    const r = await lint({ helo: 'good.example.test', sourceIp: '127.0.0.11' }, resolver);
    const failed = r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed).toEqual(expect.arrayContaining(['ptr-matches-helo', 'fcrdns', 'helo-addresses-include-ip']));
    expect(r.failed).toBe(true);
    expect(r.fix.dns).toContain('good.example.test. IN A 127.0.0.11');
    expect(r.fix.dns).toContain('11.0.0.127.in-addr.arpa. IN PTR good.example.test.');
    expect(r.fix.notes.join('\n')).toMatch(/reverse zone 0\.0\.127\.in-addr\.arpa.*replacing another\.example\.test/);
    const pf = r.predictions.find((p) => p.rule === 'reject_unknown_client_hostname');
    expect(pf?.reply).toBe('450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.11]');
    expect(r.predictions.find((p) => p.receiver === 'exim')?.reply).toBe('550 EHLO argument does not match calling host');
  });

  it('says so when the IP has no PTR', async () => {
    const r = await lint({ helo: 'good.example.test', sourceIp: '127.0.0.12' }, resolver);
    const ptr = r.checks.find((c) => c.id === 'ptr-exists');
    expect(ptr?.status).toBe('fail');
    expect(ptr?.detail).toContain('127.0.0.12 has no PTR record');
    expect(r.fix.dns).toContain('12.0.0.127.in-addr.arpa. IN PTR good.example.test.');
    expect(r.predictions.find((p) => p.rule === 'reject_unknown_reverse_client_hostname')?.reply)
      .toBe('450 4.7.1 Client host rejected: cannot find your reverse hostname, [127.0.0.12]');
  });

  it('suggests the confirmed PTR name when the HELO is a literal', async () => {
    const r = await lint({ helo: '[127.0.0.10]', sourceIp: '127.0.0.10' }, resolver);
    expect(r.fix.postfix).toBe('smtp_helo_name = good.example.test');
    expect(r.fix.notes[0]).toMatch(/announce good\.example\.test/);
  });

  it('uses a placeholder and an SPF line when nothing usable exists', async () => {
    const r = await lint({ helo: 'localhost', sourceIp: '127.0.0.12' }, resolver);
    expect(r.checks.find((c) => c.id === 'helo-fqdn')?.status).toBe('fail');
    expect(r.fix.postfix).toBe('smtp_helo_name = mail.example.com');
    expect(r.fix.dns).toContain('mail.example.com. IN A 127.0.0.12');
    expect(r.predictions.find((p) => p.rule === 'reject_non_fqdn_helo_hostname')?.reply)
      .toBe('504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname');
  });
});
