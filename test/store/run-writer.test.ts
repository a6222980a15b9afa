/**
 * Migration 10: a run written by `probe --store` records its writer's host and pid, so `store
 * runs` tells a run whose process is gone ("running (pid N on HOST: no such process)") from one
 * being written ("running (pid N on HOST)"). Imports record none. Real SQLite files, a real
 * `probe --store` process killed with SIGKILL, and (as root, with Debian's PostgreSQL) a real
 * PostgreSQL cluster.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { openStore } from '../../src/store/open.js';
import { runStateText, writerLiveness } from '../../src/store/run-writer.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { PG_REASON, SKIP_PG, startPg } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-run-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = join(import.meta.dirname, '..', 'fixtures', 'results');
const HERE = hostname();

function storeRuns(db: string, json = false): string {
  const r = spawnSync(process.execPath, [BIN, 'store', 'runs', '--store', db, ...(json ? ['--json'] : [])], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('runs.writer_host / writer_pid (SQLite)', () => {
  it('a probe --store killed outright: "running (pid N on HOST: no such process)"', async () => {
    // A banner that takes 30 s: the run row exists long before the probe could finish.
    const rcv = await startResponder({ hostname: 'mx.writer.test', banner: () => ({ code: 220, lines: ['mx.writer.test ESMTP'], delayMs: 30_000 }) }, { host: '127.0.0.1' });
    const db = join(dir, 'killed.db');
    try {
      const child = spawn(process.execPath, [BIN, 'probe', `${rcv.host}:${rcv.port}`, '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--no-starttls', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'ndjson', '-o', join(dir, 'out.ndjson'), '--store', db], { cwd: ROOT });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, sig) => r(sig)));
      let rows = 0;
      for (let i = 0; i < 400 && rows === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          const d = new Database(db, { readonly: true });
          try {
            rows = (d.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
          } finally {
            d.close();
          }
        } catch {
          // Not created or not migrated yet.
        }
      }
      expect(rows).toBe(1);
      // While it runs: its pid, alive.
      const live = JSON.parse(storeRuns(db, true).trim()) as { state: string; writerHost: string; writerPid: number };
      expect(live).toMatchObject({ state: 'running', writerHost: HERE, writerPid: child.pid });
      expect(storeRuns(db)).toContain(`running (pid ${child.pid} on ${HERE})`);
      expect(storeRuns(db)).not.toContain('no such process');
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(storeRuns(db)).toContain(`running (pid ${child.pid} on ${HERE}: no such process)`);
      // diff names the dead writer too when given the run.
      const diff = spawnSync(process.execPath, [BIN, 'diff', '1', '1', '--store', db], { cwd: ROOT, encoding: 'utf8' });
      expect(diff.stderr).toContain(`run 1 has not finished: its writer (pid ${child.pid} on ${HERE}) is gone`);
    } finally {
      await rcv.close();
    }
  }, 60_000);

  it('an import records no writer; a run of this (live) process reads as alive', async () => {
    const db = join(dir, 'import.db');
    const imp = spawnSync(process.execPath, [BIN, 'store', 'import', join(FIX, 'sample-run.json'), '--store', db], { cwd: ROOT, encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
    const store = await openStore(db, { cwd: dir, env: {} });
    try {
      const [imported] = await store.listRuns(10);
      expect(imported).toMatchObject({ writerHost: null, writerPid: null });
      await store.beginRun({ startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null });
      const [mine] = await store.listRuns(1);
      expect(mine).toMatchObject({ state: 'running', writerHost: HERE, writerPid: process.pid });
      expect(writerLiveness(mine!)).toBe('alive');
      expect(runStateText(mine!)).toBe(`running (pid ${process.pid} on ${HERE})`);
      // Another host's pid cannot be checked from here: never called gone.
      expect(writerLiveness({ writerHost: 'elsewhere.example', writerPid: 1 })).toBe('elsewhere');
      expect(runStateText({ ...mine!, writerHost: 'elsewhere.example' }, HERE)).toBe(`running (pid ${process.pid} on elsewhere.example)`);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(SKIP_PG)(`runs.writer_host / writer_pid (PostgreSQL)${PG_REASON ? ` (${PG_REASON})` : ''}`, () => {
  it('beginRun records this process; an import none', async () => {
    const pg = await startPg();
    try {
      await pg.createDb('writer');
      const url = pg.url('writer');
      const store = await openStore(url, { cwd: dir, env: {} });
      try {
        await store.beginRun({ startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null });
        await store.beginImport({ startedAt: '2026-05-02T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: 'x.json' });
        const runs = await store.listRuns(10);
        const probe = runs.find((r) => r.source === null)!;
        const imported = runs.find((r) => r.source === 'x.json')!;
        expect(probe).toMatchObject({ writerHost: HERE, writerPid: process.pid });
        expect(imported).toMatchObject({ writerHost: null, writerPid: null });
      } finally {
        await store.close();
      }
    } finally {
      await pg.stop();
    }
  }, 120_000);
});
