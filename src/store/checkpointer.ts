/**
 * WAL checkpoints off the prober's thread, for `probe --store` on SQLite.
 *
 * In WAL mode every committed page is written twice: appended to the WAL at commit, then copied
 * into the database by a checkpoint, which fsyncs the WAL before and the database after
 * (sqlite.org/wal.html#ckpt). With synchronous=NORMAL the commit itself never syncs; the
 * checkpoint does, and on the writer's connection it runs inside the commit that crosses
 * wal_autocheckpoint and again in close(), blocking the prober's event loop for the fsyncs (a
 * 2000-host run: ~150 ms of wall at close, of which ~40 ms CPU; a 100k-host run: one such stall
 * per 40 MB of WAL). Here a thread with its own connection checkpoints after each commit, so the
 * fsyncs wait in that thread while the prober keeps probing, and close() finds little left to
 * copy. The rows written and their durability are the same: only where the copy runs changes.
 * PASSIVE never waits for a lock and never blocks the writer: the writer keeps appending while
 * frames are copied, and restarts the WAL from its start once all were copied.
 *
 * The price is the thread: ~50 ms of CPU to start a worker and load the driver in it (measured on
 * Node 20: an ES module worker cost ~75 ms, this CommonJS one given as source ~50 ms), and its
 * copying runs on a core the prober or the receivers would use. In isolation it took ~200 ms of
 * blocking off the writer's thread per 2000 hosts for +51 ms CPU; in whole `probe --store` runs on
 * the 2-core bench machine it lost (more wall and CPU than without), so `probe --store` uses it
 * only with MXPROBE_STORE_CHECKPOINT=thread (cli/store-hook.ts). Optional by construction: when
 * the thread cannot start or dies, the writer's own connection checkpoints as before
 * (wal_autocheckpoint, and on close).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointerData {
  path: string;
  busyTimeoutMs: number;
}

export interface Checkpointer {
  /** A batch was committed: copy it into the database soon. Never blocks. */
  committed(): void;
  /** Checkpoint what is left and end the thread (before the writer's connection closes). */
  close(): Promise<void>;
}

/**
 * The thread (CommonJS, run from source: no module loader to start). Protocol: parent → 'ckpt'
 * (after a commit) | 'close'; the thread checkpoints (several commits while one checkpoint ran
 * need one more, not several), and on 'close' checkpoints once more, closes its connection (not
 * the last one: closing does not checkpoint again) and ends. Same durability as the writer's:
 * synchronous=NORMAL (sqlite.org/pragma.html#pragma_synchronous); this connection writes no rows,
 * so it never checkpoints on its own (wal_autocheckpoint = 0).
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.lib);
const db = new Database(workerData.path, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
db.pragma('synchronous = NORMAL');
db.pragma('wal_autocheckpoint = 0');
let wanted = false;
let running = false;
const checkpoint = () => {
  running = true;
  while (wanted) {
    wanted = false;
    db.pragma('wal_checkpoint(PASSIVE)');
  }
  running = false;
};
parentPort.on('message', (m) => {
  wanted = true;
  if (m === 'close') {
    checkpoint();
    db.close();
    parentPort.close();
    return;
  }
  if (!running) setImmediate(checkpoint);
});
`;

/**
 * Bytes of rows committed before the thread is started. A small run (a cron audit of a few dozen
 * hosts) leaves a small WAL, whose checkpoint at close costs less than starting the thread.
 */
export const CHECKPOINTER_AFTER_BYTES = 1 << 20;

/**
 * A checkpointer started only once `after` bytes of rows were committed (committed(bytes)); until
 * then, and when it cannot start, the writer's connection checkpoints as before.
 */
export function lazyCheckpointer(data: CheckpointerData, after = CHECKPOINTER_AFTER_BYTES): { committed(bytes: number): void; close(): Promise<void> } {
  let ck: Checkpointer | null = null;
  let bytes = 0;
  let tried = false;
  return {
    committed(n) {
      bytes += n;
      if (!tried && bytes >= after) {
        tried = true;
        ck = startCheckpointer(data);
      }
      ck?.committed();
    },
    close: async () => ck?.close(),
  };
}

export function startCheckpointer(data: CheckpointerData): Checkpointer | null {
  let worker: Worker;
  try {
    const lib = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(SOURCE, { eval: true, workerData: { ...data, lib } });
  } catch {
    return null;
  }
  let alive = true;
  let closed: Promise<void> | null = null;
  const ended = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      alive = false;
      resolve();
    });
  });
  // A failing checkpointer is not the run's problem: the writer's connection checkpoints instead.
  worker.on('error', () => {
    alive = false;
  });
  // Idle, the thread must not keep a finished run's process alive; close() waits for it.
  worker.unref();
  return {
    committed() {
      if (alive) worker.postMessage('ckpt');
    },
    close() {
      closed ??= (async () => {
        if (!alive) return;
        worker.ref();
        worker.postMessage('close');
        await ended;
      })();
      return closed;
    },
  };
}
