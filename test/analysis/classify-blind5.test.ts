/**
 * Blind set 5 (issue 13, session 3): the DEVELOPMENT set. 103 real replies collected and labelled from
 * their text before the classifier was run on them, committed first (test/fixtures/blind5.tsv, see
 * its header for the method). Its misses were then studied, the rules improved against it and the
 * model trained on it (scripts/train-classifier.mjs reads it), so its figure after tuning is NOT a
 * blind result; the blind result of the session is blind set 6 (classify-blind6.test.ts).
 *
 * Measured (outcome right and cause among the accepted labels):
 *   before the session (start commit 25cc529):   78/103 = 75.7%
 *   after the session's rules and model:       103/103 (tuned on this set)
 * The threshold keeps the figure from regressing.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind5.tsv');

describe('blind set 5 (development)', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expectWellFormedBlindSet(rows);
  });

  it('scores at least the measured 103/103 (no regression)', () => {
    const missed = missesOf(rows);
    expect(missed).toEqual([]);
  });
});
