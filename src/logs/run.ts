/**
 * Read every source in order and fold its lines into one LogAggregator. A source that fails
 * (binary, truncated gzip, unreadable) is recorded with its error after its lines were counted;
 * the others still run. Pure apart from the injected sources.
 */
import { LogAggregator, type AggregateOptions, type LogSummary } from './aggregate.js';
import type { LogFormat } from './events.js';
import { newParseContext } from './parse.js';
import { lineSink, planSplit, type RangeRunner } from './range.js';
import { fileChunks, LogInputError, MAX_LINE, readLines, type LogSource } from './read.js';

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

/** Parallel parse of large plain files (range.ts); without it every source is read on this thread. */
export interface ParallelOptions {
  run: RangeRunner;
  /** Files smaller than this are read on this thread. */
  minBytes: number;
  /**
   * Files larger than this too: each thread holds its own per-message state (messages in flight,
   * up to LIMITS.inFlight) and heap, so peak memory is no longer flat in the log size (10M lines
   * in one 1.2 GB file: 221 MB with two threads, ~130 MB with one).
   */
  maxBytes?: number;
  /** Where to cut a file, as a share of its size (the first range stays here). */
  share?: number;
  /** Told why a planned split was not merged (tests, MXPROBE_LOGS_DEBUG). */
  onFallback?: (file: string, reason: string) => void;
  /**
   * Told when a split was merged, with the worker thread's CPU time and how long this thread waited
   * for it after its own range (MXPROBE_LOGS_DEBUG, the bench: where to cut, see `share`).
   */
  onMerged?: (file: string, workerCpuMs: number | null, waitedMs: number) => void;
}

export async function analyseLogs(sources: readonly LogSource[], opts: LogRunOptions, parallel?: ParallelOptions): Promise<LogRun> {
  const agg = new LogAggregator(opts);
  const files: FileReport[] = [];
  const errors: LogInputError[] = [];
  for (const src of sources) {
    const reference = await src.reference();
    const ctx = newParseContext(opts.format, reference, opts.relay, opts.year);
    const sink = lineSink(ctx, agg);
    const plan = parallel !== undefined && src.path !== undefined ? planSplit(src.path, opts.format, reference, opts.year ?? null, parallel.minBytes, parallel.share, parallel.maxBytes) : null;
    try {
      if (plan !== null && src.path !== undefined && parallel !== undefined) {
        const path = src.path;
        const job = parallel.run({ path, label: src.label, start: plan.boundary, agg: { bucket: opts.bucket, since: opts.since, until: opts.until, ...(opts.examples !== undefined ? { examples: opts.examples } : {}) }, format: opts.format, relay: opts.relay, year: opts.year ?? null, reference: reference.getTime(), yearState: plan.yearState, bloomBits: plan.bloomBits });
        let first: number;
        try {
          first = (await readLines(fileChunks(path, 0, plan.boundary), src.label, sink)).lines;
        } catch (e) {
          job.cancel();
          throw e;
        }
        // The guess the second range started from must be what the first range ended in.
        const [y, m] = ctx.years.state();
        let why: string | null = y !== plan.yearState[0] || m !== plan.yearState[1] ? 'the year state at the cut differs from the guess' : ctx.afterSpaced ? 'an Exim entry may continue across the cut' : null;
        let second = 0;
        if (why === null) {
          const waitFrom = performance.now();
          const r = await job.result;
          const waited = performance.now() - waitFrom;
          if (!r.ok) why = `range failed: ${r.reason}`;
          else {
            why = agg.mergeRefusal(r.snapshot);
            if (why === null && agg.mergeRange(r.snapshot)) {
              second = r.lines;
              parallel.onMerged?.(src.label, r.cpuMs, Math.round(waited));
            }
          }
        } else job.cancel();
        if (why !== null) {
          parallel.onFallback?.(src.label, why);
          // Count the second range here, from the state the first one left: the sequential result.
          second = (await readLines(fileChunks(path, plan.boundary), src.label, sink, MAX_LINE, { fileStart: false, linesBefore: first })).lines;
        }
        files.push({ file: src.label, lines: first + second, gzip: false, error: null });
        continue;
      }
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
