/**
 * The `probe` side of the store and metrics: `--store`, `--metrics-file`, `--metrics-per-host`.
 * Kept out of probe.ts so that file only gains a flag block and four calls.
 *
 * The store is opened (and migrated, and proven writable) before any probing starts, so a wrong
 * URL, an unreachable server, bad credentials or a read-only/corrupt file stop the run at once
 * (exit 2). A failure later warns once and the run goes on: the results output is unaffected, and
 * the exit code is at least 1 (the store lost part of the run).
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import type { HostResult, Summary, TargetResult } from '../results.js';
import { MetricsCollector } from '../store/metrics.js';
import { storeSpec } from '../store/open.js';
import type { StoreSink } from '../store/sink.js';
import { StoreError, type HostTarget, type Store } from '../store/types.js';
import { workerModule, WorkerSink } from '../store/worker-sink.js';
import { ndjsonHost, ndjsonTarget } from '../report/json.js';

export interface StoreFlags {
  store?: string;
  metricsFile?: string;
  metricsPerHost?: boolean;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--store <url>', 'also write the run into a store: sqlite:PATH, PATH.db or postgres://… (default $MXPROBE_STORE)')
    .option('--metrics-file <path.prom>', 'write Prometheus metrics (textfile collector format) when the run ends')
    .option('--metrics-per-host', 'add per-host series to --metrics-file (one set per probed host)');
}

export interface StoreHook {
  /** `line`: the record as the NDJSON writer serialised it (ndjsonHost), when it did: not made twice. */
  host(host: HostResult, target: HostTarget, line?: string): Promise<void> | undefined;
  /** `line`: ndjsonTarget(t), when the NDJSON writer made it. */
  target(t: TargetResult, line?: string): Promise<void> | undefined;
  /** Finish the stored run and write the metrics file. Resolves with true when something was lost. */
  finish(finishedAt: string, summary: Summary, interrupted: boolean): Promise<boolean>;
}

/** A StoreError from opening is an input error: clear message, exit 2 (main.ts maps E_USAGE). */
function asUsage(e: unknown): never {
  if (e instanceof StoreError) throw new UsageError(`--store: ${e.message}`);
  throw e;
}

/**
 * `resumeInto`: this run resumes (appends to) that NDJSON file. A user of `--resume --store` wants
 * the stored run to be the run the file now holds, not only the cells this invocation added: so
 * nothing is streamed, and when the file is complete it is imported whole (store/import.ts,
 * report's merge rules) as a new run. The earlier invocation's stored run stays as it was written
 * (usually "interrupted"), as history.
 */
export async function startStoreHook(flags: StoreFlags & { quiet?: boolean; resumeInto?: string }, ctx: CliContext, meta: { startedAt: string; toolVersion: string; options: Record<string, unknown> }): Promise<StoreHook | null> {
  const spec = storeSpec(flags.store, ctx.env);
  if (flags.metricsPerHost && !flags.metricsFile) throw new UsageError('--metrics-per-host needs --metrics-file');
  const metricsPath = flags.metricsFile ? resolvePath(ctx.cwd, flags.metricsFile) : null;
  if (metricsPath !== null && !metricsPath.endsWith('.prom')) throw new UsageError('--metrics-file: the textfile collector reads only files ending in .prom');
  if (spec === undefined && metricsPath === null) return null;

  let store: Store | null = null;
  let sink: StoreSink | null = null;
  // The usual case: a writer thread (store/worker-sink.ts) opens the store and writes the run from
  // the NDJSON lines, so the prober's thread only posts strings. In-thread (StoreSink) when the
  // built worker is not at hand (tests from sources), for --resume (imported at the end), or with
  // MXPROBE_STORE_WORKER=0 (to compare).
  let thread: WorkerSink | null = null;
  const warn = (m: string) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`);
  if (spec !== undefined) {
    const runMeta = { ...meta, vantage: ctx.env['MXPROBE_VANTAGE'] ?? null, source: null };
    const url = workerModule();
    try {
      if (flags.resumeInto === undefined && url !== null && ctx.env['MXPROBE_STORE_WORKER'] !== '0') {
        thread = await WorkerSink.start(url, { spec, cwd: ctx.cwd, env: { ...ctx.env }, meta: runMeta }, warn);
      } else {
        // Loaded only here: a run without --store never loads better-sqlite3 or pg.
        const { openStore } = await import('../store/open.js');
        store = await openStore(spec, { cwd: ctx.cwd, env: ctx.env });
        if (flags.resumeInto === undefined) {
          const { StoreSink } = await import('../store/sink.js');
          sink = await StoreSink.start(store, runMeta, { warn });
        }
      }
    } catch (e) {
      await store?.close().catch(() => {});
      asUsage(e);
    }
  }
  const quiet = flags.quiet === true;
  const metrics = metricsPath !== null ? new MetricsCollector(flags.metricsPerHost === true) : null;
  const now = new Date();
  return {
    host(host, target, line) {
      metrics?.addHost(host, target, now);
      if (thread) return thread.line(line ?? ndjsonHost(host, target));
      return sink?.host(host, target);
    },
    target(t, line) {
      if (thread) return thread.line(line ?? ndjsonTarget(t));
      return sink?.target(t);
    },
    async finish(finishedAt, summary, interrupted) {
      let lost = false;
      if (store && flags.resumeInto !== undefined) {
        try {
          const { importResultsFile } = await import('../store/import.js');
          const r = await importResultsFile(store, flags.resumeInto, { warn: (m) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`) });
          if (!quiet) ctx.stderr.write(`stored the resumed file as run ${r.runId} in ${store.label} (${r.targets} target(s), ${r.hosts} host(s), ${r.probes} probe(s))\n`);
          lost = r.truncated;
        } catch (e) {
          ctx.stderr.write(`mxprobe: warning: store: the resumed file was not stored: ${e instanceof Error ? e.message : String(e)}\n`);
          lost = true;
        }
        await store.close().catch(() => {});
      }
      if (thread) {
        lost = await thread.finish(finishedAt, interrupted ? 'interrupted' : 'complete');
        if (!lost && !quiet) ctx.stderr.write(`stored as run ${thread.runId} in ${thread.label}\n`);
      }
      if (sink && store) {
        await sink.finish(finishedAt, interrupted ? 'interrupted' : 'complete');
        lost = sink.lost;
        await store.close().catch(() => {});
        if (!lost && !quiet) ctx.stderr.write(`stored as run ${sink.runId} in ${store.label}\n`);
      }
      if (metrics && metricsPath) {
        // Atomic: the collector never reads a half-written file (write a temp file, then rename(2)).
        const tmp = `${metricsPath}.${process.pid}.tmp`;
        try {
          writeFileSync(tmp, metrics.render(summary, { startedAt: meta.startedAt, finishedAt, interrupted }));
          renameSync(tmp, metricsPath);
        } catch (e) {
          try {
            unlinkSync(tmp);
          } catch {
            // nothing to clean up
          }
          ctx.stderr.write(`mxprobe: warning: --metrics-file ${flags.metricsFile}: ${(e as Error).message}\n`);
          lost = true;
        }
      }
      return lost;
    },
  };
}
