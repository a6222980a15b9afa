/**
 * Blind set 7 (issue 13, session 4): the session's strictly blind set. 105 real replies collected and
 * labelled from their text by a developer who never ran the classifier on them, committed first
 * (test/fixtures/blind7.tsv, commit 1b5a1a6 at 00:10 UTC, before the first classifier change of the
 * session at 01:02 UTC; see its header for the method). Run by the lead once on the build from before
 * the session (13447ac, built apart) and once after the last change.
 *
 * Pre-declared exclusion (written in blind7's header before any row was scored): a row whose text also
 * appears, by the dedupe test of scripts/dedupe-blind.mjs, in training data added during session 4
 * (test/fixtures/train7.tsv) is excluded from the score. Two rows were: "421 Sender address blocked"
 * and "421 Unable to process connection at this time". On the remaining 103:
 *   before session 4 (13447ac):  91/103 = 88.3%
 *   after session 4:             90/103 = 87.4%   (the goal was 90%: missed; the family rules written
 *                                                  from blind4-6 did not carry over to this set)
 * On all 105 rows both builds score 92/105 = 87.6%.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, readBlindTsv, scoreRow } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind7.tsv');
const EXCLUDED = new Set(['421 Sender address blocked', '421 Unable to process connection at this time']);

describe('blind set 7 (session 4 strictly blind set)', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expect(rows.length).toBe(105);
    expectWellFormedBlindSet(rows);
  });

  it('is never read by the trainer', () => {
    expect(readFileSync('scripts/train-classifier.mjs', 'utf8')).not.toMatch(/blind7\.tsv/);
  });

  it('the excluded rows are exactly the two that train7 also holds', () => {
    const train = readFileSync('test/fixtures/train7.tsv', 'utf8');
    const hit = rows.filter((r) => EXCLUDED.has(r.reply));
    expect(hit.map((r) => r.reply).sort()).toEqual([...EXCLUDED].sort());
    for (const r of hit) expect(train.toLowerCase()).toContain(r.reply.replace(/^\d{3} /, '').toLowerCase());
  });

  it('scores at least the measured figure: 90 of the 103 scored rows (87.4%)', () => {
    const scored = rows.filter((r) => !EXCLUDED.has(r.reply));
    expect(scored.length).toBe(103);
    const right = scored.map(scoreRow).filter((s) => s.ok).length;
    expect(right).toBeGreaterThanOrEqual(90);
  });
});
