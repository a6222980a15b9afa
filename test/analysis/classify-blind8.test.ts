/**
 * Blind set 8 (issue 13, session 5): the session's strictly blind set, in two parts collected by two
 * developers who never ran the classifier on them and never read its rules: test/fixtures/blind8.tsv (60
 * rows, commit 37fc340 at 03:25 UTC) and blind8b.tsv (41 rows, commit a360248 at 03:42 UTC), both committed
 * before the session's first classifier change was merged. Unlike blind4-7 (mostly MTA source and vendor
 * lists), every row is a real reply QUOTED BY PEOPLE: bounces, logs and transcripts in GitHub issues and
 * forum threads. See the headers for the method.
 *
 * Pre-declared exclusion (both headers, written before any row was scored): a row whose text also appears,
 * by the dedupe test of scripts/dedupe-blind.mjs, in training data the classifier developer added during
 * session 5 is excluded. Three rows were (checked against every line that session's classifier branch
 * added under src/, test/ and scripts/, which includes test/fixtures/train8.tsv): blind8:103 "Unable to
 * relay", blind8b:85 "not in my validrcptto list", blind8b:107 "Access from ip address ... blocked".
 * Run once by the lead, on the build from before the session (86a561c, built apart) and after:
 *   scored rows (98):  before 73/98 = 74.5%   after 76/98 = 77.6%   (goal 90%: missed)
 *   all 101 rows:      before 75/101 = 74.3%  after 78/101 = 77.2%
 * Quoted real-world replies score ~10 points lower than the source-and-list sets did (blind7: 87.4%).
 * A second labeller, who saw only the text (test/fixtures/blind8-second-labeller.tsv), agrees with the
 * first on 93/98 scored rows (94.9%): the ceiling is near 94%, not near 77%.
 *
 * SPENT from now on: a regression pin on all 101 rows, not a blind result.
 *
 * Sixth round (session 5, short): its misses were read and both parts train the model (scripts/train-classifier.mjs), so the
 * pin below is in-sample now. Leave-one-set-out (each part classified by a model trained on all other
 * sets, the rules fixed): blind8 47/60 -> 53/60, blind8b 31/41 -> 35/41 (see the README's sixth round).
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const a = readBlindTsv('test/fixtures/blind8.tsv');
const b = readBlindTsv('test/fixtures/blind8b.tsv');
/**
 * Misses on all 101 rows: 23 with the session-5 classifier (measured once, see above); 9 after the sixth round,
 * in-sample (both parts train the model since the sixth round); 5 after the seventh round (session 6: provider
 * codes, "domain of forward path", "Use Submission", "Bad IP", "ip in prison"; in-sample too).
 */
const BLIND8_MISSES_MAX = 5;

describe('blind set 8 (spent after its one run in session 5)', () => {
  it('both parts are well formed: the vocabulary, no duplicates, a source on every row', () => {
    expect(a.length).toBe(60);
    expect(b.length).toBe(41);
    // One check over both parts: 101 rows, and no reply repeated across them either.
    expectWellFormedBlindSet([...a, ...b], 101);
  });

  it('scores no worse than the session-5 figure on all 101 rows (a regression pin, not a blind result)', () => {
    const missed = missesOf([...a, ...b]);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND8_MISSES_MAX);
  });
});
