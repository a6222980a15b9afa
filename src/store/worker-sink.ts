/**
 * The prober's side of the store writer thread (sink-worker.ts, MXPROBE_STORE_WORKER=1): a
 * RunWriter whose batches are turned into rows here (rows.ts batchRows: keys, columns, the brief)
 * and written by the worker (inserts, commits, WAL checkpoints, fsync). StoreSink drives it as
 * it drives the in-thread writer, so batching, backpressure (at most a few batches queued) and
 * the failure contract (warn once, the run goes on, `lost`) are the same code.
 *
 * Open errors (bad URL, unreachable server, locked or read-only file) reject `start` with the
 * worker's StoreError code and message, before anything is probed.
 */
import { Worker } from 'node:worker_threads';
import { batchRows } from './rows.js';
import type { FromWorker, SinkWorkerData, ToWorker } from './sink-worker.js';
import { StoreError, type RunWriter } from './types.js';

type Code = ConstructorParameters<typeof StoreError>[0];
const asCode = (c: string, fallback: Code): Code => (/^E_STORE_[A-Z_]+$/.test(c) ? (c as Code) : fallback);

/** The built worker module beside this one; null when running from TypeScript sources (tests). */
export function workerModule(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./sink-worker.js', import.meta.url) : null;
}

export interface RemoteRun {
  writer: RunWriter;
  label: string;
  /** Close the store in the worker and end the thread. */
  close(): Promise<void>;
}

export function startWorkerRun(url: URL, data: SinkWorkerData): Promise<RemoteRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: data });
    let n = 0;
    const waiting = new Map<number, { ok: () => void; fail: (e: Error) => void }>();
    let closed: (() => void) | null = null;
    let dead: Error | null = null;
    const die = (e: Error) => {
      dead ??= e;
      for (const w of waiting.values()) w.fail(e);
      waiting.clear();
      closed?.();
    };
    worker.on('error', (e) => die(new StoreError('E_STORE_WRITE', `store writer thread failed: ${e instanceof Error ? e.message : String(e)}`)));
    worker.on('exit', () => die(new StoreError('E_STORE_WRITE', 'store writer thread ended')));
    const send = (m: ToWorker) => worker.postMessage(m);
    const call = (make: (n: number) => ToWorker): Promise<void> => {
      if (dead) return Promise.reject(dead);
      const id = ++n;
      // Only a pending reply keeps the process alive for the worker, never an idle writer.
      worker.ref();
      return new Promise<void>((ok, fail) => {
        waiting.set(id, { ok, fail });
        send(make(id));
      }).finally(() => {
        if (waiting.size === 0) worker.unref();
      });
    };
    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        worker.unref();
        resolve({
          label: m.label,
          writer: {
            runId: m.runId,
            writeBatch: (hosts, targets) => {
              const rows = batchRows(hosts, targets);
              return call((id) => ({ t: 'rows', n: id, rows }));
            },
            writeRows: (rows) => call((id) => ({ t: 'rows', n: id, rows })),
            finish: (info) => call((id) => ({ t: 'finish', n: id, info })),
          },
          close: () =>
            dead
              ? Promise.resolve()
              : new Promise<void>((ok) => {
                  closed = ok;
                  worker.ref();
                  send({ t: 'close' });
                }),
        });
      } else if (m.t === 'open-error') {
        void worker.terminate();
        reject(new StoreError(asCode(m.code, 'E_STORE_OPEN'), m.message));
      } else if (m.t === 'done' || m.t === 'failed') {
        const w = waiting.get(m.n);
        waiting.delete(m.n);
        if (m.t === 'done') w?.ok();
        else w?.fail(new StoreError(asCode(m.code, 'E_STORE_WRITE'), m.message));
      } else if (m.t === 'closed') {
        closed?.();
      }
    });
    worker.once('error', (e) => reject(new StoreError('E_STORE_OPEN', `store writer thread failed to start: ${e instanceof Error ? e.message : String(e)}`)));
  });
}
