/**
 * The refusal classifier: why did a receiver refuse (or defer) us?
 *
 * Table-driven: the ordered rules live in classify-rules.ts; this file only normalises the input,
 * derives the outcome from the reply code's class (RFC 5321 §4.2.1: 2yz/3yz positive, 4yz transient,
 * 5yz permanent) and runs the first-match loop. It never throws, whatever it is given.
 */
import type { Cause, Outcome, Stage } from '../results.js';
import { FALLBACK_RULE_ID, RULES, type ClassifyRule, type CodeSpec } from './classify-rules.js';
import { REMEDIES } from './remedies.js';

export const CAUSES: readonly Cause[] = [
  'helo-missing',
  'helo-syntax',
  'helo-not-fqdn',
  'helo-not-resolving',
  'helo-mismatch',
  'helo-policy',
  'no-ptr',
  'fcrdns-fail',
  'blocklist',
  'greylist',
  'rate-limit',
  'recipient',
  'relay-denied',
  'tls-required',
  'tls-unavailable',
  'policy',
  'unknown',
  'none',
];

export interface ClassifyInput {
  stage: Stage | null;
  code: number | null;
  enhanced?: string | null;
  text: string;
}

export interface Classification {
  outcome: Outcome;
  cause: Cause;
  remedy: string | null;
  /** id of the rule that matched, for debugging and tests */
  rule: string;
}

/** Characters of reply text the rules look at. */
export const MAX_TEXT = 65536;

const STAGES: ReadonlySet<string> = new Set<Stage>(['connect', 'ehlo', 'helo', 'starttls', 'mail', 'rcpt']);

/** RFC 3463 §2: class.subject.detail, subject and detail 1-3 digits. IronPort writes "#5.1.0". */
const ENHANCED_RE = /^#?([245])\.(\d{1,3})\.(\d{1,3})(?=[\s,;:]|$)/;
const VALID_ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** The reply code if it is a real one (RFC 5321 §4.2: three digits, first 2-5); else null. */
function validCode(code: unknown): number | null {
  return typeof code === 'number' && Number.isInteger(code) && code >= 200 && code <= 599 ? code : null;
}

export function outcomeOf(code: number | null): Outcome {
  if (code === null) return 'unknown';
  if (code < 400) return 'accepted';
  if (code < 500) return 'deferred';
  return 'rejected';
}

/**
 * Strip, from each line, a leading reply code matching `code` (callers sometimes pass whole lines)
 * and a leading enhanced code (RFC 2034 §4 repeats it on every line), then join the lines with one
 * space. Gmail splits sentences across lines ("...have a PTR\n550-5.7.25 record setup"), so rules
 * must see one continuous sentence.
 */
export function normaliseText(code: number | null, text: string): string {
  const lines = text.split(/\r?\n|\r/);
  const out: string[] = [];
  for (let line of lines) {
    line = line.trim();
    if (code !== null) {
      const m = /^(\d{3})(?:[ -]|$)/.exec(line);
      if (m && Number(m[1]) === code) line = line.slice(m[0].length).trimStart();
    }
    line = line.replace(/^#?[245]\.\d{1,3}\.\d{1,3}(?=\s|$)\s*/, '');
    if (line !== '') out.push(line);
  }
  return out.join(' ').replace(/\s+/g, ' ').trim();
}

/** The enhanced code given, or the one that starts the text when its class matches the code. */
export function enhancedOf(code: number | null, enhanced: string | null | undefined, text: string): string | null {
  if (typeof enhanced === 'string' && VALID_ENHANCED.test(enhanced.trim())) return enhanced.trim();
  let first = (text.split(/\r?\n|\r/)[0] ?? '').trim();
  if (code !== null) {
    const m = /^(\d{3})(?:[ -]|$)/.exec(first);
    if (m && Number(m[1]) === code) first = first.slice(m[0].length).trimStart();
  }
  const m = ENHANCED_RE.exec(first);
  if (!m) return null;
  // RFC 3463 §2 / RFC 2034 §4: the class must agree with the reply code's first digit.
  if (code !== null && Number(m[1]) !== Math.floor(code / 100)) return null;
  return `${m[1]}.${m[2]}.${m[3]}`;
}

function codeMatches(specs: readonly CodeSpec[], code: number | null): boolean {
  if (code === null) return false;
  return specs.some((s) => (s === '4xx' ? code >= 400 && code < 500 : s === '5xx' ? code >= 500 && code < 600 : s === code));
}

function ruleMatches(rule: ClassifyRule, stage: Stage | null, code: number | null, enhanced: string, text: string): boolean {
  if (rule.stages !== undefined && (stage === null || !rule.stages.includes(stage))) return false;
  if (rule.notStages !== undefined && stage !== null && rule.notStages.includes(stage)) return false;
  if (rule.codes !== undefined && !codeMatches(rule.codes, code)) return false;
  if (rule.enhanced !== undefined && !rule.enhanced.test(enhanced)) return false;
  if (rule.text !== undefined && !rule.text.test(text)) return false;
  if (rule.unless !== undefined && rule.unless.test(text)) return false;
  return true;
}

/** The first rule that matches, or null. Exposed for tests and for `--explain`-style debugging. */
export function matchRule(input: ClassifyInput): ClassifyRule | null {
  const stage = typeof input.stage === 'string' && STAGES.has(input.stage) ? input.stage : null;
  const code = validCode(input.code);
  // A reply is at most 64 KiB (smtp/reply.ts DEFAULT_REPLY_LIMITS); cap pasted text the same way so
  // matching time stays bounded whatever a caller passes.
  const raw = typeof input.text === 'string' ? input.text.slice(0, MAX_TEXT) : '';
  const enhanced = enhancedOf(code, input.enhanced, raw) ?? '';
  const text = normaliseText(code, raw);
  for (const rule of RULES) {
    if (ruleMatches(rule, stage, code, enhanced, text)) return rule;
  }
  return null;
}

/** Never throws; always returns a cause in CAUSES. 2xx/3xx -> accepted/none. 4xx -> deferred, 5xx -> rejected, anything else/null -> unknown. */
export function classify(input: ClassifyInput): Classification {
  try {
    const code = validCode(input?.code);
    const outcome = outcomeOf(code);
    if (outcome === 'accepted') return { outcome, cause: 'none', remedy: null, rule: 'accepted' };
    // With no usable code the outcome stays unknown, but the text can still name a cause (log lines
    // such as Exim's "rejected RCPT <x>: relay not permitted" carry no code).
    const rule = matchRule(input);
    const cause: Cause = rule?.cause ?? 'unknown';
    return { outcome, cause, remedy: REMEDIES[cause], rule: rule?.id ?? FALLBACK_RULE_ID };
  } catch {
    // Defensive: a hostile getter on the input object must not take the caller down.
    return { outcome: 'unknown', cause: 'unknown', remedy: REMEDIES.unknown, rule: 'error' };
  }
}
