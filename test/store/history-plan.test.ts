/**
 * `history TARGET` on a store of 100k hosts reads hosts by index, never by a scan of every stored
 * host (migration 7, sqlite.ts HISTORY_SQL_SQLITE, pg.ts HISTORY_SQL_PG): the query plan of both
 * databases, on 100,000 host rows spread over 10 runs and with the planner's statistics gathered
 * (ANALYZE), and the rows it finds equal to those of the plain OR over the columns.
 *
 * The rows are made by SQL (generate_series / a recursive CTE), not by probing: only the keys
 * matter to the plan; their records are small placeholders.
 *
 * The same for `history DOMAIN`'s target records (TARGET_HISTORY_SQL_*): 100,000 target rows
 * (each run's 10,000 targets), read run by run through targets_run_key since migration 9 dropped
 * the index on tkey alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_SQL_PG, openPgStore, TARGET_HISTORY_SQL_PG } from '../../src/store/pg.js';
import { HISTORY_SQL_SQLITE, openSqliteStore, TARGET_HISTORY_SQL_SQLITE } from '../../src/store/sqlite.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-hplan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTS = 100_000;
const RUNS = 10;
/**
 * Host i of the generated store: target d<i%10000>.example (so each target is in every run),
 * exchange MX<i%10000>.d<i%10000>.example (upper case: the query lower-cases for the key),
 * IP 10.<…>; run 1 + i/10000.
 */
const GEN = (i: string, seq: string, cat: (...xs: string[]) => string, sep: string) => {
  const t = cat(`'d'`, `(${i} % 10000)`, `'.example'`);
  const ex = cat(`'MX'`, `(${i} % 10000)`, `'.d'`, `(${i} % 10000)`, `'.example'`);
  const ip = cat(`'10.'`, `(${i} / 65536 % 256)`, `'.'`, `(${i} / 256 % 256)`, `'.'`, `(${i} % 256)`);
  return { run: `1 + ${i} / 10000`, hkey: cat(t, sep, `lower(${ex})`, sep, ip, sep, `'25'`), t, ex, ip, seq };
};

/** What the query must find: the plain OR of migration 1's history (a scan), for comparison. */
const OR_SQL = (p: (n: number) => string) => `SELECT h.id FROM hosts h JOIN runs r ON r.id = h.run_id
  WHERE h.domain = ${p(1)} OR h.tkey = ${p(1)} OR h.exchange = ${p(1)} OR h.exchange = ${p(2)} OR h.ip = ${p(2)} ORDER BY h.hkey, r.started_at, h.id`;

/** Queries, and whether they find something (an exchange is matched as stored or in lower case). */
const QUERIES: Array<[string, boolean]> = [
  ['d1234.example', true],
  ['D1234.Example', true],
  ['MX77.d77.example', true],
  ['mx77.d77.example', false],
  ['10.0.4.210', true],
  ['nothing.example', false],
];
const NAMED = (n: number) => (n === 1 ? ':q' : ':raw');

/** What the target history must find: every run's target with that key, oldest run first. */
const TARGET_OR_SQL = (p: string) => `SELECT t.run_id FROM targets t JOIN runs r ON r.id = t.run_id WHERE t.tkey = ${p} ORDER BY r.started_at, t.id`;
const TARGET_QUERIES: Array<[string, boolean]> = [
  ['d1234.example', true],
  ['d9999.example', true],
  ['nothing.example', false],
];

describe('history on 100k stored hosts: by index, SQLite', () => {
  const path = join(dir, 'h.db');
  let db: Database.Database;
  beforeAll(async () => {
    await (await openSqliteStore(path, { busyTimeoutMs: 5000 })).close();
    db = new Database(path);
    const cat = (...xs: string[]) => xs.join(' || ');
    const g = GEN('i', 'i', cat, 'char(31)');
    db.exec('BEGIN');
    for (let r = 1; r <= RUNS; r++) db.prepare("INSERT INTO runs (id, started_at, tool_version, options, state) VALUES (?, ?, 'test', '{}', 'complete')").run(r, `2026-01-${String(r).padStart(2, '0')}T00:00:00.000Z`);
    db.exec(`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ${HOSTS})
      INSERT INTO hosts (run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record)
      SELECT ${g.run}, ${g.hkey}, ${g.t}, ${g.t}, ${g.t}, ${g.ex}, ${g.ip}, 25, 4, '{}' FROM s`);
    db.exec(`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ${HOSTS})
      INSERT INTO targets (run_id, tkey, input, origin, kind, domain, port, dns_status, record)
      SELECT ${g.run}, ${g.t}, ${g.t}, 'arg', 'domain', ${g.t}, 25, 'ok', '{}' FROM s`);
    db.exec('COMMIT');
    db.exec('ANALYZE');
  }, 120_000);
  afterAll(() => db?.close());

  it('EXPLAIN QUERY PLAN: every read of hosts is an index search, none a scan', () => {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${HISTORY_SQL_SQLITE}`).all({ q: 'a', raw: 'A', limit: 10 }) as Array<{ detail: string }>).map((r) => r.detail);
    // The aliases of hosts in the query are h and k; kr and r are runs (one row per run). A read
    // of every host: a SCAN, or a search on run_id alone (every host of every run).
    const everyHost = (d: string) => /^SCAN (h|k)\b/.test(d) || /^SEARCH (h|k) USING .*\(run_id=\?\)$/.test(d);
    expect(plan.filter(everyHost)).toEqual([]);
    expect(plan.some((d) => /^SEARCH k USING (COVERING )?INDEX hosts_run_key/.test(d))).toBe(true);
    expect(plan.some((d) => /^SEARCH k USING (COVERING )?INDEX hosts_run_exchange/.test(d))).toBe(true);
    expect(plan.some((d) => /^SEARCH k USING (COVERING )?INDEX hosts_run_ip/.test(d))).toBe(true);
    // The OR it replaces scans (so this test can tell the two apart).
    const old = (db.prepare(`EXPLAIN QUERY PLAN ${OR_SQL(NAMED)}`).all({ q: 'a', raw: 'A' }) as Array<{ detail: string }>).map((r) => r.detail);
    expect(old.some(everyHost), old.join('; ')).toBe(true);
  });

  it('finds exactly the hosts the OR over the columns finds, in the same order', () => {
    for (const [q, found] of QUERIES) {
      const want = (db.prepare(OR_SQL(NAMED)).all({ q: q.toLowerCase(), raw: q }) as Array<{ id: number }>).map((r) => r.id);
      const got = (db.prepare(HISTORY_SQL_SQLITE).all({ q: q.toLowerCase(), raw: q, limit: 1_000_000 }) as Array<{ id: number }>).map((r) => r.id);
      expect(got, q).toEqual(want);
      expect(got.length > 0, q).toBe(found);
    }
  });

  it('a target\'s history (migration 9): each run\'s target by targets_run_key, no scan of targets; the same rows as a lookup by tkey', () => {
    expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'targets' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)).toEqual(['targets_run_key']);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${TARGET_HISTORY_SQL_SQLITE}`).all('a', 10) as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan.filter((d) => /^SCAN t\b/.test(d) || /^SEARCH t USING .*\(run_id=\?\)$/.test(d)), plan.join('; ')).toEqual([]);
    expect(plan.some((d) => /^SEARCH t USING INDEX targets_run_key \(run_id=\? AND tkey=\?\)/.test(d)), plan.join('; ')).toBe(true);
    for (const [q, found] of TARGET_QUERIES) {
      const want = (db.prepare(TARGET_OR_SQL('?')).all(q) as Array<{ run_id: number }>).map((r) => r.run_id);
      const got = (db.prepare(TARGET_HISTORY_SQL_SQLITE).all(q, 1_000_000) as Array<{ run_id: number }>).map((r) => r.run_id);
      expect(got, q).toEqual(want);
      expect(got.length, q).toBe(found ? RUNS : 0);
    }
  });
});

let server: PgServer | null = null;
if (SKIP_PG) console.warn(`[store] PostgreSQL history-plan tests SKIPPED: ${PG_REASON}`);
describe.skipIf(SKIP_PG)('history on 100k stored hosts: by index, PostgreSQL', () => {
  let c: pg.Client;
  beforeAll(async () => {
    server = await startPg();
    await server.createDb('hplan');
    await (await openPgStore(server.url('hplan'), { connectTimeoutMs: 10_000 })).close();
    c = new pg.Client({ connectionString: server.url('hplan') });
    await c.connect();
    const cat = (...xs: string[]) => xs.map((x) => `(${x})::text`).join(' || ');
    const g = GEN('i', 'i', cat, 'chr(31)');
    await c.query(`INSERT INTO runs (id, started_at, tool_version, options, state) SELECT r, '2026-01-' || lpad(r::text, 2, '0') || 'T00:00:00.000Z', 'test', '{}', 'complete' FROM generate_series(1, ${RUNS}) r`);
    await c.query(`INSERT INTO hosts (run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record)
      SELECT ${g.run}, ${g.hkey}, ${g.t}, ${g.t}, ${g.t}, ${g.ex}, ${g.ip}, 25, 4, '{}' FROM generate_series(0, ${HOSTS - 1}) i`);
    await c.query(`INSERT INTO targets (run_id, tkey, input, origin, kind, domain, port, dns_status, record)
      SELECT ${g.run}, ${g.t}, ${g.t}, 'arg', 'domain', ${g.t}, 25, 'ok', '{}' FROM generate_series(0, ${HOSTS - 1}) i`);
    await c.query('ANALYZE');
  }, 180_000);
  afterAll(async () => {
    await c?.end();
    await server?.stop();
  }, 60_000);

  it('EXPLAIN: hosts read by index (no Seq Scan on hosts); the OR it replaces scans', async () => {
    const plan = (await c.query(`EXPLAIN ${HISTORY_SQL_PG}`, ['a', 'A', 10])).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan on hosts/);
    expect(plan).toMatch(/Index (Only )?Scan using hosts_run_key on hosts/);
    expect(plan).toMatch(/Index (Only )?Scan using hosts_run_exchange on hosts|Bitmap Index Scan on hosts_run_exchange/);
    expect(plan).toMatch(/Index (Only )?Scan using hosts_run_ip on hosts|Bitmap Index Scan on hosts_run_ip/);
    const old = (await c.query(`EXPLAIN ${OR_SQL((n) => `$${n}`)}`, ['a', 'A'])).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(old).toMatch(/Seq Scan on hosts/);
  });

  it('finds exactly the hosts the OR over the columns finds, in the same order', async () => {
    for (const [q, found] of QUERIES) {
      const want = (await c.query(OR_SQL((n) => `$${n}`), [q.toLowerCase(), q])).rows.map((r: { id: string }) => String(r.id));
      const got = (await c.query(HISTORY_SQL_PG, [q.toLowerCase(), q, 1_000_000])).rows.map((r: { id: string }) => String(r.id));
      expect(got, q).toEqual(want);
      expect(got.length > 0, q).toBe(found);
    }
  });

  it('a target\'s history (migration 9): by targets_run_key, no Seq Scan on targets; the same rows as a lookup by tkey', async () => {
    expect((await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'targets' ORDER BY indexname")).rows.map((r: { indexname: string }) => r.indexname)).toEqual(['targets_pkey', 'targets_run_key']);
    const plan = (await c.query(`EXPLAIN ${TARGET_HISTORY_SQL_PG}`, ['a', 10])).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan on targets/);
    expect(plan).toMatch(/Index (Only )?Scan using targets_run_key on targets|Bitmap Index Scan on targets_run_key/);
    for (const [q, found] of TARGET_QUERIES) {
      const want = (await c.query(TARGET_OR_SQL('$1'), [q])).rows.map((r: { run_id: string }) => String(r.run_id));
      const got = (await c.query(TARGET_HISTORY_SQL_PG, [q, 1_000_000])).rows.map((r: { run_id: string }) => String(r.run_id));
      expect(got, q).toEqual(want);
      expect(got.length, q).toBe(found ? RUNS : 0);
    }
  });
});
