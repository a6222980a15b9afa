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
 * --stage / --format or when nothing was given.
 */
import type { Command } from 'commander';
import { classify, type ClassifyInput } from '../analysis/classify.js';
import type { Explanation } from '../analysis/classify-explain.js';
import { parseClassifyInput } from '../analysis/log-line.js';
import { classifyJson, renderClassifyTable, type ClassifyRow } from '../report/classify.js';
import type { Stage } from '../results.js';
import type { CliContext } from './context.js';

export const CLASSIFY_STAGES: readonly Stage[] = ['connect', 'ehlo', 'helo', 'starttls', 'mail', 'rcpt'];
const FORMATS = ['table', 'json'] as const;
type Format = (typeof FORMATS)[number];

/** A reply line, possibly behind a transcript prefix ("S: ", "<<< "): code, then "-", " " or end. */
const REPLY_LINE = /^\s*(?:S:\s*|<<<\s*)?(\d{3})(-|\s|$)/;

/** Split stdin into inputs (rule in the file comment). */
export function splitClassifyInputs(text: string): string[] {
  const inputs: string[] = [];
  let group: string[] | null = null;
  let groupCode = '';
  const flush = (): void => {
    if (group !== null && group.length > 0) inputs.push(group.join('\n'));
    group = null;
  };
  for (const line of text.split(/\r?\n/)) {
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
      groupCode = m[1] as string;
      continue;
    }
    inputs.push(line);
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
export function classifyInputs(inputs: readonly string[], stage: Stage | undefined, explain?: (input: ClassifyInput) => Explanation): ClassifyRow[] {
  return inputs.map((input) => {
    const p = parseClassifyInput(input, stage);
    const ci = { stage: p.stage, code: p.reply.code, enhanced: p.reply.enhanced, text: p.reply.text };
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
  });
}

export function registerClassify(program: Command, ctx: CliContext): void {
  program
    .command('classify')
    .summary('explain why an SMTP reply refused you')
    .description(
      'Classify SMTP replies or Postfix/Exim log lines: outcome, cause (HELO, PTR, blocklist, greylist, ...) and a remedy.\n' +
        'Give each reply as an argument, or "-" to read stdin: one reply or log line per line, replies may be\n' +
        'separated by blank lines, and a multi-line reply ("250-..." lines up to "250 ...") stays together.\n' +
        'A literal "\\n" before a reply code in an argument is read as a line break.',
    )
    .argument('[reply...]', 'SMTP replies or log lines; "-" reads stdin')
    .option('--stage <stage>', `the command the replies answered: ${CLASSIFY_STAGES.join('|')} (a log line's own stage wins)`)
    .option('--format <format>', 'output format: table|json', 'table')
    .option('--explain', 'show why: the rule that fired, the model\'s top causes, the word and code features that weighed most')
    .action(async (replies: string[], opts: { stage?: string; format?: string; explain?: boolean }) => {
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
      const inputs: string[] = [];
      let stdinRead = false;
      for (const r of replies) {
        if (r === '-') {
          if (stdinRead) continue; // stdin can be read once; a second "-" adds nothing
          stdinRead = true;
          // A loop, not push(...items): a mail log of 100k+ lines would overflow the call stack.
          for (const item of splitClassifyInputs(await readAll(ctx.stdin))) inputs.push(item);
        } else if (r.trim() !== '') {
          inputs.push(r);
        }
      }
      const explain = opts.explain === true ? (await import('../analysis/classify-explain.js')).explainClassification : undefined;
      const rows = classifyInputs(inputs, stage as Stage | undefined, explain);
      ctx.stdout.write((format as Format) === 'json' ? classifyJson(rows) : renderClassifyTable(rows));
    });
}
