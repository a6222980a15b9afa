/**
 * A `probe --store` process killed outright (SIGKILL) in the middle of a run, with its WAL being
 * checkpointed by the store's checkpointer thread (store/checkpointer.ts; MXPROBE_STORE_CHECKPOINT=
 * thread starts it at the first commit instead of after 1 MB): the SQLite file is
 * intact (integrity_check), the batches committed before the kill are all there, and `store runs`
 * lists the run as still running with the counts it really holds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startResponder } from '../../src/lab/smtp-responder.js';
import { BIN, ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-killed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = (path: string, sql: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('probe --store killed mid-run (SQLite)', () => {
  it('SIGKILL after some batches: file intact, committed hosts kept, run listed as running with real counts', async () => {
    // Slow receivers, one at a time: the run lasts long enough to be killed between batches.
    const policy = { hostname: 'mx.killed.test', banner: () => ({ code: 220, lines: ['mx.killed.test ESMTP'], delayMs: 300 }) };
    const hosts = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 1}`);
    const rcvs = await Promise.all(hosts.map((host) => startResponder(policy, { host })));
    const db = join(dir, 'killed.db');
    try {
      const child = spawn(process.execPath, [BIN, 'probe', ...rcvs.map((r) => `${r.host}:${r.port}`), '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--no-starttls', '--concurrency', '1', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'ndjson', '-o', join(dir, 'out.ndjson'), '--store', db], { cwd: ROOT, env: { ...process.env, MXPROBE_STORE_CHECKPOINT: 'thread' } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, sig) => r(sig)));
      // Wait for at least two committed hosts (a batch closes 500 ms after its first host).
      let seen = 0;
      for (let i = 0; i < 600 && seen < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          seen = count(db, 'SELECT count(*) AS n FROM hosts');
        } catch {
          // Not created or not migrated yet.
        }
      }
      expect(seen, stderr).toBeGreaterThanOrEqual(2);
      // The checkpointer thread (started at the first commit here) has copied frames into the
      // database file itself: it grows only by checkpoints (sqlite.org/wal.html#ckpt).
      for (let i = 0; i < 200 && statSync(db).size < 32_768; i++) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(db).size).toBeGreaterThanOrEqual(32_768);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const ok = new Database(db, { readonly: true });
      try {
        expect(ok.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        ok.close();
      }
      const stored = count(db, 'SELECT count(*) AS n FROM hosts');
      expect(stored).toBeGreaterThanOrEqual(seen);
      expect(stored).toBeLessThan(hosts.length);
      const runs = spawnSync(process.execPath, [BIN, 'store', 'runs', '--store', db, '--json'], { cwd: ROOT, encoding: 'utf8' });
      expect(runs.status, runs.stderr).toBe(0);
      const row = JSON.parse(runs.stdout.trim()) as { state: string; hostCount: number; probeCount: number };
      expect(row.state).toBe('running');
      expect(row.hostCount).toBe(stored);
      expect(row.probeCount).toBe(count(db, 'SELECT count(*) AS n FROM probes'));
    } finally {
      await Promise.all(rcvs.map((r) => r.close()));
    }
  }, 120_000);
});
