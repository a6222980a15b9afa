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
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
});
