/**
 * `probe --store` on SQLite checkpoints the WAL in a thread of its own (store/checkpointer.ts):
 * after a committed batch, the frames reach the database file without the writer's connection
 * checkpointing (its wal_autocheckpoint mark is far away) and before it closes.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { syntheticTarget } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Bytes of the database file itself. In WAL mode a commit appends to PATH-wal only; the database
 * file grows only when a checkpoint copies the frames into it (sqlite.org/wal.html#ckpt).
 */
const dbBytes = (path: string): number => statSync(path).size;

describe('SQLite WAL checkpoints off the prober thread', () => {
  // [backgroundCheckpoint, targets, whether the thread checkpoints]: a run under
  // CHECKPOINTER_AFTER_BYTES (1 MB of rows) never starts it.
  it.each([
    [true, 600, true],
    [false, 600, false],
    [true, 40, false],
  ] as const)('backgroundCheckpoint %s, %i hosts: WAL copied by the thread: %s; close leaves no WAL', async (background, n, copied) => {
    const path = join(dir, `ck-${background}-${n}.db`);
    const targets = Array.from({ length: n }, (_, i) => syntheticTarget(i));
    const store = await openStore(path, { cwd: dir, env: {}, backgroundCheckpoint: background });
    const w = await store.beginRun({ startedAt: new Date().toISOString(), toolVersion: 'test', options: {}, vantage: null, source: null });
    await w.writeBatch(
      targets.flatMap((t) => t.hosts.map((host) => ({ host, target: t }))),
      targets,
    );
    // Read through a second connection while the writer's is open: the WAL holds the batch.
    const reader = () => {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(reader()).toBe(n);
    const wal = statSync(`${path}-wal`).size;
    // The batch (hosts with their probe records) is far more than the empty schema's pages.
    expect(wal).toBeGreaterThan(100_000);
    if (copied) {
      // The thread copies the committed frames soon after the commit (poll, no timing claim).
      for (let i = 0; i < 400 && dbBytes(path) < 100_000; i++) await new Promise((r) => setTimeout(r, 50));
      expect(dbBytes(path)).toBeGreaterThan(100_000);
    } else {
      // Without the thread nothing copies them before close (the autocheckpoint mark is 10000 pages).
      expect(wal).toBeLessThan(10_000 * 4096);
      await new Promise((r) => setTimeout(r, 300));
      expect(dbBytes(path)).toBeLessThan(100_000);
    }
    await w.finish({ finishedAt: new Date().toISOString(), state: 'complete', targetCount: n, hostCount: n, probeCount: n, targetsDigest: 'x' });
    await store.close();
    // The last connection closed after a full checkpoint: SQLite removes the WAL file.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(reader()).toBe(n);
  }, 60_000);
});
