/**
 * Read every source in order and fold its lines into one LogAggregator. A source that fails
 * (binary, truncated gzip, unreadable) is recorded with its error after its lines were counted;
 * the others still run. Pure apart from the injected sources.
 */
import { LogAggregator, type AggregateOptions, type LogSummary } from './aggregate.js';
import type { LogFormat } from './events.js';
import { fastLine } from './fast.js';
import { newParseContext, parseLine } from './parse.js';
import { LogInputError, readLines, type LogSource } from './read.js';

export interface FileReport {
  file: string;
  lines: number;
  gzip: boolean;
  /** Set when the file failed; its lines before the failure are counted. */
  error: { problem: string; message: string } | null;
}

export interface LogRun {
  summary: LogSummary;
  files: FileReport[];
  errors: LogInputError[];
}

export interface LogRunOptions extends AggregateOptions {
  format: LogFormat;
  /** Relay name for logs without a host field (Exim mainlog, Rspamd's own log). */
  relay: string;
  /** Year for classic syslog stamps; default: inferred from each file's mtime. */
  year?: number;
}

export async function analyseLogs(sources: readonly LogSource[], opts: LogRunOptions): Promise<LogRun> {
  const agg = new LogAggregator(opts);
  const files: FileReport[] = [];
  const errors: LogInputError[] = [];
  for (const src of sources) {
    const ctx = newParseContext(opts.format, await src.reference(), opts.relay, opts.year);
    const sink = {
      line(text: string, s: number, e: number): void {
        if (fastLine(text, s, e, ctx, agg)) return;
        const line = text.slice(s, e);
        agg.add(parseLine(line, ctx), line);
      },
      capped(): void {
        agg.noteCapped();
      },
    };
    try {
      const r = await readLines(src.open(), src.label, sink);
      files.push({ file: src.label, lines: r.lines, gzip: r.gzip, error: null });
    } catch (e) {
      const err = e instanceof LogInputError ? e : new LogInputError('unreadable', src.label, 0, `${src.label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      errors.push(err);
      files.push({ file: src.label, lines: err.linesRead, gzip: err.problem.endsWith('gzip'), error: { problem: err.problem, message: err.message } });
    }
  }
  return { summary: agg.summary(), files, errors };
}
