/**
 * Issue 12 B10: the identity names a run sends. The nxdomain label is one per run (the footer
 * named one host's label while each host got its own), and the default mismatch name is neither
 * the sender's nor the probed receiver's own (which trips "you are not me" rules).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Planner, pickMismatch, type RunOptions } from '../../src/probe/run.js';
import { createResolver } from '../../src/dns/resolver.js';
import { renderMatrix } from '../../src/report/table.js';
import { startDnsServer, zone, type DnsServerHandle } from '../helpers/dns-zone.js';
import type { HostResult, ProbeResult, TargetResult } from '../../src/results.js';

let dns: DnsServerHandle;
beforeAll(async () => {
  dns = await startDnsServer(
    zone({
      // The sender's domain is also the probed domain (auditing your own MX): its apex and its MX
      // point at the receivers.
      'example.test': { A: ['192.0.2.25'], MX: [{ exchange: 'mx.example.test', priority: 10 }] },
      'www.example.test': { A: ['192.0.2.80'] },
      'mx.example.test': { A: ['192.0.2.26'] },
      'relay.example.test': { A: ['192.0.2.7'] },
    }),
  );
});
afterAll(async () => {
  await dns.close();
});

const options = (over: Partial<RunOptions> = {}): RunOptions => ({
  stopAfter: 'rcpt', starttls: true, implicitTls: false, timeoutMs: 1000, deadlineMs: 2000, retries: 0, retryGreylistSec: null,
  transcript: false, port: 25, concurrency: 1, hostGapMs: 0, helo: 'relay.example.test', identityKinds: ['primary', 'nxdomain', 'mismatch'],
  customIdentities: [], sources: ['192.0.2.7'], mailFrom: null, rcpt: null, mismatchName: null, family: 4, ...over,
});

describe('pickMismatch', () => {
  const candidates = [
    { name: 'example.test', ips: ['192.0.2.25'] },
    { name: 'www.example.test', ips: ['192.0.2.80'] },
    { name: 'mx.example.test', ips: ['192.0.2.26'] },
  ];
  it('skips a candidate that is the receiver by name or by address', () => {
    expect(pickMismatch(candidates, { exchange: 'mx.example.test', ip: '192.0.2.25' })).toBe('www.example.test');
    expect(pickMismatch(candidates, { exchange: 'EXAMPLE.test.', ip: '192.0.2.99' })).toBe('www.example.test');
    expect(pickMismatch(candidates, { exchange: 'other.test', ip: '192.0.2.99' })).toBe('example.test');
  });
  it('null when every candidate is the receiver itself', () => {
    expect(pickMismatch(candidates.slice(0, 1), { exchange: 'example.test', ip: '192.0.2.25' })).toBeNull();
  });
});

describe('Planner: names per receiver', () => {
  it('mismatch is never the probed receiver (by name or address) nor the sender', async () => {
    const planner = new Planner(options(), createResolver({ servers: [dns.address], timeoutMs: 1000 }));
    const apex = await planner.identities({ exchange: 'example.test', ip: '192.0.2.25', family: 4, servername: 'example.test' }, 25);
    const mx = await planner.identities({ exchange: 'mx.example.test', ip: '192.0.2.26', family: 4, servername: 'mx.example.test' }, 25);
    const name = (p: typeof apex) => p.identities.find((i) => i.kind === 'mismatch')?.name;
    // Before: example.test for both, i.e. the first receiver's own name and address.
    expect(name(apex)).toBe('www.example.test');
    expect(name(mx)).toBe('example.test');
    for (const n of [name(apex), name(mx)]) expect(n).not.toBe('relay.example.test');
  });

  it('one nxdomain label for every host of the run', async () => {
    const planner = new Planner(options(), createResolver({ servers: [dns.address], timeoutMs: 1000 }));
    const a = await planner.identities({ exchange: 'a.test', ip: '192.0.2.50', family: 4, servername: 'a.test' }, 25);
    const b = await planner.identities({ exchange: 'b.test', ip: '192.0.2.51', family: 4, servername: 'b.test' }, 25);
    const nx = (p: typeof a) => p.identities.find((i) => i.kind === 'nxdomain')?.name;
    expect(nx(a)).toMatch(/^nx-[a-z]{10}\.example\.test$/);
    expect(nx(a)).toBe(nx(b));
  });
});

describe('"Identities sent" footer', () => {
  function probe(kind: ProbeResult['identity']['kind'], name: string): ProbeResult {
    return {
      identity: { kind, name, source: null }, status: 'success',
      verdict: { outcome: 'accepted', stage: 'rcpt', code: 250, enhanced: null, text: 'ok', cause: 'none' },
      reached: 'rcpt', local: null, banner: null, greeting: null, capabilities: { plain: null, tls: null }, tls: null, mail: null, rcpt: null,
      observedClientIp: null, timings: { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: 0 }, transcript: [],
    };
  }
  const host = (exchange: string, ip: string, mismatch: string): HostResult => ({ exchange, ip, port: 25, family: 4, probes: [probe('primary', 'relay.example.test'), probe('mismatch', mismatch)] });
  it('lists every name a kind was sent as, not the first host\'s only', () => {
    const t: TargetResult = { input: 'example.test', origin: 'argv', kind: 'domain', domain: 'example.test', port: 25, dns: { status: 'ok' }, mx: [], hosts: [host('example.test', '192.0.2.25', 'www.example.test'), host('mx.example.test', '192.0.2.26', 'example.test')] };
    const text = renderMatrix([t]);
    const line = text.split('\n').find((l) => l.trimStart().startsWith('mismatch')) ?? '';
    expect(line).toContain('www.example.test');
    expect(line).toContain(', example.test');
    expect(line).toContain('per host');
  });

  // A 421 (or a drop) ends a host's matrix: its remaining identities are not-tried, never sent.
  const notTried = (kind: ProbeResult['identity']['kind'], name: string): ProbeResult => ({ ...probe(kind, name), status: 'not-tried', verdict: null, reached: null, notTried: { reason: 'server sent 421 earlier in this matrix' } } as unknown as ProbeResult);
  const legendLine = (text: string, kind: string) => text.split('\n').find((l) => l.trimStart().startsWith(kind)) ?? '';
  it('does not list a name as sent when its probe was never tried', () => {
    const h: HostResult = { exchange: 'mx.example.test', ip: '192.0.2.30', port: 25, family: 4, probes: [probe('primary', 'relay.example.test'), notTried('localhost', 'localhost')] };
    const t: TargetResult = { input: 'example.test', origin: 'argv', kind: 'domain', domain: 'example.test', port: 25, dns: { status: 'ok' }, mx: [], hosts: [h] };
    const text = renderMatrix([t]);
    expect(text).toContain('Identities sent:');
    expect(legendLine(text, 'localhost')).toMatch(/never sent/);
    expect(legendLine(text, 'primary')).toContain('relay.example.test');
  });
  it('lists only the names that went out when one host sent a kind and another did not', () => {
    const sent: HostResult = { exchange: 'a.example.test', ip: '192.0.2.31', port: 25, family: 4, probes: [probe('primary', 'relay.example.test'), probe('mismatch', 'www.example.test')] };
    const cut: HostResult = { exchange: 'b.example.test', ip: '192.0.2.32', port: 25, family: 4, probes: [probe('primary', 'relay.example.test'), notTried('mismatch', 'other.example.test')] };
    const t: TargetResult = { input: 'example.test', origin: 'argv', kind: 'domain', domain: 'example.test', port: 25, dns: { status: 'ok' }, mx: [], hosts: [sent, cut] };
    const line = legendLine(renderMatrix([t]), 'mismatch');
    expect(line).toContain('www.example.test');
    expect(line).not.toContain('other.example.test');
    expect(line).not.toMatch(/never sent/);
  });
});
