/**
 * The store writer thread of `probe --store` (worker_threads, MXPROBE_STORE_WORKER=1). It opens
 * the store (migrations, the writable check), begins the run, and writes the batches of rows the
 * prober's thread built (rows.ts batchRows): the SQLite inserts and commits (or the PostgreSQL
 * batch statement) run here, beside the prober, not on its event loop. Protocol: worker-sink.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from './open.js';
import type { RowBatch } from './rows.js';
import { StoreError, type RunMetaIn, type RunWriter, type Store } from './types.js';

export interface SinkWorkerData {
  spec: string;
  cwd: string;
  env: Record<string, string | undefined>;
  meta: RunMetaIn;
}

export type ToWorker = { t: 'rows'; n: number; rows: RowBatch } | { t: 'finish'; n: number; info: Parameters<RunWriter['finish']>[0] } | { t: 'close' };
export type FromWorker =
  | { t: 'ready'; runId: number; label: string }
  | { t: 'open-error'; code: string; message: string }
  | { t: 'done'; n: number }
  | { t: 'failed'; n: number; code: string; message: string }
  | { t: 'closed' };

const port = parentPort;
if (port === null) throw new Error('sink-worker.ts runs as a worker thread');
const post = (m: FromWorker): void => port.postMessage(m);
const data = workerData as SinkWorkerData;
const codeOf = (e: unknown): string => (e instanceof StoreError ? e.code : 'E_STORE_WRITE');
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

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
  const w = writer;
  // One message at a time, in order (the sink on the other side sends one batch at a time anyway).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    queue = queue.then(async () => {
      if (m.t === 'close') {
        await st.close().catch(() => {});
        post({ t: 'closed' });
        port.close();
        return;
      }
      try {
        if (m.t === 'rows') await w.writeRows(m.rows);
        else await w.finish(m.info);
        post({ t: 'done', n: m.n });
      } catch (e) {
        post({ t: 'failed', n: m.n, code: codeOf(e), message: messageOf(e) });
      }
    });
  });
}
