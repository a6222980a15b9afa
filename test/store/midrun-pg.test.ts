/**
 * A PostgreSQL server that dies in the middle of a `probe --store` run (pg_ctl stop -m immediate:
 * every backend killed, as a crash or an OOM kill does): the run goes on, warns once, writes its
 * complete -o output, and exits 1 (never 0 after losing output, never hanging on a dead
 * connection). Batches go through binary COPY on a pooled connection (store/pg.ts, pg-copy.ts):
 * the server kills that connection after its first batch committed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_CERT, LAB_KEY } from '../../src/lab/cert.js';
import { startResponder } from '../../src/lab/smtp-responder.js';
import type { RunResult } from '../../src/results.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-midrun-pg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(SKIP_PG)(`PostgreSQL dying mid-run${SKIP_PG ? ` (skipped: ${PG_REASON})` : ''}`, () => {
  // In the prober's thread and through the store writer thread; each case gets its own server, as
  // each stops it.
  let server: PgServer | null = null;
  afterAll(async () => server?.stop(), 60_000);

  it.each(['0', '1'])('MXPROBE_STORE_WORKER=%s: warns once, keeps probing, writes -o completely, exits 1, and says the run stays "running"', async (worker) => {
    await server?.stop();
    server = await startPg();
    await server.createDb('mid');
    // Five receivers, one at a time, each greeting after 700 ms: the sink's first batch (500 ms
    // after its first host) is committed while the later hosts are still being probed.
    const policy = { hostname: 'mx.mid.test', banner: () => ({ code: 220, lines: ['mx.mid.test ESMTP'], delayMs: 700 }), tls: { key: LAB_KEY, cert: LAB_CERT } };
    const rcvs = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((host) => startResponder(policy, { host })));
    const url = server.url('mid');
    const out = join(dir, `out-${worker}.json`);
    const probeCount = async (): Promise<number> => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        return Number((await c.query("SELECT count(*) AS n FROM probes WHERE to_regclass('probes') IS NOT NULL")).rows[0].n);
      } catch {
        return 0;
      } finally {
        await c.end().catch(() => {});
      }
    };
    try {
      const child = spawn(process.execPath, [BIN, 'probe', ...rcvs.map((r) => `${r.host}:${r.port}`), '--helo', 'probe.example.test', '--concurrency', '1', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '-o', out, '--store', url], { cwd: ROOT, env: { ...process.env, MXPROBE_STORE_WORKER: worker } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      // The first batch is in the database: the writer's pooled connection has done a COPY.
      let stored = 0;
      for (let i = 0; i < 300 && stored === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        stored = await probeCount();
      }
      expect(stored, stderr).toBeGreaterThan(0);
      await server.stop();
      const code = await exited;
      expect(code, stderr).toBe(1);
      expect(stderr.match(/store write failed/g), stderr).toHaveLength(1);
      const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      expect(run.targets.map((t) => t.hosts[0]?.probes[0]?.status)).toEqual(['success', 'success', 'success', 'success', 'success']);
      // Marking the run failed needs the server too: stderr says which run stays "running".
      expect(stderr).toMatch(/could not be marked failed either .*it stays "running" in the store/);
    } finally {
      await Promise.all(rcvs.map((r) => r.close()));
    }
  }, 120_000);
});
