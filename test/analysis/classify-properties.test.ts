/**
 * Property tests: classify() and parseClassifyInput() never throw and always stay inside their
 * vocabularies, whatever stage, code and text they get; the outcome is a pure function of the code.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAUSES, classify, type ClassifyInput } from '../../src/analysis/classify.js';
import { parseClassifyInput } from '../../src/analysis/log-line.js';
import type { Stage } from '../../src/results.js';

const STAGES: Stage[] = ['connect', 'ehlo', 'helo', 'starttls', 'mail', 'rcpt'];
const OUTCOMES = ['accepted', 'rejected', 'deferred', 'unknown'];

const stageArb = fc.constantFrom<Stage | null>(null, ...STAGES);
const codeArb = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 200, max: 599 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -0),
);
// Texts built from SMTP-ish fragments hit the rules far more often than random strings do.
const fragment = fc.constantFrom(
  'Helo command rejected:', 'Client host rejected:', 'Recipient address rejected:', 'Sender address rejected:',
  'blocked using', 'greylisted', 'too many connections', 'Relay access denied', 'User unknown', 'STARTTLS',
  'HELO', 'EHLO', 'localhost', 'does not match', 'FQDN', 'reverse DNS', 'PTR', 'try again later', 'policy',
  '5.7.1', '4.7.1', '5.7.25', '550-', '\n', '\r\n', '\\n', ';', ' ', '[192.0.2.7]', '<a@example.org>',
);
const textArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 30 }).map((a) => a.join(' ')),
);
const enhancedArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.tuple(fc.constantFrom(2, 4, 5), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 })).map(([a, b, c]) => `${a}.${b}.${c}`),
);

describe('classify properties', () => {
  it('never throws and always returns a known cause and outcome', () => {
    fc.assert(
      fc.property(stageArb, codeArb, enhancedArb, textArb, (stage, code, enhanced, text) => {
        const input: ClassifyInput = enhanced === undefined ? { stage, code, text } : { stage, code, enhanced, text };
        const c = classify(input);
        expect(CAUSES).toContain(c.cause);
        expect(OUTCOMES).toContain(c.outcome);
        expect(typeof c.rule).toBe('string');
        expect(c.remedy === null || typeof c.remedy === 'string').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('the outcome depends only on the code class; accepted <=> cause none', () => {
    fc.assert(
      fc.property(stageArb, fc.integer({ min: 200, max: 599 }), textArb, (stage, code, text) => {
        const c = classify({ stage, code, text });
        const expected = code < 400 ? 'accepted' : code < 500 ? 'deferred' : 'rejected';
        expect(c.outcome).toBe(expected);
        expect(c.cause === 'none').toBe(expected === 'accepted');
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on letter case of the text', () => {
    fc.assert(
      fc.property(stageArb, fc.integer({ min: 400, max: 599 }), fc.array(fragment, { maxLength: 12 }), (stage, code, parts) => {
        const text = parts.join(' ');
        expect(classify({ stage, code, text: text.toUpperCase() }).cause).toBe(classify({ stage, code, text: text.toLowerCase() }).cause);
      }),
      { numRuns: 1000 },
    );
  });

  it('survives garbage objects from untyped callers', () => {
    const weird = [{}, { text: 5 }, { stage: 'nope', code: '550', text: null }, { stage: 1, code: {}, text: [] }];
    for (const w of weird) {
      const c = classify(w as unknown as ClassifyInput);
      expect(CAUSES).toContain(c.cause);
      expect(c.outcome).toBe('unknown');
    }
    const hostile = { stage: 'rcpt', code: 550, get text(): string { throw new Error('boom'); } };
    expect(classify(hostile as unknown as ClassifyInput)).toMatchObject({ outcome: 'unknown', cause: 'unknown', rule: 'error' });
  });
});

describe('hostile sizes', () => {
  it('does not hang on large adversarial inputs (generous bound, not a benchmark)', () => {
    const hostile = [
      'helo '.repeat(40_000),
      'rejected RCPT '.repeat(1_170),
      'SMTP error from remote mail server after RCPT TO:<'.repeat(320),
      ' said: 550 '.repeat(1_400),
      '550-'.repeat(50_000),
      'NOQUEUE: reject: RCPT from x['.repeat(500),
      `${'HELO '}${'x'.repeat(45)} `.repeat(4_000),
    ];
    const started = Date.now();
    for (const t of hostile) {
      const p = parseClassifyInput(t, 'rcpt');
      expect(CAUSES).toContain(classify({ stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text }).cause);
      expect(CAUSES).toContain(classify({ stage: 'ehlo', code: 550, text: t }).cause);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('parseClassifyInput properties', () => {
  it('never throws, and a flag stage is used unless the line carries its own', () => {
    fc.assert(
      fc.property(fc.oneof(textArb, textArb.map((t) => `550 ${t}`), textArb.map((t) => `NOQUEUE: reject: RCPT from x[192.0.2.7]: ${t}`)), fc.constantFrom<Stage | undefined>(undefined, ...STAGES), (text, flag) => {
        const p = parseClassifyInput(text, flag);
        expect(['log', 'flag', 'none']).toContain(p.stageSource);
        if (p.stageSource === 'flag') expect(p.stage).toBe(flag);
        if (p.stageSource === 'none') expect(p.stage).toBeNull();
        if (p.stageSource === 'log') expect(STAGES).toContain(p.stage);
        if (p.reply.code !== null) expect(p.reply.code >= 200 && p.reply.code <= 599).toBe(true);
        const c = classify({ stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text });
        expect(CAUSES).toContain(c.cause);
      }),
      { numRuns: 2000 },
    );
  });
});
