/**
 * The store writer thread of `probe --store` (worker_threads; the default where a second core is
 * available, cli/store-hook-open.ts). It opens the store (migrations, the writable check), begins
 * the run, and stores the run's NDJSON lines as the prober's thread hands them over (line-feed.ts
 * says why lines): it parses each line and writes it through the same StoreSink and RunWriter the
 * prober's thread uses without the thread, so batching, the rows, the commits and the failure
 * contract (warn once, keep going, mark the run failed at its end) are one code. Protocol: worker-sink.ts.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { CommittedRows } from './committed.js';
import { storeChunk } from './line-feed.js';
import { openStore } from './open.js';
import { StoreSink } from './sink.js';
import { StoreError, type RunMetaIn, type RunState, type RunWriter, type Store } from './types.js';

export interface SinkWorkerData {
  spec: string;
  cwd: string;
  env: Record<string, string | undefined>;
  meta: RunMetaIn;
}

export type ToWorker =
  /** `buf` (transferred) holds `len` bytes of complete NDJSON lines. */
  | { t: 'lines'; n: number; buf: ArrayBuffer; len: number }
  | { t: 'finish'; n: number; finishedAt: string; state: RunState }
  | { t: 'close' };
export type FromWorker =
  | { t: 'ready'; runId: number; label: string }
  | { t: 'open-error'; code: string; message: string }
  /** The lines of message `n` are in the sink (written or queued); `buf` is given back. */
  | { t: 'taken'; n: number; buf: ArrayBuffer }
  /** The run is finished; `lost`: not everything was stored (the warnings said what). */
  | { t: 'finished'; n: number; lost: boolean }
  | { t: 'warn'; message: string }
  | { t: 'closed' };

/**
 * Run this thread at a lower priority than the prober's (Linux: a thread's nice value is its own,
 * set through its thread id, sched(7)). Storing is never in a hurry: the prober's thread waits for
 * it only through backpressure, so when the two want the same core the prober should have it.
 * Raising one's own nice value needs no privilege. Elsewhere (no /proc/thread-self) nothing changes.
 * Only ever raised: under `nice -n 15` the thread keeps 15. Setting 10 there would lower it, which
 * root may do (setpriority(2)), and the writer would then run ahead of the prober it is to yield to.
 */
const WRITER_NICE = 10;

function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && getPriority(tid) < WRITER_NICE) setPriority(tid, WRITER_NICE);
  } catch {
    // Not Linux, or /proc not mounted: the thread keeps the process's priority.
  }
}

const port = parentPort;
if (port === null) throw new Error('sink-worker.ts runs as a worker thread');
const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const data = workerData as SinkWorkerData;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const warn = (message: string): void => post({ t: 'warn', message });

lowerPriority();

let store: Store | null = null;
let writer: RunWriter | null = null;
try {
  store = await openStore(data.spec, { cwd: data.cwd, env: data.env });
  writer = await store.beginRun(data.meta);
  post({ t: 'ready', runId: writer.runId, label: store.label });
} catch (e) {
  await store?.close().catch(() => {});
  post({ t: 'open-error', code: e instanceof StoreError ? e.code : 'E_STORE_OPEN', message: messageOf(e) });
  port.close();
}

if (store !== null && writer !== null) {
  const st = store;
  const committed = new CommittedRows();
  const w = committed.wrap(writer);
  const sink = StoreSink.over(w, { warn });
  // One message at a time, in order.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(async () => {
      if (m.t === 'lines') {
        await storeChunk({ buf: Buffer.from(m.buf, 0, m.len), len: m.len }, sink);
        post({ t: 'taken', n: m.n, buf: m.buf }, [m.buf]);
      } else if (m.t === 'finish') {
        await sink.finish(m.finishedAt, m.state);
        if (sink.lost) await committed.markFailed(w, m.finishedAt, st.label, warn);
        post({ t: 'finished', n: m.n, lost: sink.lost });
      } else {
        await st.close().catch(() => {});
        post({ t: 'closed' });
        port.close();
      }
    });
  });
}
