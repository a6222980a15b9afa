/**
 * Blind set 10 (issue 13, session 6): a strictly blind set in two parts, collected by two developers who never ran
 * the classifier and never read its rules: test/fixtures/blind10.tsv (81 rows from GitHub issue threads and
 * bounce-parser projects' captured bounces, commit 23c24d9 at 06:39 UTC) and blind10b.tsv (101 rows from forum,
 * blog and mailing-list pages and pasted bounces, 10d8719 at 06:40 UTC), both committed before the session's
 * seventh classifier round (branch cls10) was merged. See the headers for the method.
 *
 * Pre-declared rules (both headers), applied by the lead before scoring: a row of blind10b that duplicates a row of
 * blind10 is scored once, in blind10 (blind10b row 101, the x-way.org "User doesn't exist" reply); a row whose text
 * also appears in training data the seventh round added is excluded (blind10b row 168, the NetEase "MI:SPF" reply,
 * 87/117 windows in the round's lines; checked against every line the branch added, train10.tsv included even
 * though it was committed at 06:22, before the sets). 180 rows scored. Run once by the lead, with the build from
 * before the session (72620ec, built apart) and after the seventh round:
 *   blind10   before 62/81 = 76.5%   after 63/81 = 77.8%
 *   blind10b  before 87/99 = 87.9%   after 85/99 = 85.9%
 *   both      before 149/180 = 82.8% after 148/180 = 82.2%   (goal 90%: missed)
 * A second labeller who saw only the text (test/fixtures/blind10-second-labeller.tsv) agrees on 168/180 (93.3%);
 * against that labelling the classifier scores 160/180 (88.9%), before and after.
 *
 * SPENT from now on: a regression pin on all 182 rows, not a blind result.
 */
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const a = readBlindTsv('test/fixtures/blind10.tsv');
const b = readBlindTsv('test/fixtures/blind10b.tsv');
/** Misses on all 182 rows: 32 after the seventh round (18 in blind10, 14 in blind10b); 20 after session 7 (13 + 7), in-sample since blind10 trains the model and its misses were read. */
const BLIND10_MISSES_MAX = 20;

describe('blind set 10 (spent after its one run in session 6)', () => {
  it('both parts are well formed: the vocabulary, no duplicates across them, a source on every row', () => {
    expect(a.length).toBe(81);
    expect(b.length).toBe(101);
    expectWellFormedBlindSet([...a, ...b], 182);
  });

  it('scores no worse than the session-6 figure on all 182 rows (a regression pin, not a blind result)', () => {
    const missed = missesOf([...a, ...b]);
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(BLIND10_MISSES_MAX);
  });
});
