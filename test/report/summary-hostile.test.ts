import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/report/summary.js';
import type { RunResult } from '../../src/results.js';

describe('summary from a crafted results file', () => {
  it('an identity kind named "__proto__" is counted as a key and never touches Object.prototype', () => {
    const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
    const probe = run.targets.flatMap((t) => t.hosts.flatMap((h) => h.probes))[0];
    if (!probe) throw new Error('fixture has no probe');
    (probe.identity as { kind: string }).kind = '__proto__';
    const s = summarize(run.targets);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>)['probes']).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(s.identities, '__proto__')).toBe(true);
    expect(s.identities['__proto__']?.probes).toBe(1);
  });
});

describe('summary: greylist retries', () => {
  it('acceptance per identity counts the retry outcome when a greylisted cell was re-probed', () => {
    const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
    const probe = run.targets.flatMap((t) => t.hosts.flatMap((h) => h.probes)).find((p) => p.status === 'success');
    if (!probe) throw new Error('fixture has no successful probe');
    const kind = probe.identity.kind;
    probe.verdict = { outcome: 'deferred', stage: 'rcpt', code: 450, enhanced: '4.2.0', text: 'Greylisted', cause: 'greylist' };
    delete probe.greylistRetry;
    const first = summarize(run.targets);
    probe.greylistRetry = { afterSeconds: 300, status: 'success', verdict: { outcome: 'accepted', stage: 'rcpt', code: 250, enhanced: '2.1.5', text: 'Ok', cause: 'none' } };
    const retried = summarize(run.targets);
    expect(retried.identities[kind]?.accepted).toBe((first.identities[kind]?.accepted ?? 0) + 1);
    expect(retried.identities[kind]?.deferred).toBe((first.identities[kind]?.deferred ?? 0) - 1);
    // The verdict is still the first reply: the outcome and cause histograms do not change.
    expect(retried.outcomes).toEqual(first.outcomes);
    expect(retried.causes).toEqual(first.causes);
  });
});
