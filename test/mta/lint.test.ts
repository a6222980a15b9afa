/**
 * `mxprobe lint` against the lab DNS (the namespace's resolver is nsd): sender-side alignment for
 * a forward-confirmed source and for one whose PTR points at a name that resolves elsewhere.
 * Depends on: lint <helo> --source-ip, --format json (exit 3 on failed checks).
 */
import { describe, expect, it } from 'vitest';
import type { AlignmentCheck } from '../../src/results.js';
import { LAB_ADDRESSES as A, LAB_NAMES as N } from './lab.js';
import { describeRun, mxprobe, type CliRun } from './mxprobe.js';
import { SKIP_LAB, useLab } from './suite.js';

/** Every {id, status} check object anywhere in the lint JSON. */
function checksIn(run: CliRun): AlignmentCheck[] {
  let doc: unknown;
  try {
    doc = JSON.parse(run.stdout);
  } catch {
    throw new Error(`lint gave no JSON\n${describeRun(run)}\nstdout:\n${run.stdout}`);
  }
  const out: AlignmentCheck[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['id'] === 'string' && ['pass', 'warn', 'fail', 'skip'].includes(o['status'] as string)) out.push(o as unknown as AlignmentCheck);
      else Object.values(o).forEach(walk);
    }
  };
  walk(doc);
  return out;
}

describe.skipIf(SKIP_LAB)('mxprobe lint against the lab DNS', () => {
  const ctx = useLab('lint');

  it('a forward-confirmed source with matching PTR and SPF passes every check', async () => {
    const run = await mxprobe(ctx.lab, ['lint', N.good, '--source-ip', A.good, '--format', 'json']);
    const checks = checksIn(run);
    expect(run.code, describeRun(run)).toBe(0);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((c) => c.status === 'fail' || c.status === 'warn'), run.stdout).toEqual([]);
    const status = Object.fromEntries(checks.map((c) => [c.id, c.status]));
    for (const id of ['helo-resolves', 'ptr-exists', 'ptr-matches-helo', 'fcrdns', 'spf-helo']) {
      expect(status[id], `${id}\n${run.stdout}`).toBe('pass');
    }
  });

  it('a source whose PTR resolves elsewhere fails ptr-matches-helo and fcrdns, exit 3', async () => {
    const run = await mxprobe(ctx.lab, ['lint', N.good, '--source-ip', A.other, '--format', 'json']);
    const checks = checksIn(run);
    expect(run.code, describeRun(run)).toBe(3);
    const status = Object.fromEntries(checks.map((c) => [c.id, c.status]));
    expect(status['ptr-matches-helo'], run.stdout).toBe('fail');
    expect(status['fcrdns'], run.stdout).toBe('fail');
    // The PTR itself exists (other.example.test): the failure is alignment, not absence.
    expect(status['ptr-exists'], run.stdout).toBe('pass');
  });
});
