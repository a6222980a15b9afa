/**
 * `probe --store` serialises each host once for the NDJSON line and the store (store/serialise.ts):
 * the line must be ndjsonHost's, byte for byte, and the stored rows those written from the result
 * objects alone. Two real SQLite files, one written each way from the same results (the sample run, DANE and MTA-STS verdicts, alignment,
 * an undefined field, a non-ASCII banner), compared table by table, every column.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/results.js';
import { ndjsonHost, ndjsonTarget } from '../../src/report/json.js';
import { LineChunker, storeChunk } from '../../src/store/line-feed.js';
import { serialiseHost, serialiseTarget } from '../../src/store/serialise.js';
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
  // A fleet run's probe names its relay (migration 11): the brief keeps it on every path.
  (p as { vantage?: string }).vantage = 'relay1';
  // Beyond Latin-1 (a two-byte line, whose probe records are slices of it), a surrogate pair and a
  // lone surrogate (JSON.stringify escapes it), in a second host's second probe so that the slices
  // after it are checked too.
  const p2 = out[0]!.hosts[1]!.probes[1]!;
  if (!p2.banner) throw new Error('fixture: the second host\'s second probe has no banner any more');
  p2.banner = { ...p2.banner, lines: [...p2.banner.lines, 'mx → 日本 😀 \ud800 end'] };
  for (let i = 0; i < 30; i++) out.push(syntheticTarget(i));
  return out;
}

/**
 * `strings`: serialised, through a writer without writePacked, so the sink hands the writer its
 * records as strings; the other two go through the SQLite writer's writePacked, whose batches hold
 * them as UTF-8 in RecordPack's reused buffers (rows.ts).
 */
async function write(path: string, via: 'objects' | 'serialised' | 'strings' | 'lines'): Promise<void> {
  const store = openSqliteStore(path, { busyTimeoutMs: 5000 });
  const warnings: string[] = [];
  const meta = { startedAt: '2026-05-01T00:00:00.000Z', toolVersion: 'test', options: { helo: 'probe.example.org' }, vantage: 'v1', source: null };
  let sink: StoreSink;
  if (via === 'strings') {
    const w = await store.beginRun(meta);
    expect(typeof w.writePacked).toBe('function');
    sink = StoreSink.over({ runId: w.runId, writeBatch: w.writeBatch, writeRows: w.writeRows, finish: w.finish }, { warn: (m) => warnings.push(m), batchSize: 4 });
  } else sink = await StoreSink.start(store, meta, { warn: (m) => warnings.push(m), batchSize: 4 });
  if (via === 'lines') {
    // What the store writer thread does (sink-worker.ts): the NDJSON lines, in chunks small enough
    // that lines meet chunk ends, read back and stored. One chunk at a time, in order, as the thread gets them.
    const chunker = new LineChunker(4096);
    const chunks: Array<{ buf: Buffer; len: number }> = [];
    for (const t of targets()) {
      const info = { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
      for (const h of t.hosts) chunks.push(...chunker.add(ndjsonHost(h, info)));
      chunks.push(...chunker.add(ndjsonTarget(t)));
    }
    const last = chunker.take();
    if (last) chunks.push(last);
    // The sample's lines are ~3-6 KB: several went alone, longer than a chunk.
    expect(chunks.some((c) => c.len > 4096)).toBe(true);
    expect(chunks.filter((c) => c.len <= 4096).length).toBeGreaterThan(3);
    for (const c of chunks) await storeChunk(c, sink);
  } else for (const t of targets()) {
    const info = { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
    for (const h of t.hosts) {
      if (via !== 'objects') {
        const pre = serialiseHost(h, info);
        expect(pre?.line).toBe(ndjsonHost(h, info));
        await sink.host(h, info, pre);
      } else await sink.host(h, info);
    }
    if (via !== 'objects') {
      const pre = serialiseTarget(t);
      expect(pre?.line).toBe(ndjsonTarget(t));
      await sink.target(t, pre?.record);
    } else await sink.target(t);
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

describe('one serialisation for the NDJSON line and the store', () => {
  it('are the rows written from the result objects, every table and column', async () => {
    const a = join(dir, 'objects.db');
    const b = join(dir, 'serialised.db');
    await write(a, 'objects');
    await write(b, 'serialised');
    const da = dump(a);
    const db = dump(b);
    expect(da['hosts']!.length).toBe(SAMPLE.targets.reduce((n, t) => n + t.hosts.length, 0) + 30);
    expect(da['probes']!.length).toBeGreaterThan(da['hosts']!.length);
    // The DANE verdict reached the brief, the MTA-STS verdict the target record, on both paths.
    expect(String((da['hosts']![0] as { brief: string }).brief)).toContain('dane-mismatch');
    expect(String((da['hosts']![0] as { brief: string }).brief)).toContain('"vantage":"relay1"');
    expect(String((da['targets']!.find((t) => String((t as { record: string }).record).includes('mta-sts-valid')) as { record: string } | undefined)?.record)).toContain('enforce');
    expect(db).toEqual(da);
  });

  it('the NDJSON lines, chunked and read back as the store writer thread reads them, store the same rows, every table and column', async () => {
    const a = join(dir, 'objects-2.db');
    const b = join(dir, 'lines.db');
    await write(a, 'objects');
    await write(b, 'lines');
    expect(dump(b)).toEqual(dump(a));
  });

  it('records packed as UTF-8 in reused buffers are stored as the same TEXT as the strings (two-byte and four-byte characters included)', async () => {
    const a = join(dir, 'strings.db');
    const b = join(dir, 'packed.db');
    await write(a, 'strings');
    await write(b, 'serialised');
    expect(dump(b)).toEqual(dump(a));
    const raw = new Database(b, { readonly: true });
    try {
      // TEXT, never a BLOB (the Buffer is bound as one; CAST(? AS TEXT) stores it as text).
      expect(raw.prepare("SELECT DISTINCT typeof(record) AS t FROM probes UNION SELECT DISTINCT typeof(record) FROM hosts UNION SELECT DISTINCT typeof(brief) FROM hosts").all()).toEqual([{ t: 'text' }]);
      // The characters beyond Latin-1 survive as characters (a 4-byte UTF-8 sequence for the emoji).
      const rec = raw.prepare("SELECT record FROM probes WHERE record LIKE '%日本%'").get() as { record: string } | undefined;
      expect(rec?.record).toContain('mx → 日本 😀 \\ud800 end');
      expect(raw.prepare("SELECT count(*) AS n FROM probes WHERE json_valid(record) = 0").get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });

  it('serialiseHost: the NDJSON line byte for byte, key order and undefined fields included; null for keys it does not model', () => {
    const info = { input: 'x.example', origin: 't:1', kind: 'domain' as const, domain: 'x.example', mx: [] };
    for (const t of targets()) for (const h of t.hosts) expect(serialiseHost(h, info)!.line).toBe(ndjsonHost(h, info));
    const h = structuredClone(SAMPLE.targets[0]!.hosts[0]!);
    // probes first, a late key, an undefined one, no probes at all.
    const reordered = Object.assign({ probes: h.probes, zz: 1 }, h, { u: undefined }) as unknown as typeof h;
    expect(serialiseHost(reordered, info)!.line).toBe(ndjsonHost(reordered, info));
    const bare = { exchange: 'a', ip: '192.0.2.1', port: 25, family: 4, probes: [] } as unknown as typeof h;
    expect(serialiseHost(bare, info)!.line).toBe(ndjsonHost(bare, info));
    expect(serialiseHost({ ...h, type: 'x' } as unknown as typeof h, info)).toBeNull();
  });

  it('serialiseTarget: the NDJSON target line byte for byte (hosts left out wherever they stand); null for a type key', () => {
    for (const t of targets()) expect(serialiseTarget(t)!.line).toBe(ndjsonTarget(t));
    const t = structuredClone(SAMPLE.targets[0]!);
    // hosts first, a late key, an undefined one; hosts only.
    const reordered = Object.assign({ hosts: t.hosts, zz: [1] }, t, { u: undefined }) as unknown as typeof t;
    expect(serialiseTarget(reordered)!.line).toBe(ndjsonTarget(reordered));
    expect(JSON.parse(serialiseTarget(reordered)!.record)).not.toHaveProperty('hosts');
    const hostsOnly = { hosts: [] } as unknown as typeof t;
    expect(serialiseTarget(hostsOnly)!.line).toBe(ndjsonTarget(hostsOnly));
    expect(serialiseTarget({ ...t, type: 'x' } as unknown as typeof t)).toBeNull();
  });
});
