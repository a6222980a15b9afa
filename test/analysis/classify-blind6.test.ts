/**
 * Blind set 6 (issue 13, session 3): the FINAL, strictly blind set. 103 real replies collected and
 * labelled from their text before anything was run on them, committed first (test/fixtures/
 * blind6.tsv, see its header for the method; commit a5f7b27 precedes every classifier change of the
 * session). Never used for training or tuning: scripts/train-classifier.mjs does not read it
 * (checked below). Run once, after the last classifier change.
 *
 * Measured once each, on this same set (outcome right and cause among the accepted labels):
 *   before the session (start commit 25cc529, built apart):  78/103 = 75.7%
 *   after (this branch, commit f634067 and later):           90/103 = 87.4%   (the goal was 90%)
 * The 13 misses after: 7 recipient refusals with no recipient word the rules or the model know
 * ("Invalid RCPT TO", "Invalid server token", "A valid address is required.", "User rejected",
 * "Unknown sub-board"), 2 unsupported-command replies at MAIL read as policy by the MAIL default,
 * a usage line at MAIL, a DNSBL refusal worded "refused due to listing at", a connection-time TLS
 * refusal (440), an early-talker 421 and a HELO "invalid sender". Left unfixed: this set is spent.
 * The threshold below keeps the figure from regressing; it is not a target to tune towards.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAUSES } from '../../src/analysis/classify.js';
import { readBlindTsv, scoreRow } from '../helpers/blind-tsv.js';

const rows = readBlindTsv('test/fixtures/blind6.tsv');

describe('blind set 6 (final)', () => {
  it('is large enough, uses the vocabulary, has no duplicates and a source on every row', () => {
    expect(rows.length).toBeGreaterThanOrEqual(100);
    for (const r of rows) {
      for (const c of r.causes) expect(CAUSES).toContain(c);
      expect(['rejected', 'deferred']).toContain(r.outcome);
      expect(r.source.length).toBeGreaterThan(5);
    }
    expect(new Set(rows.map((r) => `${r.stage} ${r.reply}`)).size).toBe(rows.length);
  });

  it('shares no reply with the development set or the training data', () => {
    const dev = new Set(readBlindTsv('test/fixtures/blind5.tsv').map((r) => r.reply));
    const corpus = readFileSync('test/fixtures/reply-corpus.tsv', 'utf8');
    for (const r of rows) {
      expect(dev.has(r.reply), r.reply).toBe(false);
      expect(corpus.includes(r.reply), r.reply).toBe(false);
    }
  });

  it('is not read by the trainer', () => {
    const trainer = readFileSync('scripts/train-classifier.mjs', 'utf8');
    expect(trainer).not.toMatch(/blind6\.tsv'\)|tsvRows\('test\/fixtures\/blind6/);
    expect(trainer).not.toMatch(/tsvRows\([^)]*blind6/);
  });

  it('scores at least the measured figure (no regression)', () => {
    const right = rows.map(scoreRow).filter((s) => s.ok).length;
    expect(right).toBeGreaterThanOrEqual(90);
  });
});
