/**
 * `mxprobe report <results.json|results.ndjson>`: re-render saved results (html, table, csv, json)
 * and optionally enforce an audit policy for CI (`--fail-on`, `--policy`): exit 3 on violations.
 *
 * Nothing is probed again; the renderers are pure functions of the saved results.
 */
import { sameFile } from '../io/same-file.js';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { readSmallTextFile } from '../io/small-file.js';
import type { RunResult } from '../results.js';
import { assertHostRulesCheckable, assertIdentityRulesCheckable, evaluatePolicy, formatUnjudged, formatViolations, unjudgedTargetPolicy, parsePolicy, parsePolicyFile, POLICY_RULES_HELP, type PolicyRule } from '../analysis/policy.js';
import { loadResultsForCli } from './results-input.js';
import { renderHtml } from '../report/html.js';
import { renderCsv } from '../report/csv.js';
import { renderTable } from '../report/table.js';
import { renderJson } from '../report/json.js';
import { tableWidth, writeReportFile } from './output.js';
import { colorAllowed } from './color.js';

export type ReportFormat = 'html' | 'table' | 'csv' | 'json';
const FORMATS: readonly ReportFormat[] = ['html', 'table', 'csv', 'json'];

interface ReportFlags {
  format?: ReportFormat;
  output?: string;
  failOn?: string[];
  policy?: string[];
  color?: boolean;
  now?: string;
}

/** The format implied by the output file's extension, so `-o report.html` needs no --format. */
function formatFromPath(path: string | undefined): ReportFormat | null {
  if (path === undefined) return null;
  if (/\.html?$/i.test(path)) return 'html';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.txt$/i.test(path)) return 'table';
  // NDJSON is what `probe -o` writes; report renders a whole run and has no NDJSON form. Falling
  // through to the table would put text into a file a script will read as NDJSON.
  if (/\.(ndjson|jsonl)$/i.test(path)) {
    throw new UsageError(`-o ${path}: report does not write NDJSON; it writes html, table, csv or json (name the file .json, or pass --format)`);
  }
  return null;
}

function render(run: RunResult, format: ReportFormat, notes: string[], color: boolean, width?: number): string {
  switch (format) {
    case 'html':
      return renderHtml(run, { notes });
    case 'csv':
      return renderCsv(run.targets);
    case 'json':
      return renderJson(run);
    case 'table':
      // The table says it too, not only the HTML page and stderr (the first note is fixed text;
      // the warnings name files and are on stderr already).
      return renderTable(run, { color, ...(width !== undefined ? { width } : {}) }) + (notes.length > 0 ? `\n${notes[0]}\n` : '');
  }
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * The probe-time check (policy.ts assertHostRulesCheckable / assertIdentityRulesCheckable) applied
 * to the options the results file recorded: `cert-invalid` over a run made with --no-starttls
 * passed with exit 0. Options an older file does not carry are not guessed: that rule is let be.
 */
function assertRulesFitRecordedRun(rules: PolicyRule[], options: Record<string, unknown> | undefined, file: string): void {
  try {
    const { stopAfter, starttls, implicitTls, alignment, identities, customIdentities } = options ?? {};
    if (typeof stopAfter === 'string' && typeof starttls === 'boolean' && typeof alignment === 'boolean') {
      assertHostRulesCheckable(rules, { stopAfter, starttls, implicitTls: implicitTls === true, alignment });
    }
    if (Array.isArray(identities) && identities.every((k) => typeof k === 'string')) {
      const custom = Array.isArray(customIdentities) && customIdentities.length > 0 ? ['custom'] : [];
      assertIdentityRulesCheckable(rules, [...(identities as string[]), ...custom]);
    }
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${file} was recorded without what the rule needs: ${e.message}`);
    throw e;
  }
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('render saved results (--format json or ndjson output) as html, table, csv or json; enforce an audit policy')
    .argument('<results>', 'results file: .json (RunResult) or .ndjson (an interrupted run is accepted)')
    .addOption(new Option('-f, --format <format>', 'output format (default: from -o extension, else table)').choices(FORMATS))
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .option('--fail-on <rules>', 'comma-separated policy rules; exit 3 when any is violated (repeatable)', collect)
    .option('--policy <file>', 'policy file: one rule per line, # comments (repeatable)', collect)
    .option('--no-color', 'no ANSI colour in the table')
    .addOption(new Option('--now <iso-date>', 'evaluate certificate expiry as of this time (reproducible CI)').hideHelp())
    .addHelpText('after', `\nPolicy rules:\n  ${POLICY_RULES_HELP.join('\n  ')}\n\nExit codes: 0 ok, 2 unreadable results or bad policy, 3 policy violated.\n`)
    .action(async (file: string, flags: ReportFlags) => {
      if (flags.output !== undefined && flags.output.trim() === '') throw new UsageError('-o/--output: empty file name');
      // `report run.json -o run.json` replaced the results with their rendering (a table, a page, or
      // JSON without what the loader merged or noted): the one copy of a run, gone. Same device and
      // inode, so a symlink counts too.
      if (flags.output !== undefined && sameFile(resolve(ctx.cwd, flags.output), resolve(ctx.cwd, file))) {
        throw new UsageError(`-o ${flags.output} is the results file being read: write the report elsewhere`);
      }
      // Parse the policy first: a typo in --fail-on should fail before any output is written.
      const rules: PolicyRule[] = [];
      for (const spec of flags.failOn ?? []) rules.push(...parsePolicy(spec));
      for (const p of flags.policy ?? []) {
        // '' resolved to the working directory: "cannot read …: EISDIR" did not say what was wrong.
        if (p.trim() === '') throw new UsageError('--policy: empty path');
        const text = readSmallTextFile(resolve(ctx.cwd, p), '--policy');
        const fromFile = parsePolicyFile(text, p);
        // Allowed (a policy file committed before its rules), but said: exit 0 then audits nothing.
        if (fromFile.length === 0) ctx.stderr.write(`mxprobe: warning: --policy ${p} has no rules (only comments and blank lines): nothing is audited\n`);
        rules.push(...fromFile);
      }
      let now = new Date();
      if (flags.now !== undefined) {
        now = new Date(flags.now);
        if (Number.isNaN(now.getTime())) throw new UsageError(`--now: not a date: ${flags.now}`);
      }

      // Decided before the results are read: a usage error costs nothing.
      const format = flags.format ?? formatFromPath(flags.output) ?? 'table';
      const loaded = await loadResultsForCli(ctx, file);
      if (loaded === null) return;
      if (rules.length > 0) assertRulesFitRecordedRun(rules, loaded.run.options, file);

      const color = colorAllowed(flags.color, ctx.env) && flags.output === undefined && (ctx.stdout as { isTTY?: boolean }).isTTY === true;
      const notes = loaded.interrupted ? ['Interrupted run: these results are partial.', ...loaded.warnings] : [];
      const text = render(loaded.run, format, notes, color, tableWidth(ctx.stdout, ctx.env, flags.output !== undefined));
      if (flags.output !== undefined) {
        await writeReportFile(flags.output, resolve(ctx.cwd, flags.output), text);
      } else {
        ctx.stdout.write(text);
      }

      if (rules.length > 0) {
        const violations = evaluatePolicy(loaded.run, rules, now);
        const unjudged = loaded.run.targets.flatMap((t) => unjudgedTargetPolicy(t, rules));
        if (violations.length > 0) {
          // stderr, so a report on stdout stays clean when piped.
          ctx.stderr.write(formatViolations(violations));
          if (unjudged.length > 0) ctx.stderr.write(formatUnjudged(unjudged));
          ctx.stderr.write(`mxprobe: ${violations.length} policy violation${violations.length === 1 ? '' : 's'}\n`);
          ctx.setExitCode(3);
          return;
        }
        // A rule a failed DNS lookup left unjudged is no pass: inconclusive, exit 1 (as probe).
        if (unjudged.length > 0) {
          ctx.stderr.write(formatUnjudged(unjudged));
          ctx.stderr.write(`mxprobe: ${unjudged.length} policy check${unjudged.length === 1 ? '' : 's'} not judged\n`);
          ctx.setExitCode(1);
          return;
        }
      }
      ctx.setExitCode(0);
    });
}
