/** withTransport: the sink wrapper, with injected DNS and policy fetch (no network). */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { withTransport, type TransportDeps } from '../../src/transport/enrich.js';
import type { HostResult, ProbeResult, TargetResult, TlsDetails } from '../../src/results.js';
import type { RunSink, TargetInfo } from '../../src/probe/run.js';
import type { Resolver } from '../../src/dns/types.js';
import type { SecureResolver } from '../../src/transport/dns-query.js';

const spki = Buffer.from('spki');
const d = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
const TLS: TlsDetails = {
  mode: 'starttls', servername: 'mx.example.test', protocol: 'TLSv1.3', cipher: null, authorized: true, authorizationError: null, nameMatches: true, nameError: null,
  certificate: { subject: {}, subjectAltNames: [], issuer: {}, validFrom: '2020-01-01T00:00:00.000Z', validTo: '2120-01-01T00:00:00.000Z', fingerprint256: 'x', serialNumber: '1', selfSigned: false },
  chain: [{ subject: 'CN=mx', certSha256: d('sha256', Buffer.from('c')), certSha512: d('sha512', Buffer.from('c')), spkiSha256: d('sha256', spki), spkiSha512: d('sha512', spki), signedByNext: null }],
};

function probe(tls: TlsDetails | null, status: ProbeResult['status'] = 'success'): ProbeResult {
  return {
    identity: { kind: 'primary', name: 'probe.test', source: null }, status, verdict: { outcome: 'unknown', stage: null, code: null, enhanced: null, text: null, cause: 'none' },
    reached: null, local: null, banner: null, greeting: null, capabilities: { plain: null, tls: null }, tls, mail: null, rcpt: null, observedClientIp: null,
    timings: { connect: null, banner: null, ehlo: null, helo: null, tls: null, ehloTls: null, mail: null, rcpt: null, total: 0 }, transcript: [],
  };
}
const hostOf = (exchange: string, ip: string, p: ProbeResult): HostResult => ({ exchange, ip, port: 25, family: 4, probes: [p] });

function deps(over: Partial<TransportDeps> = {}, txt: Record<string, string[] | 'servfail'> = {}): TransportDeps {
  const secure: SecureResolver = {
    server: 'test',
    tlsa: async (name) => (name === '_25._tcp.mx.example.test' ? { kind: 'records', dnssec: 'secure', records: [{ usage: 3, selector: 1, matchingType: 1, data: createHash('sha256').update(spki).digest() }] } : { kind: 'none', dnssec: 'secure', nxdomain: true }),
    mx: async () => ({ kind: 'records', dnssec: 'secure', records: ['mx.example.test'] }),
    txt: async () => ({ kind: 'none', dnssec: 'insecure', nxdomain: true }),
  };
  const resolver = {
    txt: async (name: string) => {
      const v = txt[name];
      if (v === 'servfail') return { status: 'servfail' as const };
      return v ? { status: 'ok' as const, records: v } : { status: 'nxdomain' as const };
    },
  } as unknown as Resolver;
  return { dane: true, mtaSts: true, secure, resolver, fetchPolicy: async () => ({ ok: true, body: 'version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 60\n' }), anchors: [], tlsAttempted: true, ...over };
}

async function runOne(t: Omit<TargetResult, 'hosts'>, hosts: HostResult[], dp: TransportDeps): Promise<TargetResult> {
  let out: TargetResult | null = null;
  const inner: RunSink = { host: () => undefined, target: (x) => void (out = x) };
  const sink = withTransport(inner, dp);
  const info: TargetInfo = { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
  for (const h of hosts) await sink.host(h, info);
  await sink.target({ ...t, hosts });
  return out as unknown as TargetResult;
}

const domain = (name: string): Omit<TargetResult, 'hosts'> => ({ input: name, origin: 'argv', kind: 'domain', domain: name, port: 25, dns: { status: 'ok' }, mx: [{ exchange: 'mx.example.test', priority: 10, implicit: false }] });

describe('withTransport', () => {
  it('a domain: DANE per host, MTA-STS, TLS-RPT and the summary', async () => {
    const t = await runOne(domain('example.test'), [hostOf('mx.example.test', '192.0.2.1', probe(TLS))], deps({}, { '_mta-sts.example.test': ['v=STSv1; id=1'], '_smtp._tls.example.test': ['v=TLSRPTv1; rua=mailto:r@example.test'] }));
    expect(t.hosts[0]?.transport?.dane?.status).toBe('dane-valid');
    expect(t.hosts[0]?.transport?.pkix?.valid).toBe(true);
    expect(t.transport?.mtaSts?.status).toBe('mta-sts-valid');
    expect(t.transport?.tlsRpt?.status).toBe('valid');
    expect(t.transport?.summary).toBe('a DANE sender would deliver to 1/1 MX; an MTA-STS sender (enforce) would deliver to all 1 MX; TLS-RPT reports to mailto:r@example.test');
  });
  it('an unreachable MX is never judged as passing MTA-STS; a failed TXT lookup is indeterminate', async () => {
    const t = await runOne(domain('example.test'), [hostOf('mx.example.test', '192.0.2.1', probe(null, 'connection-refused'))], deps({}, { '_mta-sts.example.test': ['v=STSv1; id=1'], '_smtp._tls.example.test': 'servfail' }));
    expect(t.transport?.mtaSts?.status).toBe('indeterminate');
    expect(t.transport?.tlsRpt?.status).toBe('indeterminate');
    expect(t.hosts[0]?.transport?.dane?.status).toBe('dane-mismatch');
  });
  it('the policy is fetched only when the TXT record is there', async () => {
    let fetched = 0;
    const t = await runOne(domain('example.test'), [hostOf('mx.example.test', '192.0.2.1', probe(TLS))], deps({ fetchPolicy: async () => (fetched++, { ok: false, error: 'x' }) }));
    expect(fetched).toBe(0);
    expect(t.transport?.mtaSts?.status).toBe('no-mta-sts');
  });
  it('an IP target gets no DANE and no MTA-STS', async () => {
    const t = await runOne({ input: '192.0.2.1', origin: 'argv', kind: 'ip', domain: null, port: 25, dns: { status: 'not-needed' }, mx: [] }, [hostOf('192.0.2.1', '192.0.2.1', probe(TLS))], deps());
    expect(t.hosts[0]?.transport?.dane).toBeUndefined();
    expect(t.transport).toBeUndefined();
  });
  it('--no-dane / --no-mta-sts', async () => {
    const t = await runOne(domain('example.test'), [hostOf('mx.example.test', '192.0.2.1', probe(TLS))], deps({ dane: false }));
    expect(t.hosts[0]?.transport?.dane).toBeUndefined();
    expect(t.transport?.mtaSts).toBeDefined();
    const u = await runOne(domain('example.test'), [hostOf('mx.example.test', '192.0.2.1', probe(TLS))], deps({ mtaSts: false }));
    expect(u.transport?.mtaSts).toBeUndefined();
    expect(u.hosts[0]?.transport?.dane?.status).toBe('dane-valid');
  });
});
