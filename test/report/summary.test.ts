import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult, TargetResult, TlsDetails } from '../../src/results.js';
import { certOutcomes, renderSummaryBlock, SummaryBuilder, summarize } from '../../src/report/summary.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

describe('SummaryBuilder on the sample run (counts worked out by hand from the fixture)', () => {
  const s = summarize(run.targets);

  it('counts targets, hosts, probes and unprobeable targets', () => {
    expect(s.targets).toBe(4);
    expect(s.targetErrors).toBe(1); // broken.example: NXDOMAIN, no host
    expect(s.hosts).toBe(4);
    expect(s.probes).toBe(9);
  });

  it('histograms status and outcomes (not-tried cells carry no outcome)', () => {
    expect(s.status).toEqual({ success: 6, 'io-timeout': 1, 'not-tried': 1, 'connection-refused': 1 });
    expect(s.outcomes).toEqual({ accepted: 3, rejected: 2, deferred: 1, unknown: 2 });
  });

  it('gives zgrab2-style host counts', () => {
    expect(s.hostsEhlo).toBe(2); // mx1, mx2; legacy got 502 to EHLO
    expect(s.hostsHelo).toBe(1); // legacy
    expect(s.hostsStarttls).toBe(2);
    expect(s.hostsTls).toBe(2);
    expect(s.tlsVersions).toEqual({ 'TLSv1.3': 1, 'TLSv1.2': 1 });
    expect(s.certificates).toEqual({ valid: 1, 'self-signed': 1, 'name-mismatch': 1 });
  });

  it('computes acceptance per identity kind over decided probes only', () => {
    expect(s.identities['primary']).toEqual({ probes: 4, accepted: 3, rejected: 0, deferred: 0, notJudged: 0, errors: 1, notTried: 0, acceptanceRate: 1 });
    expect(s.identities['bare-ip']).toEqual({ probes: 1, accepted: 0, rejected: 1, deferred: 0, notJudged: 0, errors: 0, notTried: 0, acceptanceRate: 0 });
    expect(s.identities['nxdomain']?.deferred).toBe(1);
    expect(s.identities['nxdomain']?.acceptanceRate).toBe(0);
    expect(s.identities['localhost']).toEqual({ probes: 1, accepted: 0, rejected: 0, deferred: 0, notJudged: 0, errors: 1, notTried: 0, acceptanceRate: null });
    expect(s.identities['short']).toEqual({ probes: 1, accepted: 0, rejected: 0, deferred: 0, notJudged: 0, errors: 0, notTried: 1, acceptanceRate: null });
    expect(Object.keys(s.identities).sort()).toEqual(['bare-ip', 'literal', 'localhost', 'nxdomain', 'primary', 'short']);
  });

  it('histograms causes (without "none") and alignment failures by side and check id', () => {
    // The two failed sessions (no refusal heard) have no cause: their status says what happened.
    expect(s.causes).toEqual({ 'helo-syntax': 1, 'helo-not-resolving': 1, 'no-ptr': 1 });
    expect(s.alignmentFailures).toEqual({
      'receiver:ptr-exists': 1,
      'receiver:fcrdns': 2,
      'receiver:banner-name': 1,
      'receiver:cert-name': 1,
      'sender:helo-resolves': 1,
    });
  });

  it('is additive: N copies of the run give N times every count, and rates stay the same', () => {
    const b = new SummaryBuilder();
    for (let i = 0; i < 500; i++) for (const t of run.targets) b.addTarget(t);
    const big = b.build();
    expect(big.probes).toBe(9 * 500);
    expect(big.hostsStarttls).toBe(2 * 500);
    expect(big.alignmentFailures['receiver:fcrdns']).toBe(2 * 500);
    expect(big.identities['primary']?.acceptanceRate).toBe(1);
    expect(big.identities['primary']?.errors).toBe(500);
  });

  it('build() returns a snapshot the builder does not mutate later', () => {
    const b = new SummaryBuilder();
    b.addTarget(run.targets[0] as TargetResult);
    const first = b.build();
    b.addTarget(run.targets[1] as TargetResult);
    expect(first.hosts).toBe(2);
    expect(b.build().hosts).toBe(3);
  });

  it('an empty run has no rates and no histograms', () => {
    const e = new SummaryBuilder().build();
    expect(e).toMatchObject({ targets: 0, hosts: 0, probes: 0, identities: {}, tlsVersions: {}, causes: {} });
  });
});

describe('certOutcomes', () => {
  const base: TlsDetails = {
    mode: 'starttls', servername: 'mx.example', protocol: 'TLSv1.3', cipher: null, authorized: true, authorizationError: null, nameMatches: true, nameError: null,
    certificate: { subject: {}, subjectAltNames: [], issuer: {}, validFrom: '', validTo: '', fingerprint256: '', serialNumber: '', selfSigned: false },
  };
  it.each([
    [{}, ['valid']],
    [{ nameMatches: null }, ['valid']],
    [{ authorized: false, authorizationError: 'CERT_HAS_EXPIRED' }, ['expired']],
    [{ authorized: false, authorizationError: 'SELF_SIGNED_CERT_IN_CHAIN' }, ['self-signed']],
    [{ authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }, ['untrusted']],
    [{ nameMatches: false }, ['name-mismatch']],
    [{ authorized: false, authorizationError: 'CERT_HAS_EXPIRED', nameMatches: false }, ['expired', 'name-mismatch']],
  ] as Array<[Partial<TlsDetails>, string[]]>)('%j → %j', (patch, want) => {
    expect(certOutcomes({ ...base, ...patch })).toEqual(want);
  });
  it('no TLS session, no outcome', () => {
    expect(certOutcomes(null)).toEqual([]);
    expect(certOutcomes({ ...base, protocol: null, certificate: null })).toEqual([]);
  });
});

describe('renderSummaryBlock', () => {
  it('shows the key counts and per-identity acceptance', () => {
    const text = renderSummaryBlock(summarize(run.targets));
    expect(text).toContain('targets       4 (1 without a host to probe)');
    expect(text).toContain('EHLO 2  HELO 1  STARTTLS 2  TLS 2');
    expect(text).toContain('TLSv1.2 1, TLSv1.3 1');
    expect(text).toMatch(/primary\s+4\s+3\s+0\s+0\s+1\s+0\s+100%/);
    expect(text).toMatch(/localhost\s+1\s+0\s+0\s+0\s+1\s+0\s+-/);
    expect(text.endsWith('\n')).toBe(true);
  });
  it('strips terminal controls from keys that came from a file', () => {
    const s = summarize([]);
    s.tlsVersions['\u001b]0;owned\u0007TLSv9'] = 1;
    const text = renderSummaryBlock(s);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain('TLSv9 1');
  });
  it('breaks count ties by code units, the same under every LANG (localeCompare put "a" before "Z")', () => {
    const s = summarize([]);
    Object.assign(s.tlsVersions, { b: 1, Z: 1, a: 1, 'a.c': 1, ab: 1 });
    expect(renderSummaryBlock(s)).toContain('TLS versions  Z 1, a 1, a.c 1, ab 1, b 1');
  });
});
