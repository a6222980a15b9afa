/**
 * Rendering for `mxprobe classify`. Pure: rows in, text out.
 *
 * Reply texts come from servers (or from logs that quote them), so the table strips terminal
 * control characters (escape sequences, CR, bidi overrides) before printing; the JSON form keeps
 * them verbatim (JSON escaping makes them harmless), as results.ts requires.
 */
import type { Explanation } from '../analysis/classify-explain.js';
import type { ClassifyStage } from '../analysis/log-line.js';
import type { Cause, Outcome } from '../results.js';
import { stripControl } from './sanitize.js';

export interface ClassifyRow {
  /** The input exactly as given (argument, or stdin block). */
  reply: string;
  /** 'data' only from classify (a reply to end of DATA); the probe never reaches DATA. */
  stage: ClassifyStage | null;
  outcome: Outcome;
  cause: Cause;
  remedy: string | null;
  /** Parsed reply code and RFC 3463 enhanced code, when the input had them. */
  code: number | null;
  enhanced: string | null;
  /** The parsed reply text (after the code). */
  text: string;
  /** Where `stage` came from: the log line itself, --stage, or nowhere. */
  stageSource: 'log' | 'flag' | 'none';
  /** The classifier rule that decided, for debugging. */
  rule: string;
  /** How sure the classifier is (0..1) and what decided (see analysis/classify.ts). */
  confidence: number;
  decidedBy: string;
  /** Present with `--explain`. */
  explain?: Explanation;
}

/** What `--format json` prints for each input: the documented keys first, details after. */
export function classifyJson(rows: readonly ClassifyRow[]): string {
  const out = rows.map((r) => ({
    reply: r.reply,
    stage: r.stage,
    outcome: r.outcome,
    cause: r.cause,
    remedy: r.remedy,
    code: r.code,
    enhanced: r.enhanced,
    stageSource: r.stageSource,
    rule: r.rule,
    confidence: r.confidence,
    decidedBy: r.decidedBy,
    ...(r.explain === undefined ? {} : { explain: r.explain }),
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** The reply as one printable line: "550 5.7.1 text", lines joined with " / ". */
function replyCell(r: ClassifyRow): string {
  const text = r.text
    .split(/\r?\n/)
    // RFC 2034 §4 repeats the enhanced code on every line; show it once.
    .map((l, i) => (i > 0 && r.enhanced !== null && l.startsWith(`${r.enhanced} `) ? l.slice(r.enhanced.length + 1) : l))
    .map((l) => stripControl(l).trim())
    .filter((l) => l !== '')
    .join(' / ');
  if (r.code === null) return text === '' ? stripControl(r.reply).trim() : text;
  return text === '' ? String(r.code) : `${r.code} ${text}`;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - s.length));
}

/**
 * A table, one row per input, with the remedy on the line under it:
 *
 *   #  STAGE  OUTCOME   CAUSE          REPLY
 *   1  rcpt   rejected  helo-not-fqdn  504 5.5.2 <localhost>: Helo command rejected: ...
 *      remedy: Use a fully-qualified domain name for HELO/EHLO ...
 */
export function renderClassifyTable(rows: readonly ClassifyRow[]): string {
  if (rows.length === 0) return 'No replies to classify.\n';
  const cells = rows.map((r, i) => ({
    n: String(i + 1),
    stage: r.stage ?? '-',
    outcome: r.outcome,
    cause: r.cause,
    reply: replyCell(r),
    remedy: r.remedy,
    explain: r.explain,
  }));
  const head = { n: '#', stage: 'STAGE', outcome: 'OUTCOME', cause: 'CAUSE', reply: 'REPLY' };
  const w = {
    n: Math.max(head.n.length, ...cells.map((c) => c.n.length)),
    stage: Math.max(head.stage.length, ...cells.map((c) => c.stage.length)),
    outcome: Math.max(head.outcome.length, ...cells.map((c) => c.outcome.length)),
    cause: Math.max(head.cause.length, ...cells.map((c) => c.cause.length)),
  };
  const line = (c: { n: string; stage: string; outcome: string; cause: string; reply: string }): string =>
    `${pad(c.n, w.n)}  ${pad(c.stage, w.stage)}  ${pad(c.outcome, w.outcome)}  ${pad(c.cause, w.cause)}  ${c.reply}`.trimEnd();
  const out: string[] = [line(head)];
  for (const c of cells) {
    out.push(line(c));
    if (c.remedy !== null) out.push(`${' '.repeat(w.n)}  remedy: ${c.remedy}`);
    if (c.explain !== undefined) out.push(stripControl(renderExplanation(c.explain), { keepNewlines: true }).trimEnd());
  }
  return `${out.join('\n')}\n`;
}

/** Plain-text rendering, one block per reply (the table format of `classify --explain`). */
export function renderExplanation(e: Explanation): string {
  const d = e.decision;
  const lines: string[] = [];
  const how =
    d.decidedBy === 'rule'
      ? `specific rule ${d.rule}`
      : d.decidedBy === 'model'
        ? `model (p ${d.confidence} >= ${d.modelThreshold})`
        : d.decidedBy === 'generic-rule'
          ? `generic rule ${d.rule} (model below ${d.modelThreshold})`
          : d.decidedBy === 'low-confidence'
            ? `nothing sure enough (best ${d.confidence} < ${d.confidenceFloor}): unknown`
            : 'reply code';
  lines.push(`  decided by: ${how}; cause ${d.cause}, confidence ${d.confidence}`);
  if (e.firstRule !== null) {
    lines.push(`  first rule: ${e.firstRule.id} -> ${e.firstRule.cause} (${e.firstRule.generic ? 'generic' : 'specific'}, corpus precision ${e.firstRule.precision})`);
    lines.push(`    source: ${e.firstRule.source}`);
  } else {
    lines.push('  first rule: none matched');
  }
  if (e.rulesMatched.length > 1) lines.push(`  all rules matched: ${e.rulesMatched.join(', ')}`);
  lines.push(`  model: ${e.modelTop.map((m) => `${m.cause} ${m.p}`).join(', ')}`);
  if (e.textLift !== null) lines.push(`  words lift ${e.textLift.cause} by ${e.textLift.lift} over the codes alone (the model decides a reply no rule knows from ${e.textLift.needed})`);
  if (e.wordWeights.length > 0) lines.push(`  words for ${d.cause}: ${e.wordWeights.map((w) => `${w.feature} ${w.weight > 0 ? '+' : ''}${w.weight}`).join(', ')}`);
  if (e.codeWeights.length > 0) lines.push(`  code features for ${d.cause}: ${e.codeWeights.map((w) => `${w.feature} ${w.weight > 0 ? '+' : ''}${w.weight}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
