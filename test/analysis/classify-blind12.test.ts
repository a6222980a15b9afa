/**
 * Blind set 12 (issue 13, session 8): a third fresh strictly blind set, test/fixtures/blind12.tsv (75 rows, collected
 * and labelled before any run; method in its header), with blind second labels from stage and reply alone
 * (test/fixtures/blind12-second-labeller.tsv; the labellers' accepted causes overlap on 75/75).
 *
 * SCORED BLIND ONCE by the lead (bench/results/session8-blind12-scoring.md, rules declared before the run) with the
 * classifier as it stood at the end of session 7: 66/75 = 88.0% against the first labels (9 misses), 63/75 = 84.0%
 * against the second. THAT is the blind figure.
 *
 * PINNED AFTER IN-SAMPLE FIXES (branch cls12): two of the nine misses were plain defects and were fixed as families,
 * with tests on other texts (test/analysis/classify-session8.test.ts): a postgrey deferral worded "Delayed by
 * postgrey" (docker-mailserver's default text) is greylist, and a HELO that "must contain a FQDN" is helo-not-fqdn.
 * After them: 68/75 (7 misses) against the first labels, 65/75 (10 misses) against the second. These figures are
 * IN-SAMPLE for this set and measure nothing blind. The seven misses left are judgement calls the fixes did not touch
 * (unknown vs policy, policy vs blocklist, recipient vs policy, a collector's "[IP address]" placeholder where the
 * reply had the IP). The model is not trained on this set.
 *
 * SPENT from now on: a regression pin on all 75 rows, not a blind result.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const first = readBlindTsv('test/fixtures/blind12.tsv');
const second = readBlindTsv('test/fixtures/blind12-second-labeller.tsv');
/** Misses on all 75 rows against the first labels: 9 when scored blind once, 7 after the in-sample fixes. */
const BLIND12_MISSES_MAX = 7;
/** Against the second labels: 12 when scored blind once, 10 after. */
const BLIND12_SECOND_MISSES_MAX = 10;

describe('blind set 12 (spent after its one run in session 8)', () => {
  it('both label files are well formed and hold the same 75 stage+reply pairs', () => {
    expect(first.length).toBe(75);
    expectWellFormedBlindSet(first, 75);
    expectWellFormedBlindSet(second, 75);
    expect(second.map((r) => `${r.stage} ${r.reply}`).sort()).toEqual(first.map((r) => `${r.stage} ${r.reply}`).sort());
  });

  it('scores no worse than after the in-sample fixes (a regression pin, not a blind result)', () => {
    const missed = missesOf(first);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND12_MISSES_MAX);
  });

  it('against the second labels too', () => {
    const missed = missesOf(second);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND12_SECOND_MISSES_MAX);
  });
});
