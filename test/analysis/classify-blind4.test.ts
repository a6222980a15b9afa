/**
 * Blind set 4 (issue 13): 102 real replies collected and labelled from their text BEFORE the
 * classifier was run on them, committed first (test/fixtures/blind4.tsv, see its header).
 *
 * Measured once each as a blind set (outcome right and cause among the accepted labels):
 *   before issue 13 (rules only, commit 6b19c58):       83/102 = 81.4%
 *   after (rules + reply model + confidence floor):     85/102 = 83.3%
 * SPENT since: session 3 read its misses (94/102), and from session 4 on it is development and
 * training data (the trainer reads it; session 4, in-sample: 101/102). The threshold below keeps the
 * figure from regressing; it is not a blind result.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, readBlindTsv, scoreRow } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind4.tsv');

describe('blind set 4', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expectWellFormedBlindSet(rows);
  });

  it('is training data now: the trainer reads it (it is spent as a blind measure)', () => {
    expect(readFileSync('scripts/train-classifier.mjs', 'utf8')).toMatch(/tsvRows\('test\/fixtures\/blind4\.tsv'\)/);
  });

  it('scores at least the session-4 figure, 101/102 (no regression; in-sample)', () => {
    const scored = rows.map(scoreRow);
    const right = scored.filter((s) => s.ok).length;
    expect(right).toBeGreaterThanOrEqual(101);
  });
});
