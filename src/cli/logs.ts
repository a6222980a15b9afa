/**
 * `mxprobe logs [files...]`: what receivers did to our mail and what our receivers did to clients'
 * HELOs, read from Postfix / Exim / journald / Rspamd / SpamAssassin logs. Streams every file.
 *
 * Exit codes: 0 report written; 1 nothing in the input could be read as a mail log (an empty report
 * would look like "all fine"); 2 usage error, or a source was refused or broke off (binary file,
 * truncated gzip, unreadable): the report for everything read, including that source's lines before
 * the break, is still written, and stderr names the file.
 */
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Option, type Command } from 'commander';
import type { Bucket } from '../logs/aggregate.js';
import { LOG_FORMATS, type LogFormat } from '../logs/events.js';
import { fileSource, orderRotated, streamSource, type LogSource } from '../logs/read.js';
import { threadCpuMs } from '../logs/range.js';
import { analyseLogs, type ParallelOptions } from '../logs/run.js';
import { heloPtrTargets, targetsFileText } from '../logs/targets.js';
import { stripControl } from '../report/sanitize.js';
import type { CliContext } from './context.js';
import { writeReportFile } from './output.js';
import { outputPathProblem, sameFileOrPath } from './output-path.js';

const FORMATS = ['table', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

interface LogsFlags {
  logFormat: string;
  format?: string;
  bucket: string;
  since?: string;
  until?: string;
  relay?: string;
  year?: string;
  top: string;
  emitTargets?: string;
  output?: string;
}

/** The format implied by -o's extension, as `report -o` does: `-o logs.html` needs no --format. */
function formatFromPath(path: string | undefined): Format | 'ndjson' | null {
  if (path === undefined) return null;
  if (/\.html?$/i.test(path)) return 'html';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.txt$/i.test(path)) return 'table';
  // There is no NDJSON form: a table in a file named .ndjson would be read by a script as NDJSON.
  if (/\.(ndjson|jsonl)$/i.test(path)) return 'ndjson';
  return null;
}

/**
 * --since/--until: an ISO 8601 date or date-time (a date alone is midnight UTC; a date-time without
 * a zone is UTC, like the log stamps we read without one), or a duration back from now ("36h", "7d").
 */
export function parseWhen(v: string, now: number): number | null {
  const d = /^(\d+)([mhd])$/.exec(v.trim());
  if (d) return now - Number(d[1]) * ({ m: 60_000, h: 3_600_000, d: 86_400_000 } as const)[d[2] as 'm' | 'h' | 'd'];
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(v.trim());
  if (m === null) return null;
  // Date.parse rolls a day past the month's end over ("2026-02-30" was 2 March): a date that is not
  // in the calendar is a typo to report, not a window to guess. 24:00 is ISO 8601's end of day only.
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  if (m[4] === '24' && (m[5] !== '00' || (m[6] !== undefined && m[6] !== '00'))) return null;
  let s = v.trim().replace(' ', 'T');
  if (s.length === 10) s += 'T00:00:00Z';
  else if (!/(?:Z|[+-]\d{2}:?\d{2})$/.test(s)) s += 'Z';
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .summary('acceptance, refusal causes and HELO checks from real mail logs')
    .description(
      'Read mail logs (Postfix syslog / RFC 3339 / journalctl -o json|short-iso, Exim mainlog, Rspamd, spamd; plain or .gz, "-" for stdin)\n' +
        'and report: per relay and destination acceptance with refusals classified by cause (HELO and reverse-DNS causes marked),\n' +
        'inbound rejections by HELO check, HELO names seen, hostname-related spam-filter symbols, and a trend over time.\n' +
        'Rotated sets (mail.log mail.log.1 mail.log.2.gz) are read oldest first.',
    )
    .argument('[files...]', 'log files; "-" reads stdin')
    .option('--log-format <format>', `force one input format: ${LOG_FORMATS.join('|')}`, 'auto')
    .option('--format <format>', 'output: table|json|csv|html (default: from -o extension, else table)')
    .option('--bucket <size>', 'trend bucket: hour|day', 'hour')
    .option('--since <when>', 'only events at or after: ISO date/date-time (UTC when no zone) or a duration back from now (36h, 7d)')
    .option('--until <when>', 'only events before (same forms as --since)')
    .option('--relay <name>', 'relay name for logs without a host field (Exim mainlog, Rspamd log); default: this host')
    .option('--year <yyyy>', 'year of classic syslog stamps (default: inferred from each file\'s modification time, wraps handled)')
    // The value stays a string (checked below, as before); the help shows the default as the
    // number it is, not "20" quoted like a word.
    .addOption(new Option('--top <n>', 'rows per section in table/html output').default('20', '20'))
    .option('--emit-targets <file>', 'write the destinations that refused us for HELO or reverse-DNS reasons as a targets file for mxprobe probe -f')
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .action(async (files: string[], flags: LogsFlags) => {
      const usage = (m: string): void => {
        ctx.stderr.write(`mxprobe logs: ${m}\n`);
        ctx.setExitCode(2);
      };
      if (!(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) return usage(`invalid --log-format ${JSON.stringify(flags.logFormat)}: expected one of ${LOG_FORMATS.join(', ')}`);
      if (flags.format !== undefined && !(FORMATS as readonly string[]).includes(flags.format)) return usage(`invalid --format ${JSON.stringify(flags.format)}: expected table, json, csv or html`);
      if (flags.output !== undefined && flags.output.trim() === '') return usage('-o/--output needs a file name');
      const implied = formatFromPath(flags.output);
      if (flags.format === undefined && implied === 'ndjson') return usage(`-o ${flags.output}: logs does not write NDJSON; it writes table, json, csv or html (name the file .json, or pass --format)`);
      if (flags.bucket !== 'hour' && flags.bucket !== 'day') return usage(`invalid --bucket ${JSON.stringify(flags.bucket)}: expected hour or day`);
      const top = Number(flags.top);
      if (!Number.isInteger(top) || top < 1 || top > 100_000) return usage(`invalid --top ${JSON.stringify(flags.top)}: expected a whole number from 1`);
      let year: number | undefined;
      if (flags.year !== undefined) {
        year = Number(flags.year);
        if (!/^\d{4}$/.test(flags.year) || year < 1970) return usage(`invalid --year ${JSON.stringify(flags.year)}: expected a four-digit year`);
      }
      const now = Date.now();
      const since = flags.since === undefined ? null : parseWhen(flags.since, now);
      if (flags.since !== undefined && since === null) return usage(`invalid --since ${JSON.stringify(flags.since)}: expected an ISO date/date-time or a duration like 36h or 7d`);
      const until = flags.until === undefined ? null : parseWhen(flags.until, now);
      if (flags.until !== undefined && until === null) return usage(`invalid --until ${JSON.stringify(flags.until)}: expected an ISO date/date-time or a duration like 36h or 7d`);
      if (since !== null && until !== null && until <= since) return usage('--until must be later than --since');
      if (files.length === 0) return usage('no log given: pass log files (mail.log, mail.log.1, mail.log.2.gz), or "-" to read stdin');
      if (files.filter((f) => f === '-').length > 1) return usage('"-" (stdin) can be given once');
      // Said before the logs are read: an empty name (an unset variable) failed only at the end, as
      // "cannot write --emit-targets : EISDIR" after the whole report.
      if (flags.emitTargets !== undefined && flags.emitTargets.trim() === '') return usage('--emit-targets needs a file name');
      if (flags.emitTargets !== undefined) {
        // Checked before the logs are read, not after: a path that cannot be written failed only at
        // the end of the whole report (found by qa8), and a log named as --emit-targets was read,
        // then overwritten with the targets list.
        const problem = await outputPathProblem(resolve(ctx.cwd, flags.emitTargets), files.filter((f) => f !== '-').map((f) => resolve(ctx.cwd, f)), 'the logs being read');
        if (problem !== null) return usage(`cannot write --emit-targets ${flags.emitTargets}: ${problem}`);
      }
      if (flags.output !== undefined) {
        // Checked before the logs are read, as --emit-targets is: a report that cannot be written
        // should cost nothing, and `logs mail.log -o mail.log` would replace the log with its report.
        const path = resolve(ctx.cwd, flags.output);
        const problem = await outputPathProblem(path, files.filter((f) => f !== '-').map((f) => resolve(ctx.cwd, f)), 'the logs being read');
        if (problem !== null) return usage(`cannot write -o ${flags.output}: ${problem}`);
        // Both written at the end: the report would overwrite the targets list (or the reverse).
        if (flags.emitTargets !== undefined && sameFileOrPath(path, resolve(ctx.cwd, flags.emitTargets))) {
          return usage(`-o ${flags.output} is also the --emit-targets file: write the report elsewhere`);
        }
      }
      if (flags.relay !== undefined && (flags.relay === '' || /[\s\0-\x1f]/.test(flags.relay))) return usage('--relay must be a non-empty name without spaces or control characters');

      // V8 first runs a regex on bytecode and compiles it to machine code when it runs again: the
      // classifier's rules are large alternations (up to 2,400 characters, case-insensitive), and
      // a reply no specific rule matches runs all of them, which cost ~50 ms of bytecode compiling
      // and peephole optimising here against ~25 ms compiled straight to machine code; the parser's
      // regexes run thousands of times and were compiled twice. Same matches either way (only how
      // the regex is compiled changes); process-wide, so the worker thread has it too.
      setFlagsFromString('--no-regexp-tier-up');
      const sources: LogSource[] = orderRotated(files).map((f) => (f === '-' ? streamSource('-', ctx.stdin as AsyncIterable<unknown>) : fileSource(f, ctx.cwd)));
      // With MXPROBE_LOGS_THREADS=2 a plain file of 16 to 256 MiB is read in two ranges, the second in
      // a worker thread (src/logs/range.ts), same output. Opt-in: on a 2-core machine one thread is
      // not slower (lead, quiet, 1M lines: 0.85 s wall / 1.09 s CPU against 1.20 s / 1.88 s), because
      // the one-thread run already keeps the second core busy with V8's optimising compiler and GC,
      // and a second isolate repeats all of its fixed work: bootstrap, module compile, classifier
      // regexes, optimising compiles (1.65 G more instructions on 200k lines, valgrind: the extra is
      // that fixed work, not per line). See bench/results/logs-2026-12-01-logsfast4.md.
      let parallel: ParallelOptions | undefined;
      if (ctx.env['MXPROBE_LOGS_THREADS'] === '2') {
        const { threadRange } = await import('../logs/range-thread.js');
        // MXPROBE_LOGS_SPLIT_MIN (bytes) lowers the size for tests. The first range is the larger:
        // this thread starts first (the worker thread begins ~0.1 s later, after its own bootstrap and
        // module compile); its merge and rendering are shorter than that (thread CPU, 1M lines: main
        // 760-840 ms with start-up, merge and output at 0.52, worker 770-880 ms).
        const min = Number(ctx.env['MXPROBE_LOGS_SPLIT_MIN']);
        // Up to 256 MiB (~2M lines): peak RSS 138 MB at 2M lines with two threads; above, one thread
        // keeps memory flat (the 150 MB goal), see ParallelOptions.maxBytes.
        parallel = { run: threadRange, minBytes: Number.isInteger(min) && min >= 0 ? min : 16 * 1024 * 1024, maxBytes: 256 * 1024 * 1024, share: 0.56 };
        if (ctx.env['MXPROBE_LOGS_DEBUG'] === '1') {
          parallel.onFallback = (f, why) => void ctx.stderr.write(`mxprobe logs: ${stripControl(f)}: read on one thread: ${why}\n`);
          parallel.onMerged = (f, ms, waited) => void ctx.stderr.write(`mxprobe logs: ${stripControl(f)}: second range merged (worker thread CPU ${ms} ms; waited for it ${waited} ms)\n`);
        }
      }
      const run = await analyseLogs(sources, {
        format: flags.logFormat as LogFormat,
        relay: flags.relay ?? hostname(),
        bucket: flags.bucket as Bucket,
        since,
        until,
        ...(year !== undefined ? { year } : {}),
      }, parallel);

      let targetsFile: string | null = null;
      if (flags.emitTargets !== undefined) {
        const path = resolve(ctx.cwd, flags.emitTargets);
        try {
          await writeFile(path, targetsFileText(heloPtrTargets(run.summary)));
          targetsFile = flags.emitTargets;
        } catch (e) {
          ctx.stderr.write(`mxprobe logs: cannot write --emit-targets ${flags.emitTargets}: ${(e as Error).message}\n`);
          ctx.setExitCode(2);
        }
      }
      const format = (flags.format ?? implied ?? 'table') as Format;
      // Only the renderer asked for is loaded (the HTML one pulls in the probe report's styles):
      // start-up is a fixed cost of every run, and `mxprobe logs` is measured against pflogsumm.
      const out =
        format === 'json'
          ? (await import('../report/logs-json.js')).renderLogsJson(run, { targetsFile })
          : format === 'csv'
            ? (await import('../report/logs-csv.js')).renderLogsCsv(run)
            : format === 'html'
              ? (await import('../report/logs-html.js')).renderLogsHtml(run, { top, targetsFile })
              : (await import('../report/logs-table.js')).renderLogsTable(run, { top, targetsFile });
      if (flags.output !== undefined) {
        try {
          await writeReportFile(flags.output, resolve(ctx.cwd, flags.output), out);
        } catch (e) {
          // Disk full or unwritable after the check: the sources' own errors first, then the
          // one line naming the lost report (exit 5).
          for (const er of run.errors) ctx.stderr.write(`mxprobe logs: ${stripControl(er.message)}\n`);
          throw e;
        }
      } else {
        ctx.stdout.write(out);
      }
      if (ctx.env['MXPROBE_LOGS_DEBUG'] === '1') ctx.stderr.write(`mxprobe logs: main thread CPU ${threadCpuMs()} ms\n`);
      for (const e of run.errors) ctx.stderr.write(`mxprobe logs: ${stripControl(e.message)}\n`);
      if (run.errors.length > 0) {
        ctx.setExitCode(2);
        return;
      }
      if (run.summary.lines.total > 0 && run.summary.lines.parsed === 0) {
        ctx.stderr.write(`mxprobe logs: inconclusive: none of the ${run.summary.lines.total} line(s) is in a mail-log format mxprobe reads (see "unparsed"; --log-format forces one)\n`);
        ctx.setExitCode(1);
      }
    });
}
