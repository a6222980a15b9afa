/**
 * The prober's side of the store writer thread (sink-worker.ts): `probe --store` posts each host
 * and target as its NDJSON line (the string the NDJSON writer already made, or made once here),
 * in chunks, and the worker does the rest. Measured on the bench farm (bench/store.mjs): the rows,
 * the brief and the inserts cost the prober's thread ~0.5 s CPU per 2000 hosts; posting lines
 * costs it a few ms, and the work runs on the other core.
 *
 * The same contract as StoreSink: open errors (bad URL, unreachable server, locked or read-only
 * file) reject `start` before anything is probed; a failure later is warned once by the caller's
 * `warn`, the rest of the run is not stored, and `finish` reports it lost. Memory is bounded: the
 * prober waits when more than MAX_CHUNKS chunks are unacknowledged.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, SinkWorkerData, ToWorker } from './sink-worker.js';
import { StoreError, type RunState } from './types.js';

/** Lines per message: postMessage has a fixed cost, so a few dozen per message. */
const CHUNK = 64;
/** Unacknowledged chunks before the prober waits (backpressure). */
const MAX_CHUNKS = 8;

/** The built worker module beside this one; null when running from TypeScript sources (tests). */
export function workerModule(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./sink-worker.js', import.meta.url) : null;
}

export class WorkerSink {
  private buf: string[] = [];
  private unacked = 0;
  private waiters: Array<() => void> = [];
  private failed = false;
  private done: ((lost: boolean) => void) | null = null;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    readonly runId: number,
    readonly label: string,
    private readonly warn: (m: string) => void,
  ) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (e) => this.fail(`store writer thread failed: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', () => {
      this.exited = true;
      if (this.done) this.fail('store writer thread ended before the run was stored');
    });
    // Only awaited replies keep the process alive (see ref/unref below), never an idle writer.
    worker.unref();
  }

  /** Start the writer thread and open the store in it; rejects with its StoreError. */
  static start(url: URL, data: SinkWorkerData, warn: (m: string) => void): Promise<WorkerSink> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(url, { workerData: data });
      const early = (e: unknown) => reject(new StoreError('E_STORE_OPEN', `store writer thread failed to start: ${e instanceof Error ? e.message : String(e)}`));
      worker.once('error', early);
      worker.once('message', (m: FromWorker) => {
        worker.off('error', early);
        if (m.t === 'ready') resolve(new WorkerSink(worker, m.runId, m.label, warn));
        else {
          void worker.terminate();
          reject(new StoreError(m.t === 'open-error' && /^E_STORE_[A-Z_]+$/.test(m.code) ? (m.code as ConstructorParameters<typeof StoreError>[0]) : 'E_STORE_OPEN', m.t === 'open-error' ? m.message : `unexpected message ${m.t}`));
        }
      });
    });
  }

  get lost(): boolean {
    return this.failed;
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'ack') {
      this.unacked--;
      this.wake();
    } else if (m.t === 'warn') {
      // The sink warns only when a write failed: nothing more is stored.
      this.failed = true;
      this.buf = [];
      this.warn(m.message);
      this.wake();
    } else if (m.t === 'done') {
      const d = this.done;
      this.done = null;
      this.worker.unref();
      void this.worker.terminate();
      d?.(m.lost || this.failed);
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
    if (this.waiters.length === 0 && this.done === null) this.worker.unref();
  }

  private fail(message: string): void {
    if (!this.failed) {
      this.failed = true;
      this.warn(`store write failed, the rest of this run is not stored (results output is unaffected): ${message}`);
    }
    this.buf = [];
    this.unacked = 0;
    this.wake();
    const d = this.done;
    this.done = null;
    d?.(true);
  }

  /** Queue one NDJSON host or target line. Resolves at once unless the writer is far behind. */
  line(line: string): Promise<void> | undefined {
    if (this.failed) return undefined;
    this.buf.push(line);
    if (this.buf.length < CHUNK) return undefined;
    this.post();
    if (this.unacked <= MAX_CHUNKS) return undefined;
    this.worker.ref();
    return new Promise((r) => this.waiters.push(r));
  }

  private post(): void {
    if (this.buf.length === 0 || this.failed || this.exited) return;
    const msg: ToWorker = { t: 'lines', lines: this.buf };
    this.buf = [];
    this.unacked++;
    this.worker.postMessage(msg);
  }

  /** Write what is left, finish the run, end the thread. Resolves with true when something was lost. */
  finish(finishedAt: string, state: RunState): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    this.post();
    return new Promise((resolve) => {
      this.done = resolve;
      this.worker.ref();
      const msg: ToWorker = { t: 'finish', finishedAt, state };
      this.worker.postMessage(msg);
    });
  }
}
