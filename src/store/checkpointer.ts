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
 * fsyncs wait in that thread while the prober keeps probing, and close() finds nothing left to
 * copy. The rows written and their durability are the same: only where the copy runs changes.
 *
 * Optional by construction: when the thread cannot start (running from TypeScript sources, no
 * worker support) or dies, the writer's own connection checkpoints as before.
 */
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './checkpoint-worker.js';

export interface Checkpointer {
  /** A batch was committed: copy it into the database soon. Never blocks. */
  committed(): void;
  /** Checkpoint what is left and end the thread (before the writer's connection closes). */
  close(): Promise<void>;
}

/** The built worker module beside this one; null when running from TypeScript sources (tests). */
function workerUrl(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./checkpoint-worker.js', import.meta.url) : null;
}

export function startCheckpointer(data: CheckpointWorkerData): Checkpointer | null {
  const url = workerUrl();
  if (url === null) return null;
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: data });
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
