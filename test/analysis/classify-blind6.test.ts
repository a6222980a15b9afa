/**
 * Blind set 6 (issue 13, session 3): it WAS the final, strictly blind set. 103 real replies collected
 * and labelled from their text before anything was run on them, committed first (test/fixtures/
 * blind6.tsv, see its header for the method; commit a5f7b27 precedes every classifier change of
 * session 3), run once after that session's last change:
 *   before session 3 (start commit 25cc529, built apart):  78/103 = 75.7%
 *   after session 3 (commit f634067 and later):            90/103 = 87.4%   (the goal was 90%)
 *
 * SPENT since: session 4 studied its 13 misses, grouped them into families (recipient refusals at
 * RCPT worded without a known word, unsupported-command and usage replies at MAIL, a DNSBL "listing
 * at", a TLS refusal at connect, an early talker, a bare "invalid" at HELO) and wrote general rules
 * for those families; the trainer now trains the model on this file. Its figure is therefore NOT a
 * blind result any more (session 4, in-sample: 103/103); the honest development figure is the
 * k-fold cross-validation (`node scripts/train-classifier.mjs --cv 10`), and the blind figure of
 * session 4 is blind7, collected elsewhere and run by the lead.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectWellFormedBlindSet, missesOf, readBlindTsv } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind6.tsv');

describe('blind set 6 (spent; training data since session 4)', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expectWellFormedBlindSet(rows);
  });

  it('shares no reply with the development set or the training data', () => {
    const dev = new Set(readBlindTsv('test/fixtures/blind5.tsv').map((r) => r.reply));
    const corpus = readFileSync('test/fixtures/reply-corpus.tsv', 'utf8');
    for (const r of rows) {
      expect(dev.has(r.reply), r.reply).toBe(false);
      expect(corpus.includes(r.reply), r.reply).toBe(false);
    }
  });

  it('is training data now: the trainer reads it (it is spent as a blind measure)', () => {
    const trainer = readFileSync('scripts/train-classifier.mjs', 'utf8');
    expect(trainer).toMatch(/tsvRows\('test\/fixtures\/blind6\.tsv'\)/);
  });

  it('scores at least the session-4 figure (no regression; in-sample, not a blind result)', () => {
    const missed = missesOf(rows);
    expect(missed).toEqual([]);
  });
});
