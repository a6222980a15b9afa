/**
 * scripts/score-blind.mjs reads a blind-set TSV by its header names: a second labeller's file with
 * a leading `id` column scored 0/N (every column read one off), and columns in another order too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-score-blind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SCRIPT = join(ROOT, 'scripts', 'score-blind.mjs');
const SET = join(ROOT, 'test', 'fixtures', 'blind14-second-labeller.tsv');

function score(file: string): { status: number | null; figure: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', cwd: ROOT });
  return { status: r.status, figure: /: (\d+\/\d+) = /.exec(r.stdout)?.[1] ?? '', stderr: r.stderr };
}

/** The set's rows with their columns rearranged: `order` names the output columns (`id` is new). */
function rewrite(name: string, order: string[]): string {
  const lines = readFileSync(SET, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const head = lines[0]!.split('\t');
  const out = lines.map((l, i) => {
    const f = l.split('\t');
    return order.map((c) => (c === 'id' ? (i === 0 ? 'id' : `r${i}`) : f[head.indexOf(c)])).join('\t');
  });
  const p = join(dir, name);
  writeFileSync(p, `# rewritten from ${SET}\n${out.join('\n')}\n`);
  return p;
}

describe('score-blind.mjs', () => {
  const plain = score(SET);

  it('scores a file with a leading id column as the same rows without it', () => {
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.figure).toMatch(/^[1-9]\d*\/\d+$/);
    const withId = score(rewrite('with-id.tsv', ['id', 'stage', 'reply', 'outcome', 'causes', 'source']));
    expect(withId.status, withId.stderr).toBe(0);
    expect(withId.figure).toBe(plain.figure);
  });

  it('columns in another order', () => {
    const shuffled = score(rewrite('shuffled.tsv', ['source', 'causes', 'outcome', 'id', 'reply', 'stage']));
    expect(shuffled.figure).toBe(plain.figure);
  });

  it('a header without a needed column is refused (exit 2), not scored 0/N', () => {
    const r = score(rewrite('no-causes.tsv', ['id', 'stage', 'reply', 'outcome', 'source']));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the header line has no causes column/);
  });
});
