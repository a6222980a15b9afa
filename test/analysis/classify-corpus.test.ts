/**
 * Every row of the shared reply corpus (/work/shared/reference/reply-corpus.tsv) must classify to
 * its outcome and cause, both fed straight to classify() and through parseClassifyInput() (which
 * exercises the literal "\n" handling and enhanced-code extraction of the real reply parser).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CAUSES, classify } from '../../src/analysis/classify.js';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import type { Cause, Outcome, Stage } from '../../src/results.js';

const here = dirname(fileURLToPath(import.meta.url));
// The authoritative corpus lives in ../shared/reference beside the repo (CI lays it there); a copy
// is vendored in test/fixtures so a clone elsewhere still runs every row. The shared one wins.
const SHARED = resolve(here, '../../../shared/reference/reply-corpus.tsv');
const VENDORED = resolve(here, '../fixtures/reply-corpus.tsv');
const CORPUS = existsSync(SHARED) ? SHARED : VENDORED;

interface Row { line: number; stage: Stage; reply: string; outcome: Outcome; cause: Cause; source: string }

function loadCorpus(): Row[] {
  if (!existsSync(CORPUS)) {
    throw new Error(`reply corpus not found at ${SHARED} nor ${VENDORED}`);
  }
  const rows: Row[] = [];
  const lines = readFileSync(CORPUS, 'utf8').split(/\r?\n/);
  let header = true;
  lines.forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('#')) return;
    if (header) { header = false; expect(l.split('\t').slice(0, 4)).toEqual(['stage', 'reply', 'outcome', 'cause']); return; }
    const [stage, reply, outcome, cause, source] = l.split('\t');
    if (stage === undefined || reply === undefined || outcome === undefined || cause === undefined) {
      throw new Error(`${CORPUS}:${i + 1}: malformed row`);
    }
    rows.push({ line: i + 1, stage: stage as Stage, reply, outcome: outcome as Outcome, cause: cause as Cause, source: source ?? '' });
  });
  return rows;
}

const rows = loadCorpus();

describe('reply corpus', () => {
  it('is present and not trivially small', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    for (const r of rows) expect(CAUSES).toContain(r.cause);
  });

  describe.each(rows)('line $line: $stage $reply', (row) => {
    it(`via parseClassifyInput (stage flag) -> ${row.outcome}/${row.cause} [${row.source}]`, () => {
      const p = parseClassifyInput(row.reply, row.stage);
      expect(p.stage).toBe(row.stage);
      expect(p.stageSource).toBe('flag');
      expect(p.reply.code).toBe(Number(row.reply.slice(0, 3)));
      const c = classify({ stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
      expect({ outcome: c.outcome, cause: c.cause }).toEqual({ outcome: row.outcome, cause: row.cause });
    });

    it('via classify with the text as raw lines and no enhanced code given', () => {
      // The caller may pass whole reply lines ("550-5.7.25 ..."); classify must cope on its own.
      const text = row.reply.split('\\n').join('\n');
      const c = classify({ stage: row.stage, code: Number(row.reply.slice(0, 3)), text });
      expect({ outcome: c.outcome, cause: c.cause }).toEqual({ outcome: row.outcome, cause: row.cause });
    });
  });
});
