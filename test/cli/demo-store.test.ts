/** The store part of `mxprobe demo`: two stored runs, a receiver changed between, the diff alerting. */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';

describe('mxprobe demo: results over time', () => {
  it('stores two runs, changes the receiver, and shows the diff a cron job would alert on', async () => {
    const r = await runCliProcess(['demo'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const part = r.stdout.slice(r.stdout.indexOf('results over time'));
    expect(part).toMatch(/run 1: .*\n.*run 2: /);
    expect(part).toMatch(/STARTTLS lost {2}\[starttls-lost\]/);
    expect(part).toMatch(/primary from 127\.0\.2\.10: accepted → rejected@rcpt \S+ {2}\[verdict-worse\]/);
    // The literal identity is still accepted: no change is invented for it.
    expect(part).not.toMatch(/literal from/);
    expect(part).toMatch(/\(exit 3: a cron job would alert here\)/);
  }, 150_000);

  it('json output stays one JSON document; the store part is not printed with --quiet', async () => {
    const r = await runCliProcess(['demo', '--format', 'json', '--quiet'], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stderr).toBe('');
  }, 150_000);
});
