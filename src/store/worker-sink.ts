/**
 * The prober's side of the store writer thread (sink-worker.ts): it hands the run's NDJSON lines
 * to the thread in chunks (line-feed.ts), moved, not copied, and the thread stores them. What this
 * thread pays per host is copying its line into a chunk.
 *
 * Backpressure: at most MAX_IN_FLIGHT chunks are with the thread; past that, `add` returns a
 * promise that settles when the thread has taken one, and the prober waits on it (as it waits on
 * StoreSink when the in-thread writer is behind). Chunks go at LINE_CHUNK bytes or FLUSH_MS after
 * their first line, whichever comes first, so a slow run's hosts reach the store within
 * FLUSH_MS plus StoreSink's own batch time.
 *
 * Failures: the thread warns (once, as StoreSink does) and marks the run failed itself; `finish`
 * says whether everything was stored. If the thread itself dies, this side warns once, stops
 * feeding, and `finish` reports the run lost. Open errors (bad URL, unreachable server, locked or
 * read-only file) reject `startWriterThread` with the thread's StoreError code and message, before
 * anything is probed.
 */
import { Worker } from 'node:worker_threads';
import { LineChunker, type LineChunk } from './line-feed.js';
import type { FromWorker, SinkWorkerData, ToWorker } from './sink-worker.js';
import { StoreError, type RunState } from './types.js';

type Code = ConstructorParameters<typeof StoreError>[0];
const asCode = (c: string, fallback: Code): Code => (/^E_STORE_[A-Z_]+$/.test(c) ? (c as Code) : fallback);

/** Chunks with the thread before `add` makes the prober wait (4 MB of lines at most). */
const MAX_IN_FLIGHT = 4;
/** A chunk goes to the thread at most this long after its first line (ms). */
const FLUSH_MS = 100;

/** The built worker module beside this one; null when running from TypeScript sources (tests). */
export function workerModule(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./sink-worker.js', import.meta.url) : null;
}

export interface WriterThread {
  readonly runId: number;
  readonly label: string;
  /** Store one NDJSON line (LF included). A promise when the prober must wait (backpressure). */
  add(line: string): Promise<void> | undefined;
  /** Send what is left, finish the run row; true when the run was not stored completely. */
  finish(finishedAt: string, state: RunState): Promise<boolean>;
  /** Close the store in the thread and end the thread. */
  close(): Promise<void>;
}

export function startWriterThread(url: URL, data: SinkWorkerData, warn: (message: string) => void): Promise<WriterThread> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: data });
    const chunker = new LineChunker();
    let n = 0;
    let inFlight = 0;
    /** Resolved when the thread takes a chunk: what a waiting prober waits on. */
    let roomWaiters: Array<() => void> = [];
    let finished: ((lost: boolean) => void) | null = null;
    let closed: (() => void) | null = null;
    let timer: NodeJS.Timeout | null = null;
    let dead = false;
    let started = false;
    /** The run's row and store, for what die() says; `rowDone` once the thread finished the run row. */
    let run = '';
    let rowDone = false;
    let rowLost = false;

    const wake = () => {
      const w = roomWaiters;
      roomWaiters = [];
      for (const f of w) f();
    };
    const die = (why: string) => {
      if (dead) return;
      dead = true;
      // The thread is gone, and with it the run's connection: nothing here can mark the run failed
      // (that would mean opening the store on this thread, which this mode exists to avoid), so
      // the warning says where the run stands, as CommittedRows.markFailed does when it cannot.
      if (started && rowDone) warn(`${why} (after finishing the run, before closing the store): run ${run} was ${rowLost ? 'finished already (the warnings above say how)' : 'stored completely'}`);
      else if (started) warn(`store write failed, the rest of this run is not stored (results output is unaffected): ${why}; run ${run} stays "running" in the store: diff leaves it out, and prune deletes it once it is a week old`);
      wake();
      finished?.(true);
      closed?.();
    };
    worker.on('error', (e) => {
      if (!started) reject(new StoreError('E_STORE_OPEN', `store writer thread failed to start: ${e instanceof Error ? e.message : String(e)}`));
      die(`store writer thread failed: ${e instanceof Error ? e.message : String(e)}`);
    });
    worker.on('exit', () => {
      if (!started) reject(new StoreError('E_STORE_OPEN', 'store writer thread ended before the store was open'));
      die('store writer thread ended');
    });
    const send = (m: ToWorker, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer);
    const sendChunk = (c: LineChunk) => {
      inFlight++;
      // Only work in flight keeps the process alive for the thread, never an idle writer.
      worker.ref();
      const ab = c.buf.buffer as ArrayBuffer;
      send({ t: 'lines', n: ++n, buf: ab, len: c.len }, [ab]);
    };
    const flush = () => {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      const c = chunker.take();
      if (c && !dead) sendChunk(c);
    };
    const idle = () => {
      if (inFlight === 0 && finished === null && closed === null) worker.unref();
    };

    worker.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        started = true;
        run = `${m.runId} in ${m.label}`;
        worker.unref();
        resolve({
          runId: m.runId,
          label: m.label,
          add(line) {
            if (dead) return undefined;
            for (const full of chunker.add(line)) sendChunk(full);
            if (chunker.pending > 0 && timer === null) {
              timer = setTimeout(flush, FLUSH_MS);
              // A run with nothing else to do is not kept alive by this timer: finish() flushes.
              timer.unref();
            }
            if (inFlight <= MAX_IN_FLIGHT) return undefined;
            return new Promise<void>((ok) => roomWaiters.push(ok));
          },
          finish(finishedAt, state) {
            flush();
            if (dead) return Promise.resolve(true);
            worker.ref();
            return new Promise<boolean>((ok) => {
              finished = ok;
              send({ t: 'finish', n: ++n, finishedAt, state });
            });
          },
          close() {
            if (dead) return Promise.resolve();
            worker.ref();
            return new Promise<void>((ok) => {
              closed = ok;
              send({ t: 'close' });
            });
          },
        });
      } else if (m.t === 'open-error') {
        started = true;
        dead = true;
        void worker.terminate();
        reject(new StoreError(asCode(m.code, 'E_STORE_OPEN'), m.message));
      } else if (m.t === 'taken') {
        inFlight--;
        chunker.reuse(Buffer.from(m.buf));
        if (inFlight <= MAX_IN_FLIGHT) wake();
        idle();
      } else if (m.t === 'warn') {
        warn(m.message);
      } else if (m.t === 'finished') {
        rowDone = true;
        rowLost = m.lost;
        const f = finished;
        finished = null;
        f?.(m.lost);
        idle();
      } else if (m.t === 'closed') {
        const c = closed;
        closed = null;
        dead = true;
        c?.();
      }
    });
  });
}
