/**
 * The writer side of `probe --store` / `--metrics-file` (store-hook.ts has the flags and the
 * checks): loaded only by a run that asks for a store or a metrics file.
 */
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import type { HostResult, TargetResult } from '../results.js';
import { MetricsCollector } from '../store/metrics.js';
import type { StoreSink } from '../store/sink.js';
import { KeySetDigest, StoreError, targetKey, type RunWriter, type Store } from '../store/types.js';
import type { RecordText, RowBatch } from '../store/rows.js';
import { startWorkerRun, workerModule, type RemoteRun } from '../store/worker-sink.js';
import { serialiseHost, serialiseTarget, type HostStrings, type TargetStrings } from '../store/serialise.js';
import { StoreTrace } from './store-trace.js';
import type { StoreFlags, StoreHook } from './store-hook.js';

/**
 * Whether `probe --store` writes through the store writer thread (store/worker-sink.ts) when
 * MXPROBE_STORE_WORKER is unset: no. The thread takes the inserts and commits (SQLite) or the
 * batch statement (PostgreSQL) off this thread, but this thread still builds every row, then
 * clones each batch to the thread, and the thread costs its start and its own copy of the driver
 * (~50 ms): more CPU in all, which pays only while a core is idle. A thread doing only SQLite's WAL
 * checkpoints, without any rows crossing (store/checkpointer.ts, MXPROBE_STORE_CHECKPOINT=thread),
 * did not pay either (see below), and a PostgreSQL batch is asynchronous here anyway. bench/store.mjs measures both ways (rows probe-slowdown-*-worker; session 6, 2000
 * hosts, median of 5, load 8: CPU SQLite 3.02 s in the writer thread vs 3.15 s here, PostgreSQL
 * 3.54 s vs 2.83 s, plain 2.52 s; wall at that load says nothing). MXPROBE_STORE_WORKER=1 for a
 * machine with cores to spare. Session 10 (20,000 hosts, whole runs, per-thread CPU; bench/results/
 * store-2026-12-01-storeperf8.md): the thread took 0.3-1.0 s off this thread but cost ~0.5 s more
 * in all, and it cannot take the in-thread writer's off-heap batches (rows.ts RecordPack: a Buffer
 * view is cloned with its whole buffer), with which this thread is no busier than with the writer
 * thread: no run size where the default should flip.
 */
const WORKER_DEFAULT = false;

/**
 * What the store has committed of this run, counted per batch as each write resolves, and the run
 * marked `failed` with those counts when a write failed mid-run. StoreSink stops writing at the
 * first failure and never finishes the run row, so before this a disk-full run stayed `running`
 * forever (qa10): `diff` and `store runs` could not tell it from a run being written now. The
 * counts are of the rows that reached the store (a failed batch is rolled back), not of what was
 * probed; the digest is of the stored targets' keys, so a failed run never looks like a complete
 * run of the same targets.
 */
class CommittedRows {
  hosts = 0;
  probes = 0;
  readonly targets = new KeySetDigest();

  wrap(w: RunWriter): RunWriter {
    // Per committed batch, not per host: array lengths, and the target keys' hashes.
    const count = <T extends RecordText>(rows: RowBatch<T>) => {
      this.hosts += rows.hosts.length;
      for (const h of rows.hosts) this.probes += h.probes.length;
      for (const t of rows.targets) this.targets.add(t.tkey);
    };
    return {
      runId: w.runId,
      writeBatch: async (h, t) => {
        await w.writeBatch(h, t);
        this.hosts += h.length;
        for (const x of h) this.probes += x.host.probes.length;
        for (const t1 of t) this.targets.add(targetKey(t1));
      },
      writeRows: async (rows) => {
        await w.writeRows(rows);
        count(rows);
      },
      // A packed batch's buffers are reused once the write resolved, but its arrays and keys are not.
      ...(w.writePacked
        ? {
            writePacked: async (rows: RowBatch<RecordText>) => {
              await w.writePacked!(rows);
              count(rows);
            },
          }
        : {}),
      finish: (info) => w.finish(info),
    };
  }

  /**
   * After a failed write: mark the run `failed`, once. Never throws: when this fails too (the disk
   * is still full), stderr says which run stays `running`.
   */
  async markFailed(w: RunWriter, finishedAt: string, label: string, say: (m: string) => void): Promise<void> {
    try {
      await w.finish({ finishedAt, state: 'failed', targetCount: this.targets.size, hostCount: this.hosts, probeCount: this.probes, targetsDigest: this.targets.digest() });
      say(`store: run ${w.runId} in ${label} is marked failed: it holds ${this.hosts} host(s) of this run; the results output has them all`);
    } catch (e) {
      say(`store: run ${w.runId} in ${label} could not be marked failed either (${e instanceof Error ? e.message : String(e)}): it stays "running" in the store; diff leaves it out, and prune deletes it once it is a week old`);
    }
  }
}

/** A StoreError from opening is an input error: clear message, exit 2 (main.ts maps E_USAGE). */
function asUsage(e: unknown, source: string): never {
  if (e instanceof StoreError) throw new UsageError(`${source}: ${e.message}`);
  throw e;
}

/** Opens what startStoreHook's checks found asked for: `spec` (a store), `metricsPath`, or both. */
export async function openStoreHook(flags: StoreFlags & { quiet?: boolean; resumeInto?: string }, ctx: CliContext, meta: { startedAt: string; toolVersion: string; options: Record<string, unknown> }, spec: string | undefined, metricsPath: string | null): Promise<StoreHook> {
  let store: Store | null = null;
  let sink: StoreSink | null = null;
  // Each record is serialised once for the NDJSON line and the store (store/serialise.ts). The
  // rows are written in this thread, or with MXPROBE_STORE_WORKER=1 by a writer thread
  // (store/worker-sink.ts: this thread builds the rows, the worker inserts and commits). See
  // WORKER_DEFAULT for which is the default and why.
  let remote: RemoteRun | null = null;
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
      const want = ctx.env['MXPROBE_STORE_WORKER'] === undefined || ctx.env['MXPROBE_STORE_WORKER'] === '' ? WORKER_DEFAULT : ctx.env['MXPROBE_STORE_WORKER'] === '1';
      if (flags.resumeInto === undefined && url !== null && want) {
        remote = await startWorkerRun(url, { spec, cwd: ctx.cwd, env: { ...ctx.env }, meta: runMeta });
        const { StoreSink } = await import('../store/sink.js');
        runWriter = committed.wrap(remote.writer);
        sink = StoreSink.over(runWriter, { warn });
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
        // where an fsync only waits. So off by default, like the writer thread (WORKER_DEFAULT).
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
      if (sink && remote) {
        await sink.finish(finishedAt, interrupted ? 'interrupted' : 'complete');
        lost = sink.lost;
        if (lost && runWriter) await committed.markFailed(runWriter, finishedAt, remote.label, warn);
        await remote.close();
        if (!lost && !quiet) ctx.stderr.write(`stored as run ${sink.runId} in ${remote.label}\n`);
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
      if (trace) ctx.stderr.write(trace.render());
      return lost;
    },
  };
}
