/**
 * Several `probe --store NEW` processes started together on a store that does not exist yet (a
 * cron line fanned out, or a CI matrix): each finds schema version 0, and without a lock taken
 * before the version is read, each would create the tables (one fails with "table … already
 * exists", a duplicate key in schema_migrations, or a busy error that is not the clear "locked for
 * more than N ms"). SQLite takes its write lock first (BEGIN IMMEDIATE, store/sqlite.ts migrate),
 * PostgreSQL a transaction-scoped advisory lock (store/pg.ts). Real CLI processes, real files and
 * a real PostgreSQL cluster on loopback; every run must land, complete, in a store of one schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { runCliProcess } from '../helpers/cli.js';
import { startPolicyServer, type PolicyServer } from '../helpers/smtp-server.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-create-race-'));
const PROCS = 3;
const ROUNDS = 4;
const LATEST = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
let mx: PolicyServer;
beforeAll(async () => {
  mx = await startPolicyServer({ tls: false });
});
afterAll(async () => {
  await mx.close();
  rmSync(dir, { recursive: true, force: true });
});

const probeArgs = (store: string, out: string) => [
  'probe', `127.0.0.1:${mx.port}`, '--helo', 'probe.example.test', '--stop-after', 'ehlo', '--host-gap', '0', '--no-alignment', '--quiet', '--format', 'json', '-o', out, '--store', store,
];

/** PROCS processes on one new store, started together; each must exit 0 with nothing on stderr. */
async function together(store: string, tag: string): Promise<void> {
  const runs = await Promise.all(Array.from({ length: PROCS }, (_, i) => runCliProcess(probeArgs(store, join(dir, `${tag}-${i}.json`)), { timeoutMs: 60_000 })));
  for (const r of runs) {
    expect(r.code, `${tag}: ${r.stderr}`).toBe(0);
    expect(r.stderr, tag).toBe('');
  }
  const list = await runCliProcess(['store', 'runs', '--store', store, '--json']);
  expect(list.code, list.stderr).toBe(0);
  const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { state: string; hostCount: number });
  expect(rows.filter((x) => x.state === 'complete' && x.hostCount === 1), tag).toHaveLength(PROCS);
}

describe('several processes create one new store at the same moment', () => {
  it(`SQLite: ${ROUNDS} rounds of ${PROCS} probe --store on a new file; every run lands, each migration applied once`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `new-${round}.db`);
      await together(file, `sqlite-${round}`);
      const db = new Database(file, { readonly: true });
      try {
        const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
        expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
      } finally {
        db.close();
      }
    }
  }, 300_000);

  describe.skipIf(SKIP_PG)('PostgreSQL', () => {
    let pg: PgServer;
    beforeAll(async () => {
      pg = await startPg();
    }, 120_000);
    afterAll(async () => {
      await pg?.stop();
    });

    it(`${ROUNDS} rounds of ${PROCS} probe --store on a new database; every run lands, each migration applied once`, async () => {
      const pgmod = await import('pg');
      for (let round = 0; round < ROUNDS; round++) {
        const name = `race${round}`;
        await pg.createDb(name);
        await together(pg.url(name), `pg-${round}`);
        const c = new pgmod.default.Client({ connectionString: pg.url(name) });
        await c.connect();
        try {
          const v = await c.query('SELECT version FROM schema_migrations ORDER BY version');
          expect(v.rows.map((r: { version: number }) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
          expect(v.rows.at(-1)?.version).toBe(LATEST);
        } finally {
          await c.end();
        }
      }
    }, 300_000);
  });
  if (SKIP_PG) console.warn(`[store] create-race PostgreSQL case SKIPPED: ${PG_REASON}`);
});
