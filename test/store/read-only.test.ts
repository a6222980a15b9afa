/**
 * The readers (diff, history, store runs) open an SQLite store read-only: a store on a read-only
 * mount, or one another user owns (a cron job's root-owned audit.db read by an admin), can be read.
 * A WAL store whose directory is not writable has no -shm to share, so it is opened immutable when
 * its WAL is empty, and refused with what to do when the WAL holds transactions. `probe --store`
 * on such a store still fails before probing (issue 16, "Bad input").
 *
 * Root writes through file modes, so the reader runs as `nobody` (runuser, as cli.test.ts does), or
 * as root on a read-only bind mount in a private mount namespace (unshare -m).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCliProcess } from '../helpers/cli.js';

const ROOT = process.getuid?.() === 0;
const HAVE = ROOT && ['/usr/sbin/runuser', '/sbin/runuser'].some((p) => existsSync(p)) && ['/usr/bin/unshare', '/bin/unshare'].some((p) => existsSync(p));
// Skipped only where it cannot run (not root, or util-linux's runuser/unshare missing), with the
// reason; CI runs as root with util-linux, so there a skip is a failure.
const WHY_NOT = HAVE ? null : !ROOT ? 'needs root (a read-only bind mount, runuser)' : 'needs util-linux runuser and unshare';
if (WHY_NOT !== null && process.env['CI'] === 'true') throw new Error(`read-only store tests must run in CI: ${WHY_NOT}`);
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');

const base = mkdtempSync(join(tmpdir(), 'mxprobe-store-ro-'));
chmodSync(base, 0o755);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function asNobody(args: string[]): Run {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As root, with `dir` bind-mounted read-only over itself in a mount namespace of this command only. */
function onReadOnlyMount(dir: string, args: string[]): Run {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', dir, process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory only root may write, holding a store of two imported runs (the writer closed it: no -wal). */
function storeDir(name: string): { dir: string; db: string } {
  const dir = join(base, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  return { dir, db: join(dir, 'audit.db') };
}

let ref: { runs: string; history: string; diff: string; diffCode: number | null };
let closed: { dir: string; db: string };

beforeAll(async () => {
  if (!HAVE) return;
  closed = storeDir('closed');
  const imp = await runCliProcess(['store', 'import', join(FIX, 'sample-run.json'), join(FIX, 'sample-run.ndjson'), '--store', closed.db]);
  expect(imp.code, imp.stderr).toBe(0);
  expect(existsSync(`${closed.db}-wal`)).toBe(false);
  // What root reads from a writable copy: the readers below must print exactly this.
  const copy = join(base, 'copy.db');
  copyFileSync(closed.db, copy);
  const runs = await runCliProcess(['store', 'runs', '--store', copy]);
  const history = await runCliProcess(['history', 'example.com', '--store', copy]);
  const diff = await runCliProcess(['diff', '--store', copy, '--format', 'json']);
  for (const r of [runs, history]) expect(r.code, r.stderr).toBe(0);
  // The sample holds a failed probe: that diff is inconclusive (exit 1) whoever reads it.
  expect(diff.code, diff.stderr).toBe(1);
  // The same output, but for the store's own path where it names it.
  const named = (s: string) => s.replaceAll(copy, closed.db);
  ref = { runs: named(runs.stdout), history: named(history.stdout), diff: named(diff.stdout), diffCode: diff.code };
  expect(ref.history).toContain('example.com');
}, 120_000);

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!HAVE)(`reading a store the reader may not write${WHY_NOT !== null ? ` (skipped: ${WHY_NOT})` : ''}`, () => {
  const NOTE = /^mxprobe: note: store .*audit\.db: its directory is not writable, so it was opened immutable/m;

  it('as another user (the directory and the file are root\'s): store runs, history and diff read it, immutable', () => {
    const runs = asNobody(['store', 'runs', '--store', closed.db]);
    expect(runs.status, runs.stderr).toBe(0);
    expect(runs.stdout).toBe(ref.runs);
    expect(runs.stderr).toMatch(NOTE);
    const history = asNobody(['history', 'example.com', '--store', closed.db]);
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout).toBe(ref.history);
    const diff = asNobody(['diff', '--store', closed.db, '--format', 'json']);
    expect(diff.status, diff.stderr).toBe(ref.diffCode);
    expect(diff.stdout).toBe(ref.diff);
    // Nothing was created beside the store.
    expect(existsSync(`${closed.db}-wal`) || existsSync(`${closed.db}-shm`)).toBe(false);
  });

  it('on a read-only mount, as root: the same', () => {
    const runs = onReadOnlyMount(closed.dir, ['store', 'runs', '--store', closed.db]);
    expect(runs.status, runs.stderr).toBe(0);
    expect(runs.stdout).toBe(ref.runs);
    const diff = onReadOnlyMount(closed.dir, ['diff', '--store', closed.db, '--format', 'json']);
    expect(diff.status, diff.stderr).toBe(ref.diffCode);
    expect(diff.stdout).toBe(ref.diff);
    expect(diff.stderr).toMatch(NOTE);
  });

  it('while its writer is active (a -wal with transactions and its -shm beside it): read through the -shm, with the WAL\'s rows, no note', () => {
    const { db } = storeDir('live');
    copyFileSync(closed.db, db);
    const writer = new Database(db);
    try {
      writer.pragma('journal_mode = WAL');
      writer.pragma('wal_autocheckpoint = 0');
      // A third run that exists only in the WAL: an immutable open would not see it.
      writer.prepare("UPDATE runs SET source = 'only-in-the-wal' WHERE id = (SELECT MAX(id) FROM runs)").run();
      expect(existsSync(`${db}-shm`)).toBe(true);
      const runs = asNobody(['store', 'runs', '--store', db]);
      expect(runs.status, runs.stderr).toBe(0);
      expect(runs.stdout).toContain('only-in-the-wal');
      expect(runs.stderr).toBe('');
    } finally {
      writer.close();
    }
  });

  it('a -wal with transactions but no -shm in a read-only directory: refused with what to do, never read without the WAL', () => {
    const live = storeDir('walonly-src');
    copyFileSync(closed.db, live.db);
    const writer = new Database(live.db);
    const { dir, db } = storeDir('walonly');
    try {
      writer.pragma('journal_mode = WAL');
      writer.pragma('wal_autocheckpoint = 0');
      writer.prepare("UPDATE runs SET source = 'only-in-the-wal' WHERE id = (SELECT MAX(id) FROM runs)").run();
      copyFileSync(live.db, db);
      copyFileSync(`${live.db}-wal`, `${db}-wal`);
    } finally {
      writer.close();
    }
    const r = onReadOnlyMount(dir, ['store', 'runs', '--store', db]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/audit\.db: open to read: .*its WAL \(.*audit\.db-wal, \d+ bytes\) holds transactions .*read it where its directory is writable/);
    expect(r.stdout).toBe('');
  });

  it('a file the reader may not read: said so, exit 2', () => {
    const { db } = storeDir('secret');
    copyFileSync(closed.db, db);
    chmodSync(db, 0o600);
    const r = asNobody(['store', 'runs', '--store', db]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/audit\.db: open to read: cannot read the file \(EACCES\)/);
  });

  it('probe --store on a read-only mount still fails before probing: exit 2, no -o', () => {
    const out = join(base, 'probe-out.json');
    // 127.0.0.1:9 (discard): never reached, the store is refused first.
    const r = onReadOnlyMount(closed.dir, ['probe', '127.0.0.1:9', '--helo', 'probe.example.test', '--quiet', '--format', 'json', '-o', out, '--store', closed.db]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/audit\.db: open: cannot write/);
    expect(existsSync(out)).toBe(false);
  });
});
