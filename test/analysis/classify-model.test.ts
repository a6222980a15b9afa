/**
 * The reply model and how classify() combines it with the rules (issue 13).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAUSES, CONFIDENCE_FLOOR, MODEL_THRESHOLD, MODEL_THRESHOLD_NO_RULE, classify, featuresOf, isGenericRule, matchRule, modelProbabilities, prepareInput } from '../../src/analysis/classify.js';
import { replyFeatures, replyTokens, stem } from '../../src/analysis/classify-features.js';
import { MODEL_BIAS, MODEL_CLASSES, RULE_PRECISION } from '../../src/analysis/classify-model.js';
import { RULES } from '../../src/analysis/classify-rules.js';
import type { Stage } from '../../src/results.js';

describe('features', () => {
  it('folds addresses, IPs, domains and numbers to placeholders', () => {
    expect(replyTokens('Client host [192.0.2.7] blocked using zen.spamhaus.org; see https://x.example/q?ip=1 <a@b.example> 2001:db8::1 42')).toEqual([
      'client', 'host', '_ip_', 'blocked', 'using', '_dom_', 'see', '_url_', '_addr_', '_ip_', '_n_',
    ]);
  });

  it('stems common suffixes only on longer words', () => {
    expect(stem('blocked')).toBe('block');
    expect(stem('listed')).toBe('list');
    expect(stem('rejecting')).toBe('reject');
    expect(stem('spam')).toBe('spam');
    expect(stem('_ip_')).toBe('_ip_');
  });

  it('carries the enhanced code without its class, the code, the stage and matched rules', () => {
    const f = replyFeatures('rcpt', 550, '5.7.25', 'no PTR', ['cue-reverse']);
    expect(f).toEqual(expect.arrayContaining(['w:no', 'w:ptr', 'b:no_ptr', 'e:x.7.25', 'es:x.7', 'c:550', 's:rcpt', 'r:cue-reverse']));
    expect(replyFeatures(null, null, '', '')).toEqual([]);
  });
});

describe('the shipped model', () => {
  it('has one weight row per class and only known rule ids in its precision table', () => {
    expect(MODEL_CLASSES).toEqual(CAUSES.filter((c) => c !== 'none'));
    expect(MODEL_BIAS).toHaveLength(MODEL_CLASSES.length);
    const ids = new Set([...RULES.map((r) => r.id), 'no-rule']);
    for (const id of Object.keys(RULE_PRECISION)) expect(ids).toContain(id);
    for (const v of Object.values(RULE_PRECISION)) expect(v).toBeGreaterThan(0);
  });

  it('probabilities sum to 1 and favour the right cause on plain cases', () => {
    const probs = modelProbabilities(featuresOf(prepareInput({ stage: 'rcpt', code: 550, text: 'Your IP is listed on a spam blacklist' })));
    const sum = [...probs.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
    const best = [...probs.entries()].sort((a, b) => b[1] - a[1])[0];
    expect(best?.[0]).toBe('blocklist');
  });

  it('is reproduced byte for byte by the trainer (deterministic, and the shipped file is current)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxprobe-model-'));
    try {
      const out = join(dir, 'model.ts');
      execFileSync(process.execPath, ['scripts/train-classifier.mjs', '--out', out], { stdio: 'pipe' });
      expect(readFileSync(out, 'utf8')).toBe(readFileSync('src/analysis/classify-model.ts', 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('combination and confidence', () => {
  it('a specific rule decides alone, with its corpus precision as confidence', () => {
    const c = classify({ stage: 'rcpt', code: 504, text: '<x>: Helo command rejected: need fully-qualified hostname' });
    expect(c).toMatchObject({ cause: 'helo-not-fqdn', decidedBy: 'rule', rule: 'postfix-helo-non-fqdn' });
    expect(c.confidence).toBe(RULE_PRECISION['postfix-helo-non-fqdn']);
  });

  it('specific rules come before the cue words; generic ones after', () => {
    expect(isGenericRule(RULES.find((r) => r.id === 'postfix-helo-other') ?? null)).toBe(false);
    expect(isGenericRule(RULES.find((r) => r.id === 'cue-relay') ?? null)).toBe(true);
    expect(isGenericRule(RULES.find((r) => r.id === 'default-rcpt-554') ?? null)).toBe(true);
    expect(isGenericRule(null)).toBe(true);
  });

  it('the model decides where only generic words match, when it is sure', () => {
    // A training row whose generic rule gave "unknown" (blind set 2 #60).
    const c = classify({ stage: 'rcpt', code: 550, text: 'rejecting spoofed message' });
    expect(c.decidedBy).toBe('model');
    expect(c.cause).toBe('policy');
    expect(c.confidence).toBeGreaterThanOrEqual(c.rule === 'no-rule' ? MODEL_THRESHOLD_NO_RULE : MODEL_THRESHOLD);
  });

  const stageArb = fc.constantFrom<Stage>('connect', 'ehlo', 'helo', 'mail', 'rcpt');
  const words = fc.constantFrom('blocked', 'relay', 'user', 'unknown', 'spam', 'HELO', 'reverse', 'DNS', 'try', 'later', 'policy', 'denied', 'rate', 'too', 'many', 'the', 'your', 'IP', 'not', 'allowed', 'xyzzy');
  it('invariants hold for any reply: confidence in [0,1], model ⇒ ≥ threshold, low-confidence ⇒ unknown below the floor', () => {
    fc.assert(
      fc.property(stageArb, fc.constantFrom(421, 450, 451, 452, 550, 553, 554), fc.array(words, { maxLength: 12 }), (stage, code, ws) => {
        const c = classify({ stage, code, text: ws.join(' ') });
        expect(c.confidence).toBeGreaterThanOrEqual(0);
        expect(c.confidence).toBeLessThanOrEqual(1);
        if (c.decidedBy === 'model') {
          const threshold = matchRule({ stage, code, text: ws.join(' ') }) === null ? MODEL_THRESHOLD_NO_RULE : MODEL_THRESHOLD;
          expect(c.confidence).toBeGreaterThanOrEqual(threshold);
        }
        if (c.decidedBy === 'low-confidence') {
          expect(c.cause).toBe('unknown');
          expect(c.confidence).toBeLessThan(CONFIDENCE_FLOOR);
        }
        if (c.decidedBy === 'rule') expect(isGenericRule(matchRule({ stage, code, text: ws.join(' ') }))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
