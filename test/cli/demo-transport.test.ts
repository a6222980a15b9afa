/** `mxprobe demo` shows DANE, MTA-STS and TLS-RPT offline (the built CLI, as a user runs it). */
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { runCliProcess } from '../helpers/cli.js';

describe('demo: transport security', () => {
  it('json carries the DANE, MTA-STS and TLS-RPT verdicts; --fail-on dane-mismatch exits 3', async () => {
    // --timeout 20000: the verdicts are what this test judges, not speed; the demo's 5 s stage deadline also
    // bounds the MTA-STS fetch, and on a machine at load 10+ that fetch once missed it (a fetch-fail).
    const r = await runCliProcess(['demo', '-q', '--format', 'json', '--identities', 'primary', '--timeout', '20000', '--fail-on', 'dane-mismatch'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/policy dane-mismatch: postfix\.demo\.test mx\.postfix\.demo\.test/);
    const run = JSON.parse(r.stdout) as RunResult;
    const t = (d: string) => run.targets.find((x) => x.domain === d);
    expect(t('secure.demo.test')?.hosts[0]?.transport?.dane).toMatchObject({ status: 'dane-valid', dnssec: 'secure', matched: { usage: 3, selector: 1, matchingType: 1 } });
    expect(t('postfix.demo.test')?.hosts[0]?.transport?.dane?.status).toBe('dane-mismatch');
    expect(t('grey.demo.test')?.hosts[0]?.transport?.dane?.status).toBe('insecure');
    expect(t('exim.demo.test')?.hosts[0]?.transport?.dane?.status).toBe('no-tlsa');
    expect(t('secure.demo.test')?.transport?.mtaSts).toMatchObject({ status: 'mta-sts-valid', mode: 'enforce', id: 'demo2026' });
    expect(t('postfix.demo.test')?.transport?.mtaSts?.status).toBe('mta-sts-mx-mismatch');
    expect(t('grey.demo.test')?.transport?.mtaSts?.status).toBe('testing');
    expect(t('exim.demo.test')?.transport?.mtaSts).toMatchObject({ status: 'mta-sts-fetch-fail', error: expect.stringMatching(/text\/plain/) });
    expect(t('secure.demo.test')?.transport?.tlsRpt).toEqual({ status: 'valid', rua: ['mailto:tlsrpt@secure.demo.test'] });
    expect(t('exim.demo.test')?.transport?.tlsRpt?.status).toBe('invalid');
    expect(t('secure.demo.test')?.transport?.summary).toMatch(/a DANE sender would deliver to 1\/1 MX; an MTA-STS sender \(enforce\) would deliver to all 1 MX/);
    expect(run.options['dane']).toBe(true);
  }, 180_000);

  it('--no-dane --no-mta-sts leaves transport out', async () => {
    const r = await runCliProcess(['demo', '-q', '--format', 'json', '--identities', 'primary', '--no-dane', '--no-mta-sts'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout) as RunResult;
    expect(run.targets.some((t) => t.transport !== undefined || t.hosts.some((h) => h.transport !== undefined))).toBe(false);
    expect(run.options['dane']).toBe(false);
  }, 180_000);
});

describe('transport audit rules over a check that does not run', () => {
  it('are a usage error (exit 2), never a silent pass', async () => {
    const a = await runCliProcess(['probe', '-q', '--no-dane', '--fail-on', 'dane-mismatch', '192.0.2.1'], { timeoutMs: 60_000 });
    expect(a.code, a.stderr).toBe(2);
    expect(a.stderr).toMatch(/leave out --no-dane/);
    const b = await runCliProcess(['probe', '-q', '--stop-after', 'ehlo', '--fail-on', 'no-mta-sts', '192.0.2.1'], { timeoutMs: 60_000 });
    expect(b.code, b.stderr).toBe(2);
  });
});
