/**
 * A store that fails in the middle of a run: the run goes on, warns once, writes its complete -o
 * output, and exits 1 (never 0 after losing output). The SQLite file is locked by this test (an
 * EXCLUSIVE transaction, a real second writer) after the probe process opened it and started probing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';
import { startResponder } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';
import { BIN, ROOT, runCliProcess } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-midrun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store failing mid-run', () => {
  // In the prober's thread (the default) and through the store writer thread (MXPROBE_STORE_WORKER=1).
  it.each(['0', '1'])('MXPROBE_STORE_WORKER=%s: warns once, keeps probing, writes -o completely, exits 1', async (worker) => {
    const policy = { hostname: 'mx.mid.test', banner: () => ({ code: 220, lines: ['mx.mid.test ESMTP'], delayMs: 400 }), tls: { key: LAB_KEY, cert: LAB_CERT } };
    const rcvs = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3'].map((host) => startResponder(policy, { host })));
    const rcv = { connections: () => rcvs.reduce((n, r) => n + r.connections(), 0), close: () => Promise.all(rcvs.map((r) => r.close())) };
    const db = join(dir, `mid-${worker}.db`);
    const out = join(dir, `out-${worker}.json`);
    const targets = rcvs.map((r) => `${r.host}:${r.port}`);
    let holder: Database.Database | null = null;
    try {
      const child = spawn(process.execPath, [BIN, 'probe', ...targets, '--helo', 'probe.example.test', '--concurrency', '1', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '-o', out, '--store', db], {
        cwd: ROOT,
        env: { ...process.env, MXPROBE_STORE_BUSY_MS: '200', MXPROBE_STORE_WORKER: worker },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      // The store is opened before the first connection: once a receiver sees one, lock the file.
      for (let i = 0; i < 600 && rcv.connections() === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(rcv.connections()).toBeGreaterThan(0);
      holder = new Database(db);
      holder.exec('BEGIN EXCLUSIVE');
      const code = await exited;
      expect(code, stderr).toBe(1);
      expect(stderr.match(/store write failed/g)).toHaveLength(1);
      expect(stderr).toMatch(/locked by another process/);
      const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      expect(run.targets.map((t) => t.hosts[0]?.probes[0]?.status)).toEqual(['success', 'success', 'success']);
      expect(rcv.connections()).toBe(3);
      // The lock is still held when the run ends: marking the run failed fails too, and says which
      // run stays "running".
      expect(stderr).toMatch(/store: run 1 in .*mid-\d\.db could not be marked failed either \(.*locked.*\): it stays "running" in the store/);
      holder.exec('ROLLBACK');
      holder.close();
      holder = null;
      const check = new Database(db, { readonly: true });
      expect(check.prepare('SELECT id, state FROM runs').all()).toEqual([{ id: 1, state: 'running' }]);
      check.close();
    } finally {
      holder?.exec('ROLLBACK');
      holder?.close();
      await rcv.close();
    }
  }, 120_000);

  // The lock goes away after the failed write (a full disk that was freed, a backup that let go):
  // the run is marked failed at its end, with the rows it stored, and diff/history/store runs see
  // it as failed, not as a run being written.
  it.each(['0', '1'])('MXPROBE_STORE_WORKER=%s: the run is marked failed at its end, with what was stored; diff leaves it out, history warns', async (worker) => {
    const policy = { hostname: 'mx.mid.test', banner: () => ({ code: 220, lines: ['mx.mid.test ESMTP'], delayMs: 700 }), tls: { key: LAB_KEY, cert: LAB_CERT } };
    const rcvs = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map((host) => startResponder(policy, { host })));
    const rcv = { connections: () => rcvs.reduce((n, r) => n + r.connections(), 0), close: () => Promise.all(rcvs.map((r) => r.close())) };
    const db = join(dir, `marked-${worker}.db`);
    const out = join(dir, `marked-${worker}.json`);
    const targets = rcvs.map((r) => `${r.host}:${r.port}`);
    // Two complete runs of the same targets before: the default diff pair must stay those two.
    const base = ['probe', ...targets, '--helo', 'probe.example.test', '--concurrency', '4', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '--store', db];
    for (const i of [1, 2]) {
      // Not spawnSync: the receivers answer from this process's event loop.
      const r = await runCliProcess([...base, '-o', join(dir, `marked-${worker}-${i}.json`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    let holder: Database.Database | null = null;
    try {
      const child = spawn(process.execPath, [BIN, ...base.map((a) => (a === '4' ? '1' : a)), '-o', out], {
        cwd: ROOT,
        env: { ...process.env, MXPROBE_STORE_BUSY_MS: '200', MXPROBE_STORE_WORKER: worker },
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      // Lock the file once the run's first batch is committed (a WAL reader never waits for the writer).
      const reader = new Database(db, { readonly: true });
      const stored = reader.prepare('SELECT count(*) AS n FROM hosts WHERE run_id = 3');
      for (let i = 0; i < 1500 && (stored.get() as { n: number }).n === 0; i++) await new Promise((r) => setTimeout(r, 10));
      reader.close();
      holder = new Database(db);
      holder.exec('BEGIN EXCLUSIVE');
      for (let i = 0; i < 600 && !/store write failed/.test(stderr); i++) await new Promise((r) => setTimeout(r, 20));
      holder.exec('ROLLBACK');
      holder.close();
      holder = null;
      const code = await exited;
      expect(code, stderr).toBe(1);
      expect(stderr.match(/store write failed/g)).toHaveLength(1);
      expect(stderr).toMatch(/store: run 3 in .*marked-\d\.db is marked failed: it holds \d+ host\(s\) of this run/);
      const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      expect(run.targets.map((t) => t.hosts[0]?.probes[0]?.status)).toEqual(['success', 'success', 'success', 'success']);
      const check = new Database(db, { readonly: true });
      const row = check.prepare('SELECT state, finished_at IS NOT NULL AS finished, host_count, probe_count, target_count, (SELECT count(*) FROM hosts WHERE run_id = 3) AS hosts, (SELECT count(*) FROM probes WHERE run_id = 3) AS probes, (SELECT count(*) FROM targets WHERE run_id = 3) AS targets FROM runs WHERE id = 3').get() as Record<string, number>;
      check.close();
      // The counts are of what the store holds, not of what was probed.
      // (1 host unless the machine is so slow that a second one was committed before the lock.)
      expect(row).toMatchObject({ state: 'failed', finished: 1 });
      expect(row['host_count']).toBeGreaterThan(0);
      expect(row['host_count']).toBe(row['hosts']);
      expect(row['probe_count']).toBe(row['probes']);
      expect(row['target_count']).toBe(row['targets']);
      const diff = spawnSync(process.execPath, [BIN, 'diff', '--store', db, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', env: process.env });
      expect(diff.stderr).toMatch(/warning: left out run 3: its store failed mid-run/);
      expect(diff.stdout).toMatch(/mxprobe diff: run 1 → run 2/);
      const history = spawnSync(process.execPath, [BIN, 'history', '127.0.0.1', '--store', db], { cwd: ROOT, encoding: 'utf8', env: process.env });
      expect(history.status, history.stderr).toBe(0);
      expect(history.stderr).toBe('mxprobe: warning: run 3 failed before it finished (the store failed mid-run): partial results\n');
      // Only the runs a history draws on are named: run 3 stored nothing of 127.0.0.4.
      const h4 = spawnSync(process.execPath, [BIN, 'history', '127.0.0.4', '--store', db], { cwd: ROOT, encoding: 'utf8', env: process.env });
      expect(h4.status, h4.stderr).toBe(0);
      expect(h4.stderr).toBe('');
    } finally {
      holder?.exec('ROLLBACK');
      holder?.close();
      await rcv.close();
    }
  }, 180_000);
});
