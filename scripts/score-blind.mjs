#!/usr/bin/env node
/**
 * Scores the built classifier (dist/) on a blind-set TSV (test/fixtures/blindN.tsv format), the same way
 * test/helpers/blind-tsv.ts does: a row is right when the outcome matches and the cause is one of the
 * accepted causes. Prints the figure and, with -v, every miss.
 *
 *   npm run build && node scripts/score-blind.mjs test/fixtures/blind5.tsv -v
 *   node scripts/score-blind.mjs --dist /tmp/cls-before/dist test/fixtures/blind5.tsv   # another build
 *
 * blind4-6 are spent (training data since session 4); a new blind set is run once, after the last
 * classifier change. `--dist DIR` scores another build (e.g. the session's start, built apart).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const di = args.indexOf('--dist');
const dist = di >= 0 ? resolve(args[di + 1]) : join(root, 'dist');
const file = args.find((a, i) => !a.startsWith('-') && (di < 0 || i !== di + 1));
if (!file) {
  console.error('usage: score-blind.mjs [--dist DIR] FILE.tsv [-v]');
  process.exit(2);
}
const { classify } = await import(join(dist, 'analysis/classify.js'));
const { parseClassifyInput } = await import(join(dist, 'analysis/log-line.js'));

/**
 * Columns are found by their header names, not by position: a second labeller's file with an extra
 * leading `id` column was read one column off (every reply taken for a stage) and scored 0/N.
 */
const REQUIRED = ['stage', 'reply', 'outcome', 'causes'];
let col = null;
let right = 0;
let total = 0;
const misses = [];
for (const raw of readFileSync(file, 'utf8').split('\n')) {
  if (raw.trim() === '' || raw.startsWith('#')) continue;
  const f = raw.split('\t');
  if (col === null) {
    const names = f.map((h) => h.trim().toLowerCase());
    const missing = REQUIRED.filter((n) => !names.includes(n));
    if (missing.length > 0) {
      console.error(`${file}: the header line has no ${missing.join(', ')} column (it reads: ${names.join(', ')})`);
      process.exit(2);
    }
    col = Object.fromEntries(REQUIRED.map((n) => [n, names.indexOf(n)]));
    continue;
  }
  const [stage, reply, outcome, causes] = REQUIRED.map((n) => f[col[n]] ?? '');
  const text = reply.replace(/\\n/g, '\n');
  const p = parseClassifyInput(text, stage);
  const c = classify({ stage: p.stage ?? stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
  const ok = c.outcome === outcome && causes.split('|').includes(c.cause);
  total++;
  if (ok) right++;
  else misses.push(`  want ${causes} got ${c.cause} (${c.decidedBy} ${c.rule} ${c.confidence}) :: ${stage} ${reply.slice(0, 110)}`);
}
console.log(`${file}: ${right}/${total} = ${((100 * right) / total).toFixed(1)}%`);
if (args.includes('-v')) console.log(misses.join('\n'));
