/** The store part of `mxprobe demo`: two stored runs, a receiver changed between, the diff alerting. */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

describe('mxprobe demo: results over time', () => {
  it('stores two runs, changes the receiver, and shows the diff a cron job would alert on', async () => {
    const r = await runCliProcess(['demo'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const part = r.stdout.slice(r.stdout.indexOf('results over time'));
    expect(part).toMatch(/run 1: [^\n]*\n(?: {9}[^\n]*\n)*  run 2: /);
    expect(part).toMatch(/STARTTLS lost {2}\[starttls-lost\]/);
    expect(part).toMatch(/primary from 127\.0\.2\.10: accepted → rejected@rcpt \S+ {2}\[verdict-worse\]/);
    // The literal identity is still accepted: no change is invented for it.
    expect(part).not.toMatch(/literal from/);
    expect(part).toMatch(/\(exit 3: a cron job would alert here\)/);
    // store.demo.test: its TLSA stopped matching and its MTA-STS policy went from enforce to
    // testing between the runs (own DNS zone and policy server, lab/demo-store-transport.ts).
    const diff = part.slice(0, part.indexOf('$ mxprobe history'));
    expect(diff).toMatch(/DANE: dane-valid → dane-mismatch {2}\[dane-broken\]/);
    expect(diff).toMatch(/MTA-STS: mta-sts-valid → testing {2}\[mta-sts-worse\]/);
    expect(diff).toMatch(/MTA-STS policy changed: id store1, mode enforce, mx mail\.store\.demo\.test, max_age 604800 → id store2, mode testing, mx mail\.store\.demo\.test, max_age 604800/);
    // `history` of the domain shows the same changes, dated, after the host's first appearance.
    const history = part.slice(part.indexOf('$ mxprobe history'));
    expect(history).toMatch(/mxprobe history: store\.demo\.test/);
    expect(history).toMatch(/host appeared/);
    expect(history).toMatch(/DANE: dane-valid → dane-mismatch/);
    expect(history).toMatch(/MTA-STS: mta-sts-valid → testing/);
    expect(history).toMatch(/MTA-STS policy changed: id store1, mode enforce/);
    // The receiver itself did not change: no SMTP change is invented for it.
    expect(history).not.toMatch(/STARTTLS lost|verdict|certificate replaced/);
  }, 150_000);

  it('json output stays one JSON document; the store part is not printed with --quiet', async () => {
    const r = await runCliProcess(['demo', '--format', 'json', '--quiet'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stderr).toBe('');
  }, 150_000);
});
