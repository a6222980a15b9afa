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
import { access, stat } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import type { HostResult, Summary, TargetResult } from '../results.js';
import { sameFile } from '../io/same-file.js';
import { parseStoreUrl, storeSpec } from '../store/open.js';
import type { HostTarget } from '../store/types.js';

export interface StoreFlags {
  store?: string;
  metricsFile?: string;
  metricsPerHost?: boolean;
  /** probe's own files, which --metrics-file must not name (the rename at the end would replace them). */
  output?: string;
  targetsFile?: string[];
  resume?: string;
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
export async function startStoreHook(flags: StoreFlags & { quiet?: boolean; resumeInto?: string; expectedTargets?: number }, ctx: CliContext, meta: { startedAt: string; toolVersion: string; options: Record<string, unknown> }): Promise<StoreHook | null> {
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
    // A directory named x.prom: rename(2) onto it fails (EISDIR) only after the whole run, which
    // then ended with a warning and exit 1 and no metrics.
    if ((await stat(metricsPath).catch(() => null))?.isDirectory()) throw new UsageError(`--metrics-file ${flags.metricsFile}: is a directory`);
    assertNotOwnFile(metricsPath, flags, ctx.cwd, spec);
  }
  if (spec === undefined && metricsPath === null) return null;
  const { openStoreHook } = await import('./store-hook-open.js');
  return openStoreHook(flags, ctx, meta, spec, metricsPath);
}


/**
 * `--metrics-file` naming one of the run's own files: the rename at the end replaced it with the
 * metrics, exit 0. `-o run.prom --metrics-file run.prom` lost the results, `-f t.prom` the
 * targets list, `--store sqlite:x.prom` the whole store. The same path, or the same existing file
 * (device and inode: a symlink or hard link counts), is refused before anything is probed.
 */
function assertNotOwnFile(metricsPath: string, flags: StoreFlags, cwd: string, spec: string | undefined): void {
  const own: Array<[string, string]> = [];
  if (flags.output !== undefined && flags.output !== '') own.push(['-o', flags.output]);
  if (flags.resume !== undefined && flags.resume !== '') own.push(['--resume', flags.resume]);
  for (const f of flags.targetsFile ?? []) if (f !== '-') own.push(['--targets-file', f]);
  if (spec !== undefined) {
    try {
      const u = parseStoreUrl(spec, cwd);
      if (u.kind === 'sqlite') own.push(['--store', u.path]);
    } catch {
      // A bad store URL is reported by the store's own open, with its own message.
    }
  }
  for (const [flag, f] of own) {
    const p = resolvePath(cwd, f);
    if (p === metricsPath || sameFile(p, metricsPath)) {
      throw new UsageError(`--metrics-file ${flags.metricsFile} is the same file as ${flag} ${f}: the metrics would replace it (write them elsewhere)`);
    }
  }
}
