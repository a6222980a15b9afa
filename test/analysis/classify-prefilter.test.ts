/**
 * The rules' regex prefilter (classify-prefilter.ts, RULE_NEEDS in classify-model.ts): a regex is not
 * run when none of its required strings is in the text. It must never skip a regex that matches.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseText, stripLogFields } from '../../src/analysis/classify.js';
import { RULE_NEEDS } from '../../src/analysis/classify-model.js';
import { requiredLiterals } from '../../src/analysis/classify-prefilter.js';
import { RULES } from '../../src/analysis/classify-rules.js';

const ruleRegexes: Array<{ id: string; re: RegExp }> = RULES.flatMap((r) =>
  [r.text, r.unless].filter((re): re is RegExp => re !== undefined).map((re) => ({ id: r.id, re })),
);

/** Every reply text of the labelled corpora, as the rules see it (normalised), and the raw column too. */
function corpusTexts(): string[] {
  const dir = 'test/fixtures';
  const out = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tsv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const reply = (line.split('\t')[1] ?? '').replace(/\\n/g, '\n');
      if (reply === '') continue;
      const code = /^(\d{3})/.exec(reply);
      out.add(reply);
      out.add(stripLogFields(normaliseText(code ? Number(code[1]) : null, reply)));
    }
  }
  return [...out];
}

/** Sound: whenever `re` matches `text`, one of its strings is in the text's lower case. */
function holds(need: readonly string[] | null, text: string): boolean {
  if (need === null) return true;
  const lower = text.toLowerCase();
  return need.some((s) => lower.includes(s));
}

describe('requiredLiterals', () => {
  it('names the literal words of each branch, lower-cased', () => {
    expect(requiredLiterals(/\bBlocked using\b|spamhaus/i)).toEqual(['blocked using', 'spamhaus']);
    expect(requiredLiterals(/helo command rejected: (need|invalid)/i)).toEqual(['helo command rejected: ']);
    // Of a sequence's required parts, the one whose shortest string is longest is kept.
    expect(requiredLiterals(/\bnot (allowed|permitted)\b/i)).toEqual(['allowed', 'permitted']);
    expect(requiredLiterals(/(?:allowed|permitted)x/i)).toEqual(['allowed', 'permitted']);
    expect(requiredLiterals(/(?:no|not) reverse/i)).toEqual([' reverse']);
  });

  it('keeps only what every match must contain: optional parts, classes and negative lookarounds need nothing', () => {
    expect(requiredLiterals(/(foo)?/i)).toBeNull();
    expect(requiredLiterals(/a|(b)?/i)).toBeNull();
    expect(requiredLiterals(/[a-z]+\d*/i)).toBeNull();
    expect(requiredLiterals(/(?!spam)\w+/i)).toBeNull();
    expect(requiredLiterals(/(?<!no )reverse/i)).toEqual(['reverse']);
    expect(requiredLiterals(/x(?=yz)/i)).toEqual(['yz']);
    expect(requiredLiterals(/to{1,2} many/i)).toEqual([' many']);
    expect(requiredLiterals(/colou?r/i)).toEqual(['colo']);
    expect(requiredLiterals(/\[ts0\d\]/i)).toEqual(['[ts0']);
    expect(requiredLiterals(/a.b/i)).toEqual(['a']);
  });

  it('gives up (no condition) on what it does not read, stateful flags and Unicode case folding', () => {
    expect(requiredLiterals(/\x41bc/i)).toBeNull();
    expect(requiredLiterals(/(a)\1/i)).toBeNull();
    expect(requiredLiterals(/abc/gi)).toBeNull();
    expect(requiredLiterals(/abc/iy)).toBeNull();
    expect(requiredLiterals(/abc/iu)).toBeNull();
    expect(requiredLiterals(/a{/i)).toBeNull();
    // σ, ς and Σ fold together under `i`, not under toLowerCase: a non-ASCII letter is never required.
    expect(requiredLiterals(/σx/i)).toEqual(['x']);
    expect(requiredLiterals(/σ/i)).toBeNull();
  });

  it('never names a string a random pattern can match without (property, random words and texts)', () => {
    const word = fc.constantFrom('spam', 'Block', 'rdns', 'not', 'helo', 'x', 'list', 'ed', ' ', '.', ';', 'é', 'σ');
    const leaf = fc.oneof(
      word.map((w) => w.replace(/[.]/g, '\\.')),
      fc.constantFrom('\\b', '\\s', '\\w+', '[^.;]', '[a-z]', '.', '\\d', '(?:[^.;]|\\.(?=[\\w-]))'),
    );
    const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
      p: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.tuple(tie('p'), tie('p')).map(([a, b]) => a + b),
        fc.tuple(tie('p'), tie('p')).map(([a, b]) => `(?:${a}|${b})`),
        fc.tuple(tie('p'), fc.constantFrom('?', '*', '+', '{0,3}', '{1,2}', '??')).map(([a, q]) => `(?:${a})${q}`),
        tie('p').map((a) => `(${a})`),
        tie('p').map((a) => `(?=${a})`),
        tie('p').map((a) => `(?!${a})`),
        tie('p').map((a) => `(?<=${a})`),
      ),
    })).p;
    const text = fc.array(fc.oneof(word, fc.constantFrom('SPAM', 'BLOCKED', 'Σ', 'ς', 'İ', 'K')), { maxLength: 12 }).map((ws) => ws.join(''));
    fc.assert(
      fc.property(pattern, fc.array(text, { minLength: 1, maxLength: 8 }), (src, texts) => {
        const re = new RegExp(src, 'i');
        const need = requiredLiterals(re);
        for (const t of texts) {
          if (re.test(t)) expect(holds(need, t), `${re} matched ${JSON.stringify(t)} but needs ${JSON.stringify(need)}`).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 13 },
    );
  });
});

describe('RULE_NEEDS (shipped in classify-model.ts)', () => {
  it('is what the analysis gives for every rule regex now (retrain after a rule change)', () => {
    const expected: Record<string, readonly string[]> = {};
    for (const { re } of ruleRegexes) {
      const need = requiredLiterals(re);
      if (need !== null) expected[re.source] = need;
    }
    expect(RULE_NEEDS).toEqual(expected);
    // It does something: nearly every rule regex has a condition.
    expect(Object.keys(RULE_NEEDS).length).toBeGreaterThan(ruleRegexes.length * 0.9);
  });

  it('never skips a rule regex that matches a corpus reply, in any letter case', () => {
    const texts = corpusTexts();
    expect(texts.length).toBeGreaterThan(2000);
    let checked = 0;
    for (const { id, re } of ruleRegexes) {
      const need = RULE_NEEDS[re.source] ?? null;
      for (const t of texts) {
        for (const v of [t, t.toUpperCase(), t.toLowerCase()]) {
          if (!re.test(v)) continue;
          checked++;
          expect(holds(need, v), `${id}: ${JSON.stringify(v)}`).toBe(true);
          // The matched part alone must still carry one of the strings.
          const m = re.exec(v)?.[0] ?? '';
          if (m !== '' && !/\(\?[=<]/.test(re.source)) expect(holds(need, m), `${id}: match ${JSON.stringify(m)}`).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
