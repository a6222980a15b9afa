/**
 * A NEW SQLite store that cannot be written (a full disk) is refused before probing (exit 2, README) and
 * leaves nothing behind: the file better-sqlite3 created, and its -wal/-shm, are removed again. A leftover
 * 0-4 KiB "store" made the next `store runs` / `probe --store` fail with "disk I/O error" or "not a
 * database" instead of saying what happened. A store that existed before is never removed.
 *
 * The full disk is real: a 64 KiB tmpfs mounted for the test (root only; without root the test says
 * so and skips, and under CI=true, which runs as root, a skip is a failure).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { StoreError } from '../../src/store/types.js';

const ROOT_USER = process.getuid?.() === 0;
if (!ROOT_USER && process.env['CI'] === 'true') throw new Error('open-full-disk.test.ts needs root under CI=true (it mounts a tmpfs)');

describe.skipIf(!ROOT_USER)('a new SQLite store on a full disk (needs root: mounts a 64 KiB tmpfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxprobe-fulldisk-'));
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    // 40 KB of 64: too little left for the store's first 32 KiB page.
    writeFileSync(join(dir, 'fill'), Buffer.alloc(40_000));
  });
  afterAll(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused with a clear error, and no s.db, s.db-wal or s.db-shm is left behind', () => {
    const path = join(dir, 's.db');
    let err: unknown;
    try {
      openSqliteStore(path, { busyTimeoutMs: 1000 }).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/full|disk/i);
    expect(readdirSync(dir).filter((f) => f.startsWith('s.db'))).toEqual([]);
  });

  it('an existing file that cannot be opened as a store is left where it was', () => {
    const path = join(dir, 'old.db');
    writeFileSync(path, 'not a database, but somebody\'s file');
    expect(() => openSqliteStore(path, { busyTimeoutMs: 1000 })).toThrow(StoreError);
    expect(existsSync(path)).toBe(true);
  });

  it('an existing store on a disk that is full: the error says how much room is left, the file stays', () => {
    // A small plain SQLite file (rollback journal, 1 KiB pages), then the disk filled to the last byte:
    // switching it to WAL needs a -wal and -shm that cannot be made ("disk I/O error" alone, before).
    const path = join(dir, 'ex.db');
    const db = new Database(path);
    db.pragma('page_size = 1024');
    db.exec('CREATE TABLE t (x)');
    db.close();
    const fill = join(dir, 'fill-rest');
    const fd = openSync(fill, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(512));
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    let err: unknown;
    try {
      openSqliteStore(path, { busyTimeoutMs: 1000 }).close();
    } catch (e) {
      err = e;
    }
    rmSync(fill);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(new RegExp(`: (disk I/O error|database or disk is full); \\d+ bytes free on the file system holding ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(is it full\\?\\)`));
    expect(existsSync(path)).toBe(true);
  });
});
