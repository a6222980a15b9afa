/**
 * The WAL checkpointer thread of an SQLite `probe --store` (checkpointer.ts). Its own connection
 * to the same file copies committed WAL frames into the database (PRAGMA wal_checkpoint(PASSIVE),
 * sqlite.org/pragma.html#pragma_wal_checkpoint) each time the prober's thread says it committed,
 * so the copy and its two fsyncs block this thread, not the prober's event loop. PASSIVE never
 * waits for a lock and never blocks the writer (sqlite.org/wal.html#ckpt): the writer keeps
 * appending while frames are copied, and restarts the WAL from its start once all were copied.
 *
 * Protocol: parent → 'ckpt' (after a commit) | 'close'; worker → 'closed' (after its last
 * checkpoint and its connection closed). Any failure ends the thread quietly: the prober's own
 * connection then checkpoints as before (wal_autocheckpoint and on close).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

export interface CheckpointWorkerData {
  path: string;
  busyTimeoutMs: number;
}

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs as a worker thread');
const data = workerData as CheckpointWorkerData;
const db = new Database(data.path, { fileMustExist: true, timeout: data.busyTimeoutMs });
// The same durability as the writer's: a checkpoint syncs the WAL before copying and the
// database after (synchronous=NORMAL, sqlite.org/pragma.html#pragma_synchronous).
db.pragma('synchronous = NORMAL');
// This connection never writes rows: no automatic checkpoints of its own.
db.pragma('wal_autocheckpoint = 0');

let wanted = false;
let running = false;
const checkpoint = (): void => {
  running = true;
  // Several commits while one checkpoint ran need one more checkpoint, not several.
  while (wanted) {
    wanted = false;
    db.pragma('wal_checkpoint(PASSIVE)');
  }
  running = false;
};

port.on('message', (m: 'ckpt' | 'close') => {
  if (m === 'close') {
    wanted = true;
    checkpoint();
    // Not the last connection (the writer's is still open): closing does not checkpoint again.
    db.close();
    port.postMessage('closed');
    port.close();
    return;
  }
  wanted = true;
  // Let the messages already queued arrive first, so a burst of commits costs one checkpoint.
  if (!running) setImmediate(checkpoint);
});
