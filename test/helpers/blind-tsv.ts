/**
 * Reads a blind-set TSV (test/fixtures/blind4.tsv format: stage, reply, outcome, causes, source;
 * "#" comment lines; one header line) and scores the classifier on it. A row counts as right when
 * the outcome matches and the cause is one of the accepted causes ("a|b").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAUSES, classify, type Classification } from '../../src/analysis/classify.js';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import type { Cause, Outcome, Stage } from '../../src/results.js';

export interface TsvRow {
  line: number;
  stage: Stage;
  reply: string;
  outcome: Outcome;
  causes: Cause[];
  source: string;
}

export function readBlindTsv(path: string): TsvRow[] {
  const rows: TsvRow[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  let header = false;
  lines.forEach((raw, i) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    if (!header) {
      header = true;
      return;
    }
    const f = raw.split('\t');
    if (f.length !== 5) throw new Error(`${path}:${i + 1}: expected 5 tab-separated fields, got ${f.length}`);
    rows.push({
      line: i + 1,
      stage: f[0] as Stage,
      reply: (f[1] as string).replace(/\\n/g, '\n'),
      outcome: f[2] as Outcome,
      causes: (f[3] as string).split('|') as Cause[],
      source: f[4] as string,
    });
  });
  return rows;
}

export interface Scored {
  row: TsvRow;
  got: { outcome: Outcome; cause: Cause };
  ok: boolean;
}

/** Classify one reply as `mxprobe classify` does: the code and enhanced code parsed from the text. */
export function classifyReply(stage: Stage, reply: string): Classification {
  const p = parseClassifyInput(reply, stage);
  return classify({ stage: p.stage ?? stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
}

export function scoreRow(row: TsvRow): Scored {
  const c = classifyReply(row.stage, row.reply);
  return { row, got: { outcome: c.outcome, cause: c.cause }, ok: c.outcome === row.outcome && row.causes.includes(c.cause) };
}

/**
 * The well-formedness every blind set must keep: at least `min` rows, causes and outcomes from the
 * vocabulary, a source on every row, no row twice (stage + reply).
 */
/** The rows the classifier gets wrong, one "line: reply -> cause" string each (for a miss cap and its message). */
export function missesOf(rows: TsvRow[]): string[] {
  return rows
    .map(scoreRow)
    .filter((s) => !s.ok)
    .map((s) => `${s.row.line}: ${s.row.reply} -> ${s.got.cause}`);
}

export function expectWellFormedBlindSet(rows: TsvRow[], min = 100): void {
  expect(rows.length).toBeGreaterThanOrEqual(min);
  for (const r of rows) {
    for (const c of r.causes) expect(CAUSES).toContain(c);
    expect(['rejected', 'deferred']).toContain(r.outcome);
    expect(r.source.length).toBeGreaterThan(5);
  }
  expect(new Set(rows.map((r) => `${r.stage} ${r.reply}`)).size).toBe(rows.length);
}

/** A spent blind set with second labels, pinned at its miss counts (classify-blind13/14.test.ts). */
export interface PinnedBlindSet {
  name: string;
  rows: number;
  missesMax: number;
  secondMissesMax: number;
}

/**
 * The regression pins of spent blind sets that have blind second labels: both label files well
 * formed with the same stage+reply pairs, and no more misses than pinned against either labeller.
 */
export function pinBlindSets(sets: PinnedBlindSet[], spentIn: string): void {
  describe.each(sets)(`blind set $name (spent after its one run in ${spentIn})`, ({ name, rows, missesMax, secondMissesMax }) => {
    const first = readBlindTsv(`test/fixtures/${name}.tsv`);
    const second = readBlindTsv(`test/fixtures/${name}-second-labeller.tsv`);

    it('both label files are well formed and hold the same stage+reply pairs', () => {
      expect(first.length).toBe(rows);
      expectWellFormedBlindSet(first, rows);
      expectWellFormedBlindSet(second, rows);
      expect(second.map((r) => `${r.stage} ${r.reply}`).sort()).toEqual(first.map((r) => `${r.stage} ${r.reply}`).sort());
    });

    it('scores no worse than when it was scored blind (a regression pin)', () => {
      const missed = missesOf(first);
      expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(missesMax);
    });

    it('against the second labels too', () => {
      const missed = missesOf(second);
      expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(secondMissesMax);
    });
  });
}
