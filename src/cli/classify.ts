/**
 * `mxprobe classify [reply...]` / `mxprobe classify -`: say why a receiver refused, from a pasted
 * reply or a Postfix/Exim log line, without connecting anywhere.
 *
 * Input rule for stdin (see splitClassifyInputs):
 *   every non-blank line is one input (one reply, or one log line), EXCEPT that a line starting with
 *   "NNN-" (RFC 5321 §4.2.1: more lines follow) opens a multi-line reply that takes the following
 *   lines up to and including the first "NNN " line. A blank line, or a line that is not a reply
 *   line, ends an unfinished multi-line reply early. So replies may be separated by blank lines or
 *   simply written one per line, and a pasted "250-..\n250 .." stays together.
 * Each command-line argument is one input ("-" stands for everything on stdin).
 *
 * Exit codes: 0 after classifying (whatever the causes are: classifying is not probing), 2 for a bad
 * --stage / --format, when nothing was given, or when some input is neither an SMTP reply nor a
 * known log line: those are refused (an "unknown" row with a "retry later" remedy for random bytes
 * would be a wrong answer), the valid inputs beside them are still classified and printed, and
 * stderr says how many inputs were refused and where the first one is.
 */
import type { Command } from 'commander';
import { classify, type ClassifyInput } from '../analysis/classify.js';
import type { Explanation } from '../analysis/classify-explain.js';
import { parseClassifyLine, TRANSCRIPT_PREFIX, type ClassifyStage } from '../analysis/log-line.js';
import { classifyJson, renderClassifyTable, type ClassifyRow } from '../report/classify.js';
import { stripControl } from '../report/sanitize.js';
import type { CliContext } from './context.js';

export const CLASSIFY_STAGES: readonly ClassifyStage[] = ['connect', 'ehlo', 'helo', 'starttls', 'mail', 'rcpt', 'data'];
const FORMATS = ['table', 'json'] as const;
type Format = (typeof FORMATS)[number];

/**
 * A reply line, possibly behind a transcript prefix: code, then "-", " " or end. The prefixes are the parser's own
 * (TRANSCRIPT_PREFIX): this list once knew only "S: " and "<<< ", so a swaks multi-line reply ("<** 550-...",
 * "<** 550 ...") was split into one input per line and its last line classified without the words above it.
 */
const REPLY_LINE = new RegExp(`^\\s*(?:${TRANSCRIPT_PREFIX.source.replace(/^\^/, '')})?(\\d{3})(-|\\s|$)`);

/** Split stdin into inputs (rule in the file comment). */
export function splitClassifyInputs(text: string): string[] {
  return splitClassifyInputsAt(text).map((i) => i.text);
}

/** One input and the 1-based stdin line it starts on (for "stdin:LINE" in error messages). */
export interface LocatedInput { text: string; line: number }

export function splitClassifyInputsAt(text: string): LocatedInput[] {
  const inputs: LocatedInput[] = [];
  let group: string[] | null = null;
  let groupLine = 0;
  let groupCode = '';
  let lineNo = 0;
  const flush = (): void => {
    if (group !== null && group.length > 0) inputs.push({ text: group.join('\n'), line: groupLine });
    group = null;
  };
  for (const line of text.split(/\r?\n/)) {
    lineNo++;
    if (line.trim() === '') {
      flush();
      continue;
    }
    const m = REPLY_LINE.exec(line);
    if (group !== null) {
      if (m && m[1] === groupCode) {
        group.push(line);
        if (m[2] !== '-') flush();
        continue;
      }
      flush(); // not a continuation: the unfinished reply stands as it is
    }
    if (m && m[2] === '-') {
      group = [line];
      groupLine = lineNo;
      groupCode = m[1] as string;
      continue;
    }
    inputs.push({ text: line, line: lineNo });
  }
  flush();
  return inputs;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function usage(ctx: CliContext, message: string): void {
  ctx.stderr.write(`mxprobe classify: ${message}\n`);
  ctx.setExitCode(2);
}

/** Classify inputs (pure; the CLI and tests share it). */
/**
 * `explain` is the explainer (classify-explain.ts), loaded by the action only with --explain so a
 * plain `mxprobe classify` does not pay for it at start-up.
 */
export function classifyInputs(inputs: readonly string[], stage: ClassifyStage | undefined, explain?: (input: ClassifyInput) => Explanation): ClassifyRow[] {
  return inputs.map((input) => classifyOne(input, parseClassifyLine(input, stage), explain));
}

function classifyOne(input: string, p: ReturnType<typeof parseClassifyLine>, explain?: (input: ClassifyInput) => Explanation): ClassifyRow {
  // The classifier's rules and model are keyed on the probe's stages; DATA is not one of them, so
  // a DATA reply is judged on its code and text alone (the row still says stage data).
  const ci = { stage: p.stage === 'data' ? null : p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text };
  const c = classify(ci);
  return {
    reply: input,
    stage: p.stage,
    outcome: c.outcome,
    cause: c.cause,
    remedy: c.remedy,
    code: p.reply.code,
    enhanced: p.reply.enhanced,
    text: p.reply.text,
    stageSource: p.stageSource,
    rule: c.rule,
    confidence: c.confidence,
    decidedBy: c.decidedBy,
    ...(explain !== undefined ? { explain: explain(ci) } : {}),
  };
}

/** A short, terminal-safe quote of a refused input for the error line. */
function quote(text: string): string {
  const one = stripControl(text.replace(/\r?\n/g, ' ')).trim();
  return JSON.stringify(one.length > 60 ? `${one.slice(0, 60)}...` : one);
}

export function registerClassify(program: Command, ctx: CliContext): void {
  program
    .command('classify')
    .summary('explain why an SMTP reply refused you')
    .description(
      'Classify SMTP replies or Postfix/Exim log lines: outcome, cause (HELO, PTR, blocklist, greylist, ...) and a remedy.\n' +
        'Give each reply as an argument, or "-" to read stdin: one reply or log line per line, replies may be\n' +
        'separated by blank lines, and a multi-line reply ("250-..." lines up to "250 ...") stays together.\n' +
        'A literal "\\n" before a reply code in an argument is read as a line break.\n' +
        'Input that is neither an SMTP reply nor a Postfix/Exim log line is refused (exit 2); valid inputs beside it are still classified.',
    )
    .argument('[reply...]', 'SMTP replies or log lines; "-" reads stdin')
    .option('--stage <stage>', `the command the replies answered: ${CLASSIFY_STAGES.join('|')} (a log line's own stage wins)`)
    .option('--format <format>', 'output format: table|json', 'table')
    .option('--explain', 'show why: the rule that fired, the model\'s top causes, the word and code features that weighed most')
    .action(async (replies: string[], opts: ClassifyOptions) => runClassify(replies, opts, ctx));
}

/** The options of `mxprobe classify`, as commander gives them to the action. */
export interface ClassifyOptions {
  stage?: string;
  format?: string;
  explain?: boolean;
}

/**
 * The arguments after `classify`, read without commander for the plain forms: replies (a word not
 * starting with "-", or "-" itself), `--explain`, `--stage V`/`--stage=V`, `--format V`/`--format=V`,
 * each option at most once. Anything else (help, "--", an unknown or repeated option, a value that
 * starts with "-", an option without its value) gives null, and commander reads the command line as it
 * always did. Why: importing commander was a fifth of a one-reply `mxprobe classify` (issue 13 part 2:
 * shell loops pay start-up per reply); test/cli/classify-args.test.ts checks that both readings agree.
 */
export function parseClassifyArgs(args: readonly string[]): { replies: string[]; opts: ClassifyOptions } | null {
  const replies: string[] = [];
  const opts: ClassifyOptions = { format: 'table' };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-' || !a.startsWith('-')) {
      replies.push(a);
      continue;
    }
    if (a === '--explain') {
      if (seen.has(a)) return null;
      seen.add(a);
      opts.explain = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if ((name !== '--stage' && name !== '--format') || seen.has(name)) return null;
    seen.add(name);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return null;
      value = next;
      i++;
    }
    if (name === '--stage') opts.stage = value;
    else opts.format = value;
  }
  return { replies, opts };
}

/** `mxprobe classify`'s action: commander's, and main.ts's when parseClassifyArgs read the arguments. */
export async function runClassify(replies: string[], opts: ClassifyOptions, ctx: CliContext): Promise<void> {
  const stage = opts.stage;
  if (stage !== undefined && !(CLASSIFY_STAGES as readonly string[]).includes(stage)) {
    usage(ctx, `invalid --stage ${JSON.stringify(stage)}: expected one of ${CLASSIFY_STAGES.join(', ')}`);
    return;
  }
  const format = opts.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    usage(ctx, `invalid --format ${JSON.stringify(format)}: expected table or json`);
    return;
  }
  if (replies.length === 0) {
    usage(ctx, 'no reply given: pass replies as arguments, or "-" to read them from stdin');
    return;
  }
  const inputs: { text: string; where: string }[] = [];
  let stdinRead = false;
  for (const [i, r] of replies.entries()) {
    if (r === '-') {
      if (stdinRead) continue; // stdin can be read once; a second "-" adds nothing
      stdinRead = true;
      // A loop, not push(...items): a mail log of 100k+ lines would overflow the call stack.
      for (const item of splitClassifyInputsAt(await readAll(ctx.stdin))) inputs.push({ text: item.text, where: `stdin:${item.line}` });
    } else if (r.trim() === '') {
      // `classify "$reply"` with an unset variable: nothing was classified, which exit 0 and
      // "No replies to classify." hid from the script.
      usage(ctx, `argument ${i + 1} is empty: pass a reply, or "-" to read them from stdin`);
      return;
    } else {
      inputs.push({ text: r, where: `argument ${i + 1}` });
    }
  }
  const explain = opts.explain === true ? (await import('../analysis/classify-explain.js')).explainClassification : undefined;
  const rows: ClassifyRow[] = [];
  let refused = 0;
  let firstRefused: { text: string; where: string } | null = null;
  for (const input of inputs) {
    const p = parseClassifyLine(input.text, stage as ClassifyStage | undefined);
    if (p.kind === 'none') {
      refused++;
      firstRefused ??= input;
      continue;
    }
    rows.push(classifyOne(input.text, p, explain));
  }
  if (refused > 0 && firstRefused !== null) {
    const what = `${refused} of ${inputs.length} input${inputs.length === 1 ? '' : 's'} ${refused === 1 ? 'is' : 'are'} not an SMTP reply (RFC 5321 §4.2: a 2xx-5xx code first) or a known Postfix/Exim log line`;
    const first = `first at ${firstRefused.where}: ${quote(firstRefused.text)}`;
    if (rows.length === 0) {
      usage(ctx, `refused: ${what}; nothing classified (${first})`);
      return;
    }
    ctx.stderr.write(`mxprobe classify: ${what}; skipped them and classified the other ${rows.length} (${first})\n`);
    ctx.setExitCode(2);
  }
  ctx.stdout.write((format as Format) === 'json' ? classifyJson(rows) : renderClassifyTable(rows));
}
