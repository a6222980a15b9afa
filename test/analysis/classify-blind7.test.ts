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
 *
 * SPENT since session 5: its 13 misses were studied (the session-5 report lists each with whether its label
 * agrees with the other sets) and scripts/train-classifier.mjs now trains on it, like blind4-6. Its figure
 * below is therefore in-sample, a regression pin and not a blind result; the honest development figure for
 * it is its leave-one-set-out row (`node scripts/train-classifier.mjs --loso`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind7.tsv');
/** Misses on all 105 rows after session 5's retraining (set when the model was trained). */
const BLIND7_MISSES_MAX = 7;
const EXCLUDED = new Set(['421 Sender address blocked', '421 Unable to process connection at this time']);

describe('blind set 7 (spent; training data since session 5)', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expect(rows.length).toBe(105);
    expectWellFormedBlindSet(rows);
  });

  it('is training data now: the trainer reads it (it is spent as a blind measure)', () => {
    expect(readFileSync('scripts/train-classifier.mjs', 'utf8')).toMatch(/tsvRows\('test\/fixtures\/blind7\.tsv'\)/);
  });

  it('the excluded rows are exactly the two that train7 also holds', () => {
    const train = readFileSync('test/fixtures/train7.tsv', 'utf8');
    const hit = rows.filter((r) => EXCLUDED.has(r.reply));
    expect(hit.map((r) => r.reply).sort()).toEqual([...EXCLUDED].sort());
    for (const r of hit) expect(train.toLowerCase()).toContain(r.reply.replace(/^\d{3} /, '').toLowerCase());
  });

  it('scores at least the session-5 figure on all 105 rows (no regression; in-sample, not a blind result)', () => {
    const missed = missesOf(rows);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND7_MISSES_MAX);
  });
});
