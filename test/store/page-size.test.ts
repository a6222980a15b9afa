/**
 * A new SQLite store gets STORE_PAGE_SIZE pages (store/sqlite.ts: fewer, fuller pages make a
 * `probe --store` batch and the close cheaper); a store made before (4 KiB pages, SQLite's
 * default) keeps its page size, since WAL mode cannot change it, and is written and read as before.
 * Real files through better-sqlite3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreSink } from '../../src/store/sink.js';
import { openSqliteStore, STORE_PAGE_SIZE } from '../../src/store/sqlite.js';
import { syntheticTarget } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pageSize(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
}

async function storeRun(path: string, n: number): Promise<number> {
  const store = openSqliteStore(path, { busyTimeoutMs: 5000 });
  const warnings: string[] = [];
  const sink = await StoreSink.start(store, { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: (m) => warnings.push(m), batchSize: 5 });
  for (let i = 0; i < n; i++) {
    const t = syntheticTarget(i);
    for (const h of t.hosts) await sink.host(h, { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx });
    await sink.target(t);
  }
  await sink.finish('2026-05-01T00:01:00.000Z', 'complete');
  const hosts = (await store.hostPage(sink.runId, null, 1000)).length;
  await store.close();
  expect(warnings).toEqual([]);
  return hosts;
}

describe('SQLite page size', () => {
  it('a new store is created with STORE_PAGE_SIZE pages, and a reopen keeps them', async () => {
    expect(STORE_PAGE_SIZE).toBe(32768);
    const path = join(dir, 'new.db');
    expect(await storeRun(path, 12)).toBe(12);
    expect(pageSize(path)).toBe(STORE_PAGE_SIZE);
    expect(await storeRun(path, 3)).toBe(3);
    expect(pageSize(path)).toBe(STORE_PAGE_SIZE);
  });

  it('a store created with 4 KiB pages keeps them and takes more runs', async () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.pragma('page_size = 4096');
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE placeholder (x)');
    db.exec('DROP TABLE placeholder');
    db.close();
    expect(pageSize(path)).toBe(4096);
    expect(await storeRun(path, 7)).toBe(7);
    expect(pageSize(path)).toBe(4096);
    const check = new Database(path, { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((check.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number }).n).toBe(7);
    } finally {
      check.close();
    }
  });
});
