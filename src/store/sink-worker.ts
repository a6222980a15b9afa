/**
 * The store writer thread of `probe --store` (worker_threads). It opens the store (migrations, the
 * writable check), writes the run from the NDJSON lines the prober's thread posts (lines.ts), and
 * finishes it. Everything the store costs per host (parsing, rows, the brief, SQLite inserts or
 * the PostgreSQL batch) runs here, beside the prober, not on its event loop. Protocol: see
 * worker-sink.ts, the other side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { applyLine } from './lines.js';
import { openStore } from './open.js';
import { StoreSink } from './sink.js';
import { StoreError, type RunMetaIn, type RunState, type Store } from './types.js';

export interface SinkWorkerData {
  spec: string;
  cwd: string;
  env: Record<string, string | undefined>;
  meta: RunMetaIn;
}

export type ToWorker = { t: 'lines'; lines: string[] } | { t: 'finish'; finishedAt: string; state: RunState };
export type FromWorker =
  | { t: 'ready'; runId: number; label: string }
  | { t: 'open-error'; code: string; message: string }
  | { t: 'warn'; message: string }
  | { t: 'ack' }
  | { t: 'done'; lost: boolean };

const port = parentPort;
if (port === null) throw new Error('sink-worker.ts runs as a worker thread');
const post = (m: FromWorker): void => port.postMessage(m);
const data = workerData as SinkWorkerData;

let store: Store | null = null;
let sink: StoreSink | null = null;
try {
  store = await openStore(data.spec, { cwd: data.cwd, env: data.env });
  sink = await StoreSink.start(store, data.meta, { warn: (message) => post({ t: 'warn', message }) });
  post({ t: 'ready', runId: sink.runId, label: store.label });
} catch (e) {
  await store?.close().catch(() => {});
  post({ t: 'open-error', code: e instanceof StoreError ? e.code : 'E_STORE_OPEN', message: e instanceof Error ? e.message : String(e) });
  port.close();
}

// Messages are handled one after another (a chunk's writes may wait for the previous batch).
let queue: Promise<void> = Promise.resolve();
if (sink !== null && store !== null) {
  const s = sink;
  const st = store;
  port.on('message', (m: ToWorker) => {
    queue = queue.then(async () => {
      if (m.t === 'lines') {
        for (const line of m.lines) await applyLine(s, line);
        post({ t: 'ack' });
        return;
      }
      await s.finish(m.finishedAt, m.state);
      await st.close().catch(() => {});
      post({ t: 'done', lost: s.lost });
      port.close();
    });
  });
}
