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
