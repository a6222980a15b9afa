/**
 * A store that fails in the middle of a run: the run goes on, warns once, writes its complete -o
 * output, and exits 1 (never 0 after losing output). The SQLite file is locked by this test (an
 * EXCLUSIVE transaction, a real second writer) after the probe process opened it and started probing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';
import { startResponder } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';
import { BIN, ROOT } from '../helpers/cli.js';

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
    } finally {
      holder?.exec('ROLLBACK');
      holder?.close();
      await rcv.close();
    }
  }, 120_000);
});
