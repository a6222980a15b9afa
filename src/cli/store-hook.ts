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
import { openStore, storeSpec } from '../store/open.js';
import { importResultsFile } from '../store/import.js';
import { StoreSink } from '../store/sink.js';
import { StoreError, type HostTarget, type Store } from '../store/types.js';

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
  host(host: HostResult, target: HostTarget): Promise<void> | undefined;
  target(t: TargetResult): Promise<void> | undefined;
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
  if (spec !== undefined) {
    try {
      store = await openStore(spec, { cwd: ctx.cwd, env: ctx.env });
      if (flags.resumeInto === undefined) sink = await StoreSink.start(store, { ...meta, vantage: ctx.env['MXPROBE_VANTAGE'] ?? null, source: null }, { warn: (m) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`) });
    } catch (e) {
      await store?.close().catch(() => {});
      asUsage(e);
    }
  }
  const quiet = flags.quiet === true;
  const metrics = metricsPath !== null ? new MetricsCollector(flags.metricsPerHost === true) : null;
  const now = new Date();
  return {
    host(host, target) {
      metrics?.addHost(host, target, now);
      return sink?.host(host, target);
    },
    target(t) {
      return sink?.target(t);
    },
    async finish(finishedAt, summary, interrupted) {
      let lost = false;
      if (store && flags.resumeInto !== undefined) {
        try {
          const r = await importResultsFile(store, flags.resumeInto, { warn: (m) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`) });
          if (!quiet) ctx.stderr.write(`stored the resumed file as run ${r.runId} in ${store.label} (${r.targets} target(s), ${r.hosts} host(s), ${r.probes} probe(s))\n`);
          lost = r.truncated;
        } catch (e) {
          ctx.stderr.write(`mxprobe: warning: store: the resumed file was not stored: ${e instanceof Error ? e.message : String(e)}\n`);
          lost = true;
        }
        await store.close().catch(() => {});
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
