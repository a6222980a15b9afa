/**
 * The `probe` side of the store and metrics: `--store`, `--metrics-file`, `--metrics-per-host`.
 * Kept out of probe.ts so that file only gains a flag block and four calls.
 *
 * The store is opened (and migrated, and proven writable) before any probing starts, so a wrong
 * URL, an unreachable server, bad credentials or a read-only/corrupt file stop the run at once
 * (exit 2). A failure later warns once and the run goes on: the results output is unaffected, and
 * the exit code is at least 1 (the store lost part of the run).
 *
 * This module holds only the flags and the checks made before anything is opened: the writer
 * side (store-hook-open.ts, with the row builders, the serialiser, the metrics collector and the
 * writer thread's client) is loaded only when a run asks for a store or a metrics file, not by
 * every `mxprobe probe` (start-up CPU, issue 13).
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import type { HostResult, Summary, TargetResult } from '../results.js';
import { storeSpec } from '../store/open.js';
import type { HostTarget } from '../store/types.js';

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
  /**
   * The NDJSON host line (= ndjsonHost), made once for the writer and the store: call it just
   * before host() with the same objects, write what it returns (undefined: use ndjsonHost).
   */
  hostLine(host: HostResult, target: HostTarget): string | undefined;
  host(host: HostResult, target: HostTarget): Promise<void> | undefined;
  /** The NDJSON target line (= ndjsonTarget), made once for the writer and the store, as hostLine. */
  targetLine(t: TargetResult): string | undefined;
  target(t: TargetResult): Promise<void> | undefined;
  /** Finish the stored run and write the metrics file. Resolves with true when something was lost. */
  finish(finishedAt: string, summary: Summary, interrupted: boolean): Promise<boolean>;
}

/**
 * `resumeInto`: this run resumes (appends to) that NDJSON file. A user of `--resume --store` wants
 * the stored run to be the run the file now holds, not only the cells this invocation added: so
 * nothing is streamed, and when the file is complete it is imported whole (store/import.ts,
 * report's merge rules) as a new run. The earlier invocation's stored run stays as it was written
 * (usually "interrupted"), as history.
 */
export async function startStoreHook(flags: StoreFlags & { quiet?: boolean; resumeInto?: string }, ctx: CliContext, meta: { startedAt: string; toolVersion: string; options: Record<string, unknown> }): Promise<StoreHook | null> {
  // An empty value is what an unset shell variable gives (`--store "$DB"`): never read as "no store".
  // MXPROBE_STORE='' stays "no default", as an unset variable.
  if (flags.store !== undefined && flags.store.trim() === '') throw new UsageError('--store: empty value (an unset variable?); give sqlite:PATH, PATH.db or postgres://…');
  if (flags.metricsFile !== undefined && flags.metricsFile.trim() === '') throw new UsageError('--metrics-file: empty path (an unset variable?)');
  const spec = storeSpec(flags.store, ctx.env);
  if (flags.metricsPerHost && !flags.metricsFile) throw new UsageError('--metrics-per-host needs --metrics-file');
  const metricsPath = flags.metricsFile ? resolvePath(ctx.cwd, flags.metricsFile) : null;
  if (metricsPath !== null && !metricsPath.endsWith('.prom')) throw new UsageError('--metrics-file: the textfile collector reads only files ending in .prom');
  if (metricsPath !== null) {
    // The file is written (temp file + rename) only when the run ends: a directory it can never
    // be written into is found now, before anything is probed, as --store's problems are.
    const dir = dirname(metricsPath);
    try {
      await access(dir, fsConstants.W_OK | fsConstants.X_OK);
    } catch (e) {
      throw new UsageError(`--metrics-file ${flags.metricsFile}: cannot write into ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (spec === undefined && metricsPath === null) return null;
  const { openStoreHook } = await import('./store-hook-open.js');
  return openStoreHook(flags, ctx, meta, spec, metricsPath);
}

