#!/usr/bin/env node
// Dedupe a candidate blind-set TSV (stage, reply, outcome, causes, source; "#" comments; one header line)
// against the repository's labelled corpora, tests and rule/training sources (issue 13, blind-set method).
// A candidate row is dropped when, compared case-insensitively with whitespace collapsed:
//   - its text without the reply code and enhanced code appears in a reference file, or
//   - its text is 28 characters or less and the whole reply (code + text) appears there, or
//   - at least half of its 28-character windows appear there;
// and also when the same test says it duplicates an earlier kept row of the candidate set itself.
// It only reads files and prints: it never imports or runs the classifier.
// Usage: node scripts/dedupe-blind.mjs candidates.tsv [--write kept.tsv] [reference files...]
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const input = args.shift();
if (!input) {
  console.error('usage: dedupe-blind.mjs candidates.tsv [--write out.tsv] [extra reference files...]');
  process.exit(2);
}
let out = null;
const extra = [];
while (args.length) {
  const a = args.shift();
  if (a === '--write') out = args.shift() ?? null;
  else extra.push(a);
}

const root = new URL('..', import.meta.url).pathname;
const refs = [
  'test/fixtures/reply-corpus.tsv',
  '/work/shared/reference/reply-corpus.tsv',
  'test/fixtures/blind4.tsv',
  'test/fixtures/blind5.tsv',
  'test/fixtures/blind6.tsv',
  // blind8 (session 5) also dedupes against the session-4 blind and training sets.
  'test/fixtures/blind7.tsv',
  'test/fixtures/train7.tsv',
  // blind8b (session 5, part b of blind8) also dedupes against blind8 itself.
  'test/fixtures/blind8.tsv',
  // blind9 (session 5) also dedupes against blind8b and the session-5 training set train8.
  'test/fixtures/blind8b.tsv',
  'test/fixtures/train8.tsv',
  // blind9b (session 5, part b of blind9) also dedupes against blind9 itself.
  'test/fixtures/blind9.tsv',
  // blind10/blind10b (session 6) also dedupe against blind9b and the second labellers' files, i.e. every
  // test/fixtures/*.tsv that was not in the list yet.
  'test/fixtures/blind9b.tsv',
  'test/fixtures/blind8-second-labeller.tsv',
  'test/fixtures/blind9-second-labeller.tsv',
  // blind11a/blind11b (session 7) also dedupe against the session-6 sets: blind10, blind10b, blind10's second
  // labeller and the session-6 training set train10.
  'test/fixtures/blind10.tsv',
  'test/fixtures/blind10b.tsv',
  'test/fixtures/blind10-second-labeller.tsv',
  'test/fixtures/train10.tsv',
  // The next set (after session 7) also dedupes against blind11a/blind11b, spent in session 7.
  'test/fixtures/blind11a.tsv',
  'test/fixtures/blind11b.tsv',
  // ... and their second labellers' files (the same replies; listed in session 8, they were missing).
  'test/fixtures/blind11a-second-labeller.tsv',
  'test/fixtures/blind11b-second-labeller.tsv',
  // The set after session 8 also dedupes against blind12 and its second labels, spent in session 8.
  'test/fixtures/blind12.tsv',
  'test/fixtures/blind12-second-labeller.tsv',
  // Session 9: a second collector (blind13c) dedupes against blind13, the first collector's set of that session.
  'test/fixtures/blind13.tsv',
  // The set after session 9 also dedupes against blind13c and both second labellers' files, spent in session 9.
  'test/fixtures/blind13c.tsv',
  'test/fixtures/blind13-second-labeller.tsv',
  'test/fixtures/blind13c-second-labeller.tsv',
  // The set after session 10 also dedupes against blind14/14c and their second labellers' files, spent in session 10.
  'test/fixtures/blind14.tsv',
  'test/fixtures/blind14c.tsv',
  'test/fixtures/blind14-second-labeller.tsv',
  'test/fixtures/blind14c-second-labeller.tsv',
  ...readdirSync(join(root, 'test/analysis'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/analysis/${f}`),
  'src/analysis/classify-rules.ts',
  'scripts/train-classifier.mjs',
  ...extra,
];

const norm = (s) => s.toLowerCase().replace(/\\n/g, ' ').replace(/\s+/g, ' ').trim();
const hay = refs
  .map((p) => {
    try {
      return norm(readFileSync(p.startsWith('/') ? p : join(root, p), 'utf8'));
    } catch (e) {
      console.error(`missing reference file ${p}: ${e.message}`);
      process.exit(2);
    }
  })
  .join('\n');

const W = 28;
// "550-5.7.1 text", "550 5.7.1 text", "550 text" -> "text"
const stripCode = (r) => r.replace(/^\s*[2-5]\d\d[ -]?(?:[245]\.\d{1,3}\.\d{1,3}\s*)?/, '');

function dupOf(reply, haystack) {
  const whole = norm(reply);
  const text = norm(stripCode(reply));
  if (text.length === 0) return 'empty text';
  if (text.length > W) {
    if (haystack.includes(text)) return 'text appears';
  } else if (haystack.includes(whole)) return 'short reply appears';
  if (text.length >= W) {
    let n = 0;
    let hit = 0;
    for (let i = 0; i + W <= text.length; i++) {
      n++;
      if (haystack.includes(text.slice(i, i + W))) hit++;
    }
    if (hit * 2 >= n) return `${hit}/${n} windows appear`;
  }
  return null;
}

const lines = readFileSync(input, 'utf8').split('\n');
const kept = [];
const dropped = [];
let header = false;
let selfHay = '';
let total = 0;
for (const [i, raw] of lines.entries()) {
  if (raw.trim() === '' || raw.startsWith('#')) {
    kept.push(raw);
    continue;
  }
  if (!header) {
    header = true;
    kept.push(raw);
    continue;
  }
  total++;
  const f = raw.split('\t');
  if (f.length !== 5) {
    console.error(`${input}:${i + 1}: expected 5 tab-separated fields, got ${f.length}`);
    process.exit(2);
  }
  const reply = f[1];
  const why = dupOf(reply, hay);
  const whySelf = why ? null : dupOf(reply, selfHay);
  if (why || whySelf) {
    dropped.push({ line: i + 1, reply, why: why ?? `within set: ${whySelf}` });
    continue;
  }
  selfHay += '\n' + norm(reply);
  kept.push(raw);
}
for (const d of dropped) console.log(`DROP ${input}:${d.line}: ${d.why}: ${d.reply}`);
console.log(`candidates ${total}, dropped ${dropped.length}, kept ${total - dropped.length}`);
if (out) writeFileSync(out, kept.join('\n'));
