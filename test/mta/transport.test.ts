/**
 * Issue 15 in the real lab: DANE, MTA-STS and TLS-RPT verdicts from the built CLI against real
 * Postfix, a DNSSEC-signed zone in nsd, a validating unbound and an HTTPS policy server; and every
 * DANE verdict cross-checked with Postfix's own posttls-finger through the same resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostResult, RunResult, TargetResult } from '../../src/results.js';
import { BIN, REPO } from './mxprobe.js';
import { IN_CI } from './suite.js';
import { startTransportLab, T, transportLabUnavailableReason, type TransportLab } from './transport-lab.js';

const REASON = transportLabUnavailableReason();
const SKIP = REASON !== null && !IN_CI;
if (SKIP) console.warn(`[mta] transport: SKIPPED, lab unavailable: ${REASON}`);

let lab: TransportLab | undefined;
let run: RunResult;
let exitCode: number | null = null;
let stderr = '';
const DOMAINS = ['sec.test', 'plain.test', 'bogus.sec.test', 'stsmx.sec.test', 'ststest.sec.test', 'stsfail.sec.test', 'ta.sec.test', 'stsname.sec.test'];

function target(domain: string): TargetResult {
  const t = run.targets.find((x) => x.domain === domain);
  if (!t) throw new Error(`no target ${domain} in results`);
  return t;
}
function host(domain: string, exchange: string): HostResult {
  const h = target(domain).hosts.find((x) => x.exchange === exchange);
  if (!h) throw new Error(`no host ${exchange} under ${domain}`);
  return h;
}

describe.skipIf(SKIP)('transport security in the real lab (nsd + DNSSEC, unbound, Postfix, HTTPS, posttls-finger)', () => {
  beforeAll(async () => {
    lab = await startTransportLab();
    const args = [BIN, 'probe', '--resolver', T.unbound, '--ca-file', lab.caFile, '--format', 'json', '--helo', 'good.sec.test', '--source', T.sender, '--host-gap', '0', '--timeout', '20000', '-q', ...DOMAINS];
    const t0 = performance.now();
    const r = await lab.exec(process.execPath, args, { cwd: REPO, timeoutMs: 120_000 });
    console.log(`[mta] transport: mxprobe probe of ${DOMAINS.length} domains (9 host sessions, DANE + MTA-STS + TLS-RPT), whole process: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    exitCode = r.code;
    stderr = r.stderr;
    try {
      run = JSON.parse(r.stdout) as RunResult;
    } catch {
      throw new Error(`no JSON (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
    }
  }, 240_000);
  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  it('DANE per host: signed match, signed mismatch, unsigned, bogus', () => {
    const mx1 = host('sec.test', 'mx1.sec.test').transport?.dane;
    expect(mx1, stderr).toMatchObject({ status: 'dane-valid', dnssec: 'secure', name: '_25._tcp.mx1.sec.test', matched: { usage: 3, selector: 1, matchingType: 1 } });
    expect(host('sec.test', 'mx2.sec.test').transport?.dane).toMatchObject({ status: 'dane-mismatch', dnssec: 'secure', matched: null });
    expect(host('plain.test', 'mx.plain.test').transport?.dane).toMatchObject({ status: 'insecure', dnssec: 'insecure' });
    expect(host('bogus.sec.test', 'mxbogus.sec.test').transport?.dane).toMatchObject({ status: 'bogus', dnssec: 'bogus' });
    expect(host('ta.sec.test', 'mxta.sec.test').transport?.dane).toMatchObject({ status: 'dane-valid', dnssec: 'secure', matched: { usage: 2, selector: 0, matchingType: 1 } });
  });

  it('MTA-STS: enforce all-match, enforce with an MX outside the patterns, testing, fetch failure; TLS-RPT', () => {
    if (process.env['TL_DEBUG']) console.log(JSON.stringify(run.targets.map((t) => [t.input, t.transport, t.hosts.map((h) => h.transport?.pkix)]), null, 1));
    expect(target('sec.test').transport?.mtaSts).toMatchObject({ status: 'mta-sts-valid', mode: 'enforce', id: '20261130', mx: ['*.sec.test'], maxAge: 86400 });
    const mm = target('stsmx.sec.test').transport?.mtaSts;
    expect(mm).toMatchObject({ status: 'mta-sts-mx-mismatch', mode: 'enforce' });
    expect(mm?.hosts?.find((h) => h.exchange === 'mx.plain.test')?.status).toBe('mta-sts-mx-mismatch');
    expect(mm?.hosts?.find((h) => h.exchange === 'mx1.sec.test')?.status).toBe('mta-sts-valid');
    expect(target('ststest.sec.test').transport?.mtaSts).toMatchObject({ status: 'testing', mode: 'testing' });
    expect(target('stsfail.sec.test').transport?.mtaSts).toMatchObject({ status: 'mta-sts-fetch-fail', id: '3' });
    expect(target('plain.test').transport?.mtaSts?.status).toBe('no-mta-sts');
    const nm = target('stsname.sec.test').transport;
    expect(nm?.mtaSts).toMatchObject({ status: 'mta-sts-tls-fail', mode: 'enforce' });
    expect(nm?.mtaSts?.hosts?.[0]?.detail).toMatch(/certificate name mismatch/);
    expect(nm?.summary).toMatch(/an MTA-STS sender \(enforce\) would refuse mxwrong\.sec\.test \(certificate name mismatch/);
    expect(target('sec.test').transport?.tlsRpt).toEqual({ status: 'valid', rua: ['mailto:tls-reports@sec.test'] });
    expect(target('stsmx.sec.test').transport?.tlsRpt?.status).toBe('invalid');
    expect(target('plain.test').transport?.tlsRpt?.status).toBe('absent');
    expect(target('sec.test').transport?.summary).toMatch(/a DANE sender would deliver to 1\/2 MX, would refuse mx2\.sec\.test \(dane-mismatch\)/);
  });

  it('exit code: the run is complete, nothing indeterminate, so 0', () => {
    expect(exitCode, stderr).toBe(0);
  });

  it('--fail-on dane-mismatch exits 3 and names mx2', async () => {
    const r = await lab!.exec(process.execPath, [BIN, 'probe', '--resolver', T.unbound, '--ca-file', lab!.caFile, '--format', 'csv', '--helo', 'good.sec.test', '--source', T.sender, '--host-gap', '0', '-q', '--fail-on', 'dane-mismatch', 'sec.test'], { cwd: REPO, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/policy dane-mismatch: sec\.test mx2\.sec\.test/);
    expect(r.stderr).not.toMatch(/mx1\.sec\.test/);
    const header = r.stdout.split('\r\n')[0]?.split(',') ?? [];
    expect(header.slice(-3)).toEqual(['dane', 'mta_sts', 'tls_rpt']);
  }, 120_000);

  it('posttls-finger agrees with every DANE verdict (Matched DANE + Verified <=> dane-valid, same record)', async () => {
    const cases: Array<[string, HostResult]> = [
      ['mx1.sec.test', host('sec.test', 'mx1.sec.test')],
      ['mx2.sec.test', host('sec.test', 'mx2.sec.test')],
      ['mx.plain.test', host('plain.test', 'mx.plain.test')],
      ['mxbogus.sec.test', host('bogus.sec.test', 'mxbogus.sec.test')],
      ['mxta.sec.test', host('ta.sec.test', 'mxta.sec.test')],
    ];
    const seen: string[] = [];
    for (const [mx, h] of cases) {
      const ours = h.transport?.dane;
      const t0 = performance.now();
      const r = await lab!.exec('/usr/sbin/posttls-finger', ['-t30', '-T180', '-c', '-l', 'dane', '-P', lab!.caDir, `[${mx}]`], { timeoutMs: 200_000 });
      const text = `${r.stdout}\n${r.stderr}`;
      if (process.env['TL_DEBUG']) console.log(text);
      // posttls-finger logs "Matched DANE EE certificate at depth 0: 3 1 1 <hex>" when a TLSA record authenticates the peer.
      const matched = /Matched DANE (?:EE|TA) (?:certificate|public key) at depth \d+: (\d) (\d) (\d) ([0-9A-F]+)/.exec(text);
      const verified = /Verified TLS connection established/.test(text);
      const noMatch = /no matching DANE TLSA records/.test(text);
      const theirs = matched && verified ? 'dane-valid' : noMatch ? 'dane-mismatch' : /TLSA|DNSSEC|lookup error|Temporary|not found/i.test(text) && !/established/.test(text) ? 'tlsa-lookup-failed' : 'no-dane';
      seen.push(`${mx}: posttls-finger ${theirs} (${((performance.now() - t0) / 1000).toFixed(2)} s), mxprobe ${ours?.status}`);
      const expected: Record<string, string> = { 'dane-valid': 'dane-valid', 'dane-mismatch': 'dane-mismatch', bogus: 'tlsa-lookup-failed', insecure: 'no-dane', 'no-tlsa': 'no-dane' };
      expect(theirs, `${mx}: mxprobe ${ours?.status}; posttls-finger says\n${text}`).toBe(expected[ours?.status ?? ''] ?? 'unexpected');
      if (matched && ours?.matched) {
        expect(`${matched[1]} ${matched[2]} ${matched[3]} ${matched[4]?.toLowerCase()}`).toBe(`${ours.matched.usage} ${ours.matched.selector} ${ours.matched.matchingType} ${ours.matched.data}`);
      }
    }
    console.log(`[mta] ${seen.join('; ')}`);
  }, 600_000);
});
