/**
 * The writer side of `probe --store` / `--metrics-file` (store-hook.ts has the flags and the
 * checks): loaded only by a run that asks for a store or a metrics file.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import type { HostResult, TargetResult } from '../results.js';
import { MetricsCollector } from '../store/metrics.js';
import type { StoreSink } from '../store/sink.js';
import { StoreError, type RunWriter, type Store } from '../store/types.js';
import { CommittedRows } from '../store/committed.js';
import { startWriterThread, workerModule, type WriterThread } from '../store/worker-sink.js';
import { ndjsonHost, ndjsonTarget } from '../report/json.js';
import { serialiseHost, serialiseTarget, type HostStrings, type TargetStrings } from '../store/serialise.js';
import { StoreTrace } from './store-trace.js';
import type { StoreFlags, StoreHook } from './store-hook.js';

/**
 * Whether `probe --store` writes through the store writer thread (store/worker-sink.ts) when
 * MXPROBE_STORE_WORKER is unset: yes where the machine has a second core to run it on and the run
 * is large enough to repay starting it (WRITER_THREAD_MIN_TARGETS). The thread
 * gets the run's NDJSON lines (store/line-feed.ts) and does all the rest; this thread only copies
 * each line into a chunk. On one core the thread could only take turns with the prober, and
 * parsing the lines back is work the in-thread writer does not do, so there the rows are written
 * here. MXPROBE_STORE_WORKER=0 or 1 chooses either way.
 *
 * Measured on the 2-core bench machine, where the receivers (bench/farm.mjs) share the cores with
 * the prober (session 13, 100,000 hosts, 5 interleaved rounds, bench/results/store-2026-12-02-lines.md):
 * the probe run's slowdown against no store, paired by round, median +2.1% through the thread and
 * +10.8% in this thread. The thread costs more CPU in all (~1.7x: it parses the lines back, and runs
 * beside the prober with colder caches), so it pays only where the prober leaves a core idle; with
 * the receivers elsewhere, as in real use, it has more room than here.
 */
export function useWriterThread(env: Record<string, string | undefined>, expectedTargets: number | undefined, cores: number = availableParallelism()): boolean {
  const v = env['MXPROBE_STORE_WORKER'];
  if (v === '1') return true;
  if (v === '0') return false;
  return cores > 1 && (expectedTargets === undefined || expectedTargets >= WRITER_THREAD_MIN_TARGETS);
}

/**
 * Below this many targets the rows are written in the prober's thread even with cores to spare.
 * Starting the thread costs more than opening the store here (a second isolate loading the store
 * code and the driver: ~220 ms wall, ~180 ms CPU against ~80 ms, a 3-host run; qa13), and a small
 * run waits on the network, not on the prober's thread, so the thread has nothing to give back.
 * Measured in whole runs on the bench farm (session 13, 5 rounds, medians): 200 hosts 0.78 s
 * through the thread vs 0.77 s in-thread, 2000 hosts 2.64 vs 2.88 s, 5000 hosts 4.21 vs 4.84 s.
 */
export const WRITER_THREAD_MIN_TARGETS = 1000;

/** A StoreError from opening is an input error: clear message, exit 2 (main.ts maps E_USAGE). */
function asUsage(e: unknown, source: string): never {
  if (e instanceof StoreError) throw new UsageError(`${source}: ${e.message}`);
  throw e;
}

/** Opens what startStoreHook's checks found asked for: `spec` (a store), `metricsPath`, or both. */
export async function openStoreHook(flags: StoreFlags & { quiet?: boolean; resumeInto?: string; expectedTargets?: number }, ctx: CliContext, meta: { startedAt: string; toolVersion: string; options: Record<string, unknown> }, spec: string | undefined, metricsPath: string | null): Promise<StoreHook> {
  let store: Store | null = null;
  let sink: StoreSink | null = null;
  // With the store writer thread (useWriterThread), this thread hands it each NDJSON line, the one
  // -o gets. Without it, each record is serialised once for the NDJSON line and the store
  // (store/serialise.ts) and the rows are written here.
  let thread: WriterThread | null = null;
  /** The run's writer as the sink sees it, and what it committed (see CommittedRows). */
  let runWriter: RunWriter | null = null;
  const committed = new CommittedRows();
  const trace = ctx.env['MXPROBE_STORE_TRACE'] === '1' ? new StoreTrace() : null;
  trace?.mark('before the store');
  const warn = (m: string) => void ctx.stderr.write(`mxprobe: warning: ${m}\n`);
  if (spec !== undefined) {
    const runMeta = { ...meta, vantage: ctx.env['MXPROBE_VANTAGE'] ?? null, source: null };
    const url = workerModule();
    try {
      if (flags.resumeInto === undefined && url !== null && useWriterThread(ctx.env, flags.expectedTargets)) {
        thread = await startWriterThread(url, { spec, cwd: ctx.cwd, env: { ...ctx.env }, meta: runMeta }, warn);
        trace?.mark('start writer thread');
      } else {
        // Loaded only here: a run without --store never loads better-sqlite3 or pg.
        const { openStore, loadDriver } = await import('../store/open.js');
        trace?.mark('load open.js');
        if (trace) {
          await loadDriver(spec, ctx.cwd);
          trace.mark('load driver');
        }
        // SQLite's WAL checkpoints stay on this thread unless MXPROBE_STORE_CHECKPOINT=thread
        // (store/checkpointer.ts: a thread of their own from the first commit). Measured on the
        // shared 2-core machine (2000 hosts, 7 interleaved rounds, twice, load ~3): the thread
        // took ~100 ms of fsync stalls off the event loop at close, yet the run cost more in all,
        // 2.87/2.82 s wall and 2.49/2.23 s CPU against 2.73/2.56 s and 2.28/2.07 s without it:
        // its start and its copying compete for the cores the prober and the receivers use,
        // where an fsync only waits. So off by default.
        const threadCk = ctx.env['MXPROBE_STORE_CHECKPOINT'] === 'thread' && flags.resumeInto === undefined;
        store = await openStore(spec, { cwd: ctx.cwd, env: ctx.env, ...(threadCk ? { backgroundCheckpoint: true, checkpointAfterBytes: 0 } : {}) });
        trace?.mark('open + migrate');
        if (flags.resumeInto === undefined) {
          const { StoreSink } = await import('../store/sink.js');
          const w = await store.beginRun(runMeta);
          runWriter = committed.wrap(trace ? trace.writer(w) : w);
          sink = StoreSink.over(runWriter, { warn });
          trace?.mark('begin run');
        }
      }
    } catch (e) {
      await store?.close().catch(() => {});
      // Named as the user gave it: a store from $MXPROBE_STORE is not a --store the user typed.
      asUsage(e, flags.store === undefined ? 'MXPROBE_STORE' : '--store');
    }
  }
  const quiet = flags.quiet === true;
  const metrics = metricsPath !== null ? new MetricsCollector(flags.metricsPerHost === true) : null;
  const now = new Date();
  /** The strings hostLine() made for the host host() is about to get. */
  let made: { host: HostResult; pre: HostStrings } | null = null;
  /** The same for the target target() is about to get. */
  let madeTarget: { t: TargetResult; pre: TargetStrings } | null = null;
  /** The metrics file, written atomically at the end of the run; true when it could not be written. */
  const writeMetrics = (finishedAt: string, summary: Parameters<StoreHook['finish']>[1], interrupted: boolean): boolean => {
    if (!metrics || !metricsPath) return false;
    // Atomic: the collector never reads a half-written file (write a temp file, then rename(2)).
    const tmp = `${metricsPath}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, metrics.render(summary, { startedAt: meta.startedAt, finishedAt, interrupted }));
      renameSync(tmp, metricsPath);
      return false;
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to clean up
      }
      ctx.stderr.write(`mxprobe: warning: --metrics-file ${flags.metricsFile}: ${(e as Error).message}\n`);
      return true;
    }
  };
  /** The line hostLine()/targetLine() made for the host or target host()/target() is about to get. */
  let lineOf: { of: HostResult | TargetResult; line: string } | null = null;
  const th = thread;
  if (th !== null) {
    // The writer thread's hook: each line is made once, for -o and the thread.
    const feed = (of: HostResult | TargetResult, make: () => string) => {
      const line = lineOf !== null && lineOf.of === of ? lineOf.line : make();
      lineOf = null;
      return trace ? trace.time('feed line', () => th.add(line)) : th.add(line);
    };
    const remember = (of: HostResult | TargetResult, line: string) => ((lineOf = { of, line }), line);
    return {
      hostLine: (host, target) => remember(host, ndjsonHost(host, target)),
      host(host, target) {
        metrics?.addHost(host, target, now);
        return feed(host, () => ndjsonHost(host, target));
      },
      targetLine: (t) => remember(t, ndjsonTarget(t)),
      target: (t) => feed(t, () => ndjsonTarget(t)),
      async finish(finishedAt, summary, interrupted) {
        trace?.reset();
        const lost = await th.finish(finishedAt, interrupted ? 'interrupted' : 'complete');
        trace?.mark('finish (flush + row)');
        await th.close();
        trace?.mark('close');
        if (!lost && !quiet) ctx.stderr.write(`stored as run ${th.runId} in ${th.label}\n`);
        const metricsLost = writeMetrics(finishedAt, summary, interrupted);
        if (trace) ctx.stderr.write(trace.render());
        return lost || metricsLost;
      },
    };
  }
  return {
    hostLine(host, target) {
      if (!sink) return undefined;
      const pre = trace ? trace.time('serialise host', () => serialiseHost(host, target)) : serialiseHost(host, target);
      if (pre === null) return undefined;
      made = { host, pre };
      return pre.line;
    },
    host(host, target) {
      metrics?.addHost(host, target, now);
      const pre = made !== null && made.host === host ? made.pre : null;
      made = null;
      if (trace && sink) return trace.time('host rows', () => sink!.host(host, target, pre));
      return sink?.host(host, target, pre);
    },
    targetLine(t) {
      if (!sink) return undefined;
      const pre = trace ? trace.time('serialise target', () => serialiseTarget(t)) : serialiseTarget(t);
      if (pre === null) return undefined;
      madeTarget = { t, pre };
      return pre.line;
    },
    target(t) {
      const record = madeTarget !== null && madeTarget.t === t ? madeTarget.pre.record : null;
      madeTarget = null;
      if (trace && sink) return trace.time('target rows', () => sink!.target(t, record));
      return sink?.target(t, record);
    },
    async finish(finishedAt, summary, interrupted) {
      let lost = false;
      trace?.reset();
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
      if (sink && store) {
        await sink.finish(finishedAt, interrupted ? 'interrupted' : 'complete');
        trace?.mark('finish (flush + row)');
        lost = sink.lost;
        if (lost && runWriter) await committed.markFailed(runWriter, finishedAt, store.label, warn);
        await store.close().catch(() => {});
        trace?.mark('close');
        if (!lost && !quiet) ctx.stderr.write(`stored as run ${sink.runId} in ${store.label}\n`);
      }
      if (writeMetrics(finishedAt, summary, interrupted)) lost = true;
      if (trace) ctx.stderr.write(trace.render());
      return lost;
    },
  };
}
