/**
 * `probe --store` hands the store writer thread NDJSON lines (store/lines.ts), not objects: the
 * stored rows must be the same as those written from the result objects. Two real SQLite files, one
 * written each way from the same results (the sample run, DANE and MTA-STS verdicts, alignment,
 * an undefined field, a non-ASCII banner), compared table by table, every column.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/results.js';
import { ndjsonHost, ndjsonTarget } from '../../src/report/json.js';
import { applyLine, StoreLineError } from '../../src/store/lines.js';
import { StoreSink } from '../../src/store/sink.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { SAMPLE, syntheticTarget } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mxprobe-store-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function targets(): TargetResult[] {
  const out = structuredClone(SAMPLE.targets);
  const t = out[0]!;
  const h = t.hosts[0]!;
  h.transport = { dane: { status: 'dane-mismatch', dnssec: 'secure', name: '_25._tcp.mx1.example.com', records: [], matched: null, detail: 'no TLSA record matched' } } as unknown as NonNullable<typeof h.transport>;
  t.transport = { mtaSts: { status: 'mta-sts-valid', mode: 'enforce', id: '1', mx: ['*.example.com'], maxAge: 86400 }, tlsRpt: { status: 'valid', rua: ['mailto:tls@example.com'] }, summary: '' } as unknown as NonNullable<typeof t.transport>;
  // JSON drops an undefined field on both paths.
  (h as unknown as Record<string, unknown>)['extra'] = undefined;
  const p = h.probes[0]!;
  if (p.banner) p.banner = { ...p.banner, lines: [...p.banner.lines, 'ünïcødé \u0007 text'] };
  for (let i = 0; i < 30; i++) out.push(syntheticTarget(i));
  return out;
}

async function write(path: string, viaLines: boolean): Promise<void> {
  const store = openSqliteStore(path, { busyTimeoutMs: 5000 });
  const warnings: string[] = [];
  const sink = await StoreSink.start(store, { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: { helo: 'probe.example.org' }, vantage: 'v1', source: null }, { warn: (m) => warnings.push(m), batchSize: 4 });
  for (const t of targets()) {
    const info = { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
    for (const h of t.hosts) await (viaLines ? applyLine(sink, ndjsonHost(h, info)) : sink.host(h, info));
    await (viaLines ? applyLine(sink, ndjsonTarget(t)) : sink.target(t));
  }
  await sink.finish('2026-05-01T00:01:00.000Z', 'complete');
  await store.close();
  expect(warnings).toEqual([]);
}

function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const table of ['runs', 'targets', 'hosts', 'probes']) out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY id`).all();
    return out;
  } finally {
    db.close();
  }
}

describe('store rows from NDJSON lines', () => {
  it('are the rows written from the result objects, every table and column', async () => {
    const a = join(dir, 'objects.db');
    const b = join(dir, 'lines.db');
    await write(a, false);
    await write(b, true);
    const da = dump(a);
    const db = dump(b);
    expect(da['hosts']!.length).toBe(SAMPLE.targets.reduce((n, t) => n + t.hosts.length, 0) + 30);
    expect(da['probes']!.length).toBeGreaterThan(da['hosts']!.length);
    // The DANE verdict reached the brief, the MTA-STS verdict the target record, on both paths.
    expect(String((da['hosts']![0] as { brief: string }).brief)).toContain('dane-mismatch');
    expect(String((da['targets']!.find((t) => String((t as { record: string }).record).includes('mta-sts-valid')) as { record: string } | undefined)?.record)).toContain('enforce');
    expect(db).toEqual(da);
  });

  it('refuses a line that is neither a host nor a target record', async () => {
    const store = openSqliteStore(join(dir, 'bad.db'), { busyTimeoutMs: 5000 });
    const sink = await StoreSink.start(store, { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: null, source: null }, { warn: () => {} });
    expect(() => applyLine(sink, '{"type":"summary"}')).toThrow(StoreLineError);
    await store.close();
  });
});
