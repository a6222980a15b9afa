/**
 * The harness shared by the blind classifier sets (test/analysis/classify-blind*.test.ts): each
 * file holds only its table of real replies; this runs them the same way.
 */
import { describe, expect, it } from 'vitest';
import { CAUSES, classify } from '../../src/analysis/classify.js';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import type { Cause, Outcome, Stage } from '../../src/results.js';

export interface BlindRow {
  stage: Stage;
  /** The reply as received, lines separated by "\n". */
  reply: string;
  outcome: Outcome;
  cause: Cause;
  source: string;
  /** Set aside before the rules were tuned; never used to tune them. */
  holdout?: true;
  /**
   * A known disagreement: the cause the classifier gives instead. The row stays in the table with
   * its expected cause and runs as `it.fails`, so fixing the rules turns it into a failure that asks
   * for this marker to be removed.
   */
  miss?: Cause;
}

export function runBlindSet(name: string, rows: readonly BlindRow[], min: { rows: number; holdout: number }): void {
  describe(name, () => {
    it('is large enough, uses the cause vocabulary, and keeps a holdout', () => {
      expect(rows.length).toBeGreaterThanOrEqual(min.rows);
      expect(rows.filter((r) => r.holdout).length).toBeGreaterThanOrEqual(min.holdout);
      for (const r of rows) expect(CAUSES).toContain(r.cause);
      expect(new Set(rows.map((r) => `${r.stage} ${r.reply}`)).size).toBe(rows.length);
    });

    const cases = rows.map((r, i) => [`#${i + 1} [${r.holdout ? 'holdout' : 'tuned'}] ${r.stage} ${r.reply}`, r] as const);
    describe.each(cases)('%s', (_name, row) => {
      const test = row.miss === undefined ? it : it.fails;
      test(`-> ${row.outcome}/${row.cause}${row.miss === undefined ? '' : ` (known miss: gives ${row.miss})`} [${row.source}]`, () => {
        const parsed = parseClassifyInput(row.reply, row.stage);
        const c = classify({ stage: parsed.stage ?? row.stage, code: parsed.reply.code, enhanced: parsed.reply.enhanced, text: parsed.reply.text });
        expect({ outcome: c.outcome, cause: c.cause }).toEqual({ outcome: row.outcome, cause: row.cause });
      });
    });
  });
}
