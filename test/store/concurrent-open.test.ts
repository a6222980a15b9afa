/**
 * Several processes creating one new SQLite store at the same moment (issue 16: "two `probe
 * --store` processes writing to one SQLite file must not corrupt it"; a CI run of cli.test.ts saw
 * one of two such processes fail with "database locked" at the open). Switching a new file to WAL
 * takes a write lock while holding a read lock, a step SQLite's busy timeout does not cover
 * (store/sqlite.ts retryBusy). Real processes on real files in a temporary directory.
 *
 * The first two tests make the contention certain: another process holds the write lock of the
 * new file (as one switching it to WAL does) while this one opens it. Before the fix both failed
 * every time (SQLITE_BUSY after ~10 ms). The third is the race itself, repeated: children that stay
 * up between rounds (the built store in dist/, as the CLI tests use it), so that each round starts
 * all opens within a few milliseconds of each other instead of one node start-up apart; before the
 * fix about 3% of rounds failed (2 of 3 runs of 40 rounds, session 8). It also checks that no
 * process's run or hosts are lost.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { StoreError } from '../../src/store/types.js';
import { syntheticTarget } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-concurrent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROCS = 6;
const ROUNDS = 30;

// A child: imports the built store once, then for each "go" line opens the store it names,
// writes one run of the hosts it was given through StoreSink (as `probe --store` does) and closes.
const CHILD = `
import { createInterface } from 'node:readline';
const { openSqliteStore } = await import(process.argv[1] + '/dist/store/sqlite.js');
const { StoreSink } = await import(process.argv[1] + '/dist/store/sink.js');
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
say({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const { path, target } = JSON.parse(line);
  try {
    const store = openSqliteStore(path, { busyTimeoutMs: 15000 });
    const warnings = [];
    const sink = await StoreSink.start(store, { startedAt: new Date().toISOString(), toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: (m) => warnings.push(m), batchSize: 5 });
    for (const h of target.hosts) await sink.host(h, { input: target.input, origin: target.origin, kind: target.kind, domain: target.domain, mx: target.mx });
    await sink.target(target);
    await sink.finish(new Date().toISOString(), 'complete');
    await store.close();
    say({ ok: warnings.length === 0, error: warnings.join('; ') || null, runId: sink.runId });
  } catch (e) {
    say({ ok: false, error: String(e && e.message) });
  }
}
`;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  next: () => Promise<{ ready?: boolean; ok?: boolean; error?: string | null; runId?: number }>;
}

function startChild(): Child {
  if (!existsSync(join(ROOT, 'dist/store/sqlite.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  const proc = spawn(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(ROOT).href.replace(/\/$/, '')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  return {
    proc,
    next: async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`child exited: ${stderr}`);
      return JSON.parse(r.value) as { ready?: boolean; ok?: boolean; error?: string | null; runId?: number };
    },
  };
}

// Another process in the middle of creating the store: it holds the write lock of a new
// (rollback-journal) file, as a process switching it to WAL does, for HOLD_MS, then commits.
const HOLDER = `
const Database = (await import('node:module')).createRequire(process.argv[1] + '/package.json')('better-sqlite3');
const db = new Database(process.argv[2]);
db.pragma('page_size = 32768');
db.exec('BEGIN IMMEDIATE');
db.exec('CREATE TABLE holder_was_here (x)');
process.stdout.write('locked\\n');
await new Promise((r) => setTimeout(r, Number(process.argv[3])));
db.exec('COMMIT');
db.close();
`;

/** Resolves once the lock is held; `exited` then resolves when the holder has committed and exited. */
async function holdWriteLock(path: string, holdMs: number): Promise<{ exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', HOLDER, ROOT.replace(/\/$/, ''), path, String(holdMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => proc.on('close', r));
  const first = await createInterface({ input: proc.stdout })[Symbol.asyncIterator]().next();
  expect(first.value).toBe('locked');
  // Wrapped: an async function returning the promise itself would wait for it.
  return { exited };
}

describe('SQLite: another process holds the lock of a new store being created', () => {
  it('the open waits for it (within the busy timeout) instead of failing at once, and keeps its work', async () => {
    const path = join(dir, 'held.db');
    const { exited } = await holdWriteLock(path, 600);
    const t0 = Date.now();
    const store = openSqliteStore(path, { busyTimeoutMs: 15_000 });
    const waited = Date.now() - t0;
    await store.close();
    expect(await exited).toBe(0);
    // It waited for the holder's commit (not an error ~1 ms later, as before the fix).
    expect(waited).toBeGreaterThan(300);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('holder_was_here', 'runs') ORDER BY name").all()).toEqual([{ name: 'holder_was_here' }, { name: 'runs' }]);
    } finally {
      db.close();
    }
  });

  it('a lock held longer than the busy timeout: E_STORE_LOCKED after the timeout, and the file is left alone', async () => {
    const path = join(dir, 'held-long.db');
    const { exited } = await holdWriteLock(path, 2500);
    const t0 = Date.now();
    let err: unknown = null;
    try {
      openSqliteStore(path, { busyTimeoutMs: 800 });
    } catch (e) {
      err = e;
    }
    const waited = Date.now() - t0;
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('E_STORE_LOCKED');
    // "locked … for more than 800 ms" is true: it did wait that long.
    expect(waited).toBeGreaterThanOrEqual(800);
    expect(await exited).toBe(0);
    expect(existsSync(path)).toBe(true);
    const db = new Database(path, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'holder_was_here'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});

describe('SQLite: many processes create one new store at once', () => {
  it(`${PROCS} processes x ${ROUNDS} rounds: every open succeeds and every run lands`, async () => {
    const children = Array.from({ length: PROCS }, startChild);
    try {
      for (const c of children) expect((await c.next()).ready).toBe(true);
      const failures: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const path = join(dir, `r${round}.db`);
        // Each process its own hosts (2 per target): a lost run or host shows in the counts.
        const targets = children.map((_, i) => syntheticTarget(round * PROCS + i));
        const replies = children.map((c) => c.next());
        children.forEach((c, i) => c.proc.stdin.write(JSON.stringify({ path, target: targets[i] }) + '\n'));
        for (const r of await Promise.all(replies)) if (r.ok !== true) failures.push(`round ${round}: ${r.error}`);
        const db = new Database(path, { readonly: true });
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
          const runs = db.prepare("SELECT count(*) AS n FROM runs WHERE state = 'complete'").get() as { n: number };
          const hosts = db.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number };
          const want = targets.reduce((n, t) => n + t.hosts.length, 0);
          if (failures.length === 0) {
            expect(runs.n).toBe(PROCS);
            expect(hosts.n).toBe(want);
          }
        } finally {
          db.close();
        }
      }
      expect(failures).toEqual([]);
    } finally {
      for (const c of children) c.proc.kill();
    }
  }, 180_000);
});
