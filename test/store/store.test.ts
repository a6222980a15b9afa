/**
 * The Store contract, run against both implementations: a real SQLite file and a real PostgreSQL
 * cluster started by this file (pg-server.ts). Streaming writes, key order and paging, history,
 * prune, migrations on reopen, two concurrent writers, and the streamed diff of two stored runs
 * equal to the diff of the same two runs as files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult, TargetResult } from '../../src/results.js';
import { diffSides, fileSide, storeSide, type DiffRow } from '../../src/store/diff-stream.js';
import { openPgStore } from '../../src/store/pg.js';
import { StoreSink } from '../../src/store/sink.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { compareKeys, type Store } from '../../src/store/types.js';
import { summarize } from '../../src/report/summary.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';
import { syntheticTarget } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeRun(store: Store, targets: TargetResult[], startedAt: string, batchSize = 7): Promise<number> {
  const warnings: string[] = [];
  const sink = await StoreSink.start(store, { startedAt, toolVersion: 'test', options: { helo: 'probe.example.org' }, vantage: null, source: null }, { warn: (m) => warnings.push(m), batchSize });
  for (const t of targets) {
    for (const h of t.hosts) await sink.host(h, { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx });
    await sink.target(t);
  }
  await sink.finish(new Date(Date.parse(startedAt) + 1000).toISOString(), 'complete');
  expect(warnings).toEqual([]);
  return sink.runId;
}

function runFile(targets: TargetResult[], startedAt: string): string {
  const run: RunResult = { schemaVersion: 1, tool: { name: 'mxprobe', version: 'test' }, startedAt, finishedAt: startedAt, options: {}, targets, summary: summarize(targets) };
  const p = join(dir, `run-${startedAt.replace(/\W/g, '')}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, JSON.stringify(run));
  return p;
}

async function collect(it: AsyncIterable<DiffRow>): Promise<DiffRow[]> {
  const out: DiffRow[] = [];
  for await (const r of it) out.push(r);
  return out;
}

// 50 targets in run 1; run 2 drops target 0, adds target 50, loses STARTTLS on 7, TLS 1.2 on 9.
const N = 50;
const run1 = Array.from({ length: N }, (_, i) => syntheticTarget(i));
const run2 = Array.from({ length: N }, (_, i) =>
  syntheticTarget(i + 1, (h) => {
    if (i + 1 === 7)
      for (const p of h.probes) {
        if (!p.capabilities.plain) continue;
        p.capabilities.plain.starttls = false;
        delete p.capabilities.plain.keywords['STARTTLS'];
        p.tls = null;
      }
    if (i + 1 === 9) for (const p of h.probes) if (p.tls) p.tls.protocol = 'TLSv1.2';
  }),
);
const opts = { now: new Date('2026-06-01T00:00:00Z'), expiryDays: 14 };

function contract(name: string, open: () => Promise<Store>, skip = false): void {
  describe.skipIf(skip)(`Store contract: ${name}`, () => {
    let store: Store;
    let id1 = 0;
    let id2 = 0;
    let id3 = 0;
    beforeAll(async () => {
      store = await open();
      id1 = await writeRun(store, run1, '2026-05-01T00:00:00.000Z');
      id2 = await writeRun(store, run2, '2026-05-02T00:00:00.000Z');
    }, 120_000);
    afterAll(async () => store?.close());

    it('prune keeps a run still being written (state running) until it is older than the running horizon; its writes go on', async () => {
      const w = await store.beginRun({ startedAt: '2026-03-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null });
      const t = run1[0]!;
      await w.writeBatch([{ host: t.hosts[0]!, target: { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx } }], []);
      // Older than --keep, younger than the running horizon: kept, and the writer is not broken.
      expect(await store.prune('2026-03-02T00:00:00.000Z', '2026-02-20T00:00:00.000Z')).toEqual({ pruned: 0, keptRunning: 1 });
      await w.writeBatch([{ host: t.hosts[0]!, target: { input: `${t.input}-2`, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx } }], [t]);
      expect((await store.getRun(w.runId))!.state).toBe('running');
      // Older than the running horizon too (a killed run): pruned.
      expect(await store.prune('2026-03-02T00:00:00.000Z', '2026-03-01T12:00:00.000Z')).toEqual({ pruned: 1, keptRunning: 0 });
      expect(await store.getRun(w.runId)).toBeNull();
      expect(await store.hostPage(w.runId, null, 10)).toEqual([]);
    });

    it('records each run with its counts, state and an equal target digest only for equal target sets', async () => {
      const [r2, r1] = await store.listRuns(10);
      expect(r1).toMatchObject({ id: id1, state: 'complete', targetCount: N, hostCount: N, probeCount: N * run1[0]!.hosts[0]!.probes.length, vantage: null });
      expect(r2).toMatchObject({ id: id2, state: 'complete', targetCount: N });
      expect(r1!.options).toEqual({ helo: 'probe.example.org' });
      expect(r1!.targetsDigest).not.toBe(r2!.targetsDigest);
      id3 = await writeRun(store, run2.slice().reverse(), '2026-05-03T00:00:00.000Z');
      expect((await store.getRun(id3))!.targetsDigest).toBe(r2!.targetsDigest);
      // Prune removes the two older runs (and, by cascade, their hosts and probes); rewrite them.
      expect(await store.prune('2026-05-02T12:00:00.000Z', '2026-05-02T12:00:00.000Z')).toEqual({ pruned: 2, keptRunning: 0 });
      expect(await store.getRun(id1)).toBeNull();
      expect(await store.hostPage(id1, null, 10)).toEqual([]);
      expect(await store.targetPage(id1, null, 10)).toEqual([]);
      id1 = await writeRun(store, run1, '2026-05-01T00:00:00.000Z');
      id2 = await writeRun(store, run2, '2026-05-02T00:00:00.000Z');
    });

    it('pages hosts in byte order of their keys, each with its full probe records', async () => {
      const keys: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await store.hostPage(id1, after, 8);
        if (page.length === 0) break;
        keys.push(...page.map((h) => h.hkey));
        after = page[page.length - 1]!.hkey;
        expect(page[0]!.host.probes).toEqual(run1[0]!.hosts[0]!.probes);
      }
      expect(keys).toHaveLength(N);
      expect([...keys].sort(compareKeys)).toEqual(keys);
      const t = await store.targetPage(id1, null, 3);
      expect(t.map((x) => x.tkey)).toEqual(['d000000.example', 'd000001.example', 'd000002.example']);
      expect(t[0]!.target.mx).toEqual(run1[0]!.mx);
    });

    it('the streamed diff of two stored runs equals the diff of the same runs as files', async () => {
      const a = (await store.getRun(id1))!;
      const b = (await store.getRun(id2))!;
      const stored = await collect(diffSides(storeSide(store, a, 4), storeSide(store, b, 4), opts));
      const files = await collect(diffSides((await fileSide(runFile(run1, a.startedAt))).side, (await fileSide(runFile(run2, b.startedAt))).side, opts));
      expect(stored).toEqual(files);
      const text = stored.map((r) => `${r.where}: ${r.change.kind}`);
      expect(text).toContain('d000000.example: target-removed');
      expect(text).toContain('d000050.example: target-added');
      expect(text).toContain('d000007.example mx.d000007.example 10.0.0.7:25: starttls-lost');
      expect(text).toContain('d000009.example mx.d000009.example 10.0.0.9:25: tls-downgrade');
      expect(stored.filter((r) => r.change.kind === 'starttls-lost')).toHaveLength(1);
    });

    it('history finds a host by domain, exchange or IP, ordered by time', async () => {
      for (const q of ['d000007.example', 'MX.d000007.example', '10.0.0.7']) {
        const h = await store.history(q, 100);
        expect(h.map((e) => e.runId)).toEqual([id1, id2, id3]);
        expect(h[0]!.startedAt < h[1]!.startedAt && h[1]!.startedAt < h[2]!.startedAt).toBe(true);
      }
    });

    it('two writers at once both land, complete and uncorrupted', async () => {
      const other = await open();
      try {
        const many = Array.from({ length: 120 }, (_, i) => syntheticTarget(1000 + i));
        const [x, y] = await Promise.all([writeRun(store, many, '2026-05-10T00:00:00.000Z', 5), writeRun(other, many, '2026-05-10T00:00:01.000Z', 5)]);
        for (const id of [x, y]) expect(await store.getRun(id)).toMatchObject({ state: 'complete', hostCount: 120, targetCount: 120 });
        const a = (await store.getRun(x))!;
        const b = (await store.getRun(y))!;
        expect(await collect(diffSides(storeSide(store, a), storeSide(store, b), opts))).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
}

/** A run whose process dies after two committed batches: never finished, so no counts were written. */
async function unfinishedRunCounts(store: Store): Promise<void> {
  const sink = await StoreSink.start(store, { startedAt: '2026-07-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: (m) => expect.fail(m), batchSize: 1000 });
  for (let i = 0; i < 4; i++) {
    const t = syntheticTarget(i);
    await sink.host(t.hosts[0]!, { ...t });
    await sink.target(t);
    if (i === 1 || i === 3) await sink.flush();
  }
  // No finish(): what `kill -9` leaves. The listing counts the rows the run really holds, not 0.
  const [r] = await store.listRuns(1);
  expect(r).toMatchObject({ state: 'running', targetCount: 4, hostCount: 4, probeCount: 4 * syntheticTarget(0).hosts[0]!.probes.length });
  expect(await store.getRun(r!.id)).toMatchObject({ state: 'running', hostCount: 4 });
}

contract('SQLite', async () => openSqliteStore(join(dir, 'contract.db'), { busyTimeoutMs: 10_000 }));

let pgServer: PgServer | null = null;
if (SKIP_PG) console.warn(`[store] PostgreSQL tests SKIPPED: ${PG_REASON}`);
describe.skipIf(SKIP_PG)('PostgreSQL server', () => {
  beforeAll(async () => {
    pgServer = await startPg();
    await pgServer.createDb('contract');
  }, 120_000);
  afterAll(async () => pgServer?.stop(), 60_000);
  contract('PostgreSQL', async () => openPgStore(pgServer!.url('contract'), { connectTimeoutMs: 10_000 }));

  it('an unfinished run (its process killed) lists the rows it holds, not 0', async () => {
    await pgServer!.createDb('unfinished');
    const store = await openPgStore(pgServer!.url('unfinished'), { connectTimeoutMs: 10_000 });
    try {
      await unfinishedRunCounts(store);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('prune and a discarded import delete their runs\' hosts, probes and targets (no foreign key cascades since migration 8)', async () => {
    await pgServer!.createDb('orphans');
    const store = await openPgStore(pgServer!.url('orphans'), { connectTimeoutMs: 10_000 });
    const c = new pg.Client({ connectionString: pgServer!.url('orphans') });
    await c.connect();
    const rows = async (run: number) =>
      Object.fromEntries(
        await Promise.all(['hosts', 'probes', 'targets'].map(async (t) => [t, Number((await c.query(`SELECT count(*) AS n FROM ${t} WHERE run_id = $1`, [run])).rows[0].n)])),
      ) as Record<string, number>;
    try {
      const old = await writeRun(store, run1.slice(0, 5), '2026-04-01T00:00:00.000Z');
      const kept = await writeRun(store, run1.slice(0, 5), '2026-04-02T00:00:00.000Z');
      expect(await rows(old)).toEqual({ hosts: 5, probes: 5 * run1[0]!.hosts[0]!.probes.length, targets: 5 });
      expect(await store.prune('2026-04-01T12:00:00.000Z', '2026-04-01T12:00:00.000Z')).toEqual({ pruned: 1, keptRunning: 0 });
      expect(await rows(old)).toEqual({ hosts: 0, probes: 0, targets: 0 });
      expect(await rows(kept)).toEqual({ hosts: 5, probes: 5 * run1[0]!.hosts[0]!.probes.length, targets: 5 });
      const imp = await store.beginImport({ startedAt: '2026-04-03T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: 'x.ndjson' });
      const t = run1[0]!;
      await imp.writeBatch({ insert: t.hosts.map((host) => ({ ikey: null, host, target: { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx } })), replace: [], targets: [t], firstWins: false });
      expect((await rows(imp.runId)).hosts).toBe(t.hosts.length);
      await imp.discard();
      expect(await rows(imp.runId)).toEqual({ hosts: 0, probes: 0, targets: 0 });
      expect(await store.getRun(imp.runId)).toBeNull();
    } finally {
      await c.end();
      await store.close();
    }
  }, 60_000);

  it('migrations 5 to 9: the global host and target key indexes are gone, the JSON columns compress with lz4, history has its per-run indexes, no foreign keys', async () => {
    await pgServer!.createDb('m56');
    await (await openPgStore(pgServer!.url('m56'), { connectTimeoutMs: 10_000 })).close();
    const c = new pg.Client({ connectionString: pgServer!.url('m56') });
    await c.connect();
    try {
      expect((await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r: { version: number }) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect((await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'hosts' ORDER BY indexname")).rows.map((r: { indexname: string }) => r.indexname)).toEqual(['hosts_import_key', 'hosts_pkey', 'hosts_run_exchange', 'hosts_run_ip', 'hosts_run_key']);
      // Migration 9: targets_tkey is gone; history reads targets through targets_run_key.
      expect((await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'targets' ORDER BY indexname")).rows.map((r: { indexname: string }) => r.indexname)).toEqual(['targets_pkey', 'targets_run_key']);
      // Migration 8: no foreign keys left on PostgreSQL (prune and a discarded import delete the children).
      expect((await c.query("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ('hosts', 'probes', 'targets')")).rows).toEqual([]);
      // Debian's PostgreSQL 15 is built --with-lz4 (pg_config --configure): the DO block took effect.
      const comp = (await c.query("SELECT attrelid::regclass::text AS t, attname, attcompression FROM pg_attribute WHERE attname IN ('record', 'brief') AND attrelid::regclass::text IN ('hosts', 'probes', 'targets') ORDER BY 1, 2")).rows;
      expect(comp).toEqual([
        { t: 'hosts', attname: 'brief', attcompression: 'l' },
        { t: 'hosts', attname: 'record', attcompression: 'l' },
        { t: 'probes', attname: 'record', attcompression: 'l' },
        { t: 'targets', attname: 'record', attcompression: 'l' },
      ]);
    } finally {
      await c.end();
    }
  }, 60_000);
});

describe('SQLite specifics', () => {
  it('an unfinished run (its process killed) lists the rows it holds, not 0', async () => {
    const store = openSqliteStore(join(dir, 'unfinished.db'), { busyTimeoutMs: 5000 });
    try {
      await unfinishedRunCounts(store);
    } finally {
      await store.close();
    }
  });

  it('WAL mode, and the migrations recorded once however often the file is opened', async () => {
    const p = join(dir, 'wal.db');
    for (let i = 0; i < 3; i++) await openSqliteStore(p, { busyTimeoutMs: 1000 }).close();
    const db = new Database(p, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }, { version: 5 }, { version: 6 }, { version: 7 }, { version: 8 }, { version: 9 }, { version: 10 }, { version: 11 }]);
    // Migration 5: the global host indexes no query used are gone; those diff and import read
    // remain; migration 7: history's per-run ones (history-plan.test.ts).
    const idx = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hosts' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    expect(idx).toEqual(['hosts_import_key', 'hosts_run_exchange', 'hosts_run_ip', 'hosts_run_key']);
    // Migration 9: the global index on targets' tkey is gone (history reads targets run by run).
    expect((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'targets' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)).toEqual(['targets_run_key']);
    expect(db.prepare("SELECT name FROM pragma_table_info('probes') WHERE name = 'vantage'").all()).toHaveLength(1);
    expect(db.prepare("SELECT name FROM pragma_table_info('runs') WHERE name = 'vantage'").all()).toHaveLength(1);
    db.close();
  });

  it('a batch is written when its time is up (flushMs), not only when full or at finish', async () => {
    const p = join(dir, 'timed.db');
    const store = openSqliteStore(p, { busyTimeoutMs: 5000 });
    const reader = new Database(p, { readonly: true });
    const stored = () => (reader.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number }).n;
    const write = async (sink: StoreSink, from: number) => {
      for (let i = from; i < from + 3; i++) {
        const t = syntheticTarget(i);
        await sink.host(t.hosts[0]!, { ...t });
        await sink.target(t);
      }
    };
    const meta = { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 't', options: {}, vantage: null, source: null };
    const warn = (m: string) => expect.fail(m);
    // Far from full and an hour to go: nothing is written before finish() (no batch per host).
    const slow = await StoreSink.start(store, meta, { warn, batchSize: 1000, flushMs: 3_600_000 });
    await write(slow, 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(stored()).toBe(0);
    await slow.finish('2026-05-01T00:00:01.000Z', 'complete');
    expect(stored()).toBe(3);
    // 20 ms: the three hosts are committed while the run is still going (polled, no time bound asserted).
    const quick = await StoreSink.start(store, meta, { warn, batchSize: 1000, flushMs: 20 });
    await write(quick, 3);
    for (let i = 0; i < 500 && stored() < 6; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stored()).toBe(6);
    await quick.finish('2026-05-01T00:00:02.000Z', 'complete');
    reader.close();
    await store.close();
  });

  it('a writer that cannot get the lock fails with E_STORE_LOCKED; the sink warns once and stops writing', async () => {
    const p = join(dir, 'locked.db');
    const store = openSqliteStore(p, { busyTimeoutMs: 200 });
    const warnings: string[] = [];
    const sink = await StoreSink.start(store, { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 't', options: {}, vantage: null, source: null }, { warn: (m) => warnings.push(m), batchSize: 2 });
    const holder = new Database(p);
    holder.exec('BEGIN EXCLUSIVE');
    for (let i = 0; i < 10; i++) {
      const t = syntheticTarget(i);
      await sink.host(t.hosts[0]!, { ...t });
      await sink.target(t);
    }
    await sink.finish('2026-05-01T00:00:01.000Z', 'complete');
    holder.exec('ROLLBACK');
    holder.close();
    expect(sink.lost).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/locked by another process for more than 200 ms/);
    await store.close();
  });
});

