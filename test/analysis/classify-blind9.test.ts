/**
 * Blind set 9 (issue 13, session 5): the session's last strictly blind set, in two parts collected by two
 * developers who never ran the classifier and never read its rules: test/fixtures/blind9.tsv (27 rows,
 * commit 4f4df8b at 04:36 UTC) and blind9b.tsv (21 rows, efb0b9f at 04:47 UTC), both committed before the
 * session's sixth classifier round was merged. Every row is a real reply quoted by people (issue threads,
 * mailing lists, forums, blogs), from sources blind8 did not cite. See the headers for the method.
 *
 * Pre-declared exclusion (both headers): a row whose text also appears, by the dedupe test, in training data
 * the sixth round added after blind9's commit. Checked against every line that round's branch added under
 * src/, test/ and scripts/: no row is excluded. Run once by the lead, before the session (86a561c, built
 * apart) and after the sixth round:
 *   before 38/48 = 79.2%   after 39/48 = 81.3%   (goal 90%: missed)
 * A second labeller who saw only the text (test/fixtures/blind9-second-labeller.tsv) agrees on 45/48 (93.8%).
 *
 * SPENT from now on: a regression pin on all 48 rows, not a blind result. From the seventh round (session 6) on, both
 * parts are training data (scripts/train-classifier.mjs) and their misses were read.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const a = readBlindTsv('test/fixtures/blind9.tsv');
const b = readBlindTsv('test/fixtures/blind9b.tsv');
/**
 * Misses on all 48 rows: 9 at the one blind run; 8 since the STARTTLS block-list fix made after it (in-sample); 3
 * after the seventh round (session 6), in which both parts train the model and are held-out sets of `--loso`
 * (leave-one-set-out before/after the round: blind9 20/27 -> 24/27, blind9b 20/21 -> 20/21).
 */
const BLIND9_MISSES_MAX = 3;

describe('blind set 9 (spent after its one run in session 5)', () => {
  it('both parts are well formed: the vocabulary, no duplicates across them, a source on every row', () => {
    expect(a.length).toBe(27);
    expect(b.length).toBe(21);
    expectWellFormedBlindSet([...a, ...b], 48);
  });

  it('scores no worse than the session-5 figure on all 48 rows (a regression pin, not a blind result)', () => {
    const missed = missesOf([...a, ...b]);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND9_MISSES_MAX);
  });
});
