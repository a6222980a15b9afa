/**
 * `probe --store postgres://…` writes each batch with binary COPY (store/pg-copy.ts, pg.ts). Against a real
 * PostgreSQL 15: the encoder's values read back as they were sent (awkward text, integer limits, NULL vs '');
 * a batch the server refuses part-way leaves none of its rows and the run goes on (sink.ts); the stored rows
 * are rows.ts's, column by column, for multi-probe hosts and large records; two writers at once keep their
 * host ids apart.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/results.js';
import { CopyEncoder, copyFrom, CopyValueError } from '../../src/store/pg-copy.js';
import { openPgStore } from '../../src/store/pg.js';
import { hostRow, probeRow, targetRow } from '../../src/store/rows.js';
import { StoreSink } from '../../src/store/sink.js';
import type { HostTarget, Store } from '../../src/store/types.js';
import { syntheticTarget } from './fixture.js';
import { PG_REASON, SKIP_PG, startPg, type PgServer } from './pg-server.js';

let server: PgServer | null = null;
const META = { startedAt: '2026-12-01T00:00:00.000Z', toolVersion: 'test', options: {}, vantage: 'vä', source: null };

function hostTarget(t: TargetResult): HostTarget {
  return { input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, mx: t.mx };
}

async function withClient<T>(db: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: server!.url(db) });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Write targets through a StoreSink (batches of `batchSize` hosts), as probe --store does; the warnings. */
async function writeRun(store: Store, targets: TargetResult[], batchSize = 1000): Promise<{ runId: number; warnings: string[]; lost: boolean }> {
  const warnings: string[] = [];
  // No flush by time: the batches are exactly `batchSize` hosts, whatever the machine's load.
  const sink = await StoreSink.start(store, META, { warn: (m) => warnings.push(m), batchSize, flushMs: 600_000 });
  for (const t of targets) {
    for (const h of t.hosts) await sink.host(h, hostTarget(t));
    await sink.target(t);
  }
  await sink.finish('2026-12-01T00:01:00.000Z', 'complete');
  return { runId: sink.runId, warnings, lost: sink.lost };
}

if (SKIP_PG) console.warn(`[store] PostgreSQL tests SKIPPED: ${PG_REASON}`);
describe.skipIf(SKIP_PG)(`binary COPY into PostgreSQL${SKIP_PG ? ` (skipped: ${PG_REASON})` : ''}`, () => {
  beforeAll(async () => {
    server = await startPg();
    for (const db of ['enc', 'fail', 'rows', 'two']) await server.createDb(db);
  }, 120_000);
  afterAll(async () => server?.stop(), 60_000);

  it('the encoder: text, int4, int8, bool and NULL read back as sent (UTF-8, astral, a lone surrogate as U+FFFD, 400 KB, limits)', async () => {
    await withClient('enc', async (c) => {
      await c.query('CREATE TABLE t (n int4 NOT NULL, s text, i int4, b int8, f boolean)');
      const big = `${'ü'.repeat(1000)}${'x'.repeat(400_000)}😀`;
      const texts: Array<string | null> = ['', null, 'plain', 'é ✓ 日本', '😀 astral', 'a\\b"c\nd\te\r', 'lone \ud800 high', 'lone \udc00 low', '\u0001\u001e\u001f', big, "quote ' and ; COPY"];
      const ints: Array<number | null> = [0, null, 1, -1, 2147483647, -2147483648, 25, 587, 65535, 250, 42];
      const bigs: Array<string | number | bigint | null> = ['0', null, 1, '-1', '9223372036854775807', '-9223372036854775808', 2n ** 53n + 1n, Number.MAX_SAFE_INTEGER, '4611686018427387904', 7, '12'];
      const bools = [true, false, null, true, false, null, true, false, null, true, false];
      const e = new CopyEncoder(16); // a small start: the buffer grows through several sizes
      e.begin();
      texts.forEach((s, n) => e.row(5).int4(n).text(s).int4(ints[n]).int8(bigs[n]).bool(bools[n]));
      // The same text as bytes already UTF-8 (what a RecordPack view holds).
      e.row(5).int4(100).text(Buffer.from('bytes ✓ 😀', 'utf8')).null().null().null();
      const rows = await copyFrom(c, 'COPY t (n, s, i, b, f) FROM STDIN (FORMAT binary)', [e.end()]);
      expect(rows).toEqual([texts.length + 1]);
      const got = (await c.query('SELECT n, s, i, b::text AS b, f FROM t ORDER BY n')).rows as Array<{ n: number; s: string | null; i: number | null; b: string | null; f: boolean | null }>;
      const want = texts.map((s, n) => ({
        n,
        // Buffer.write (and pg's own parameters) turn a lone surrogate into U+FFFD.
        s: s === null ? null : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
        i: ints[n],
        b: bigs[n] === null ? null : String(bigs[n]),
        f: bools[n],
      }));
      want.push({ n: 100, s: 'bytes ✓ 😀', i: null, b: null, f: null });
      expect(got).toEqual(want);
      // '' and NULL stay apart, and the 400 KB value is whole.
      expect((await c.query("SELECT count(*) FILTER (WHERE s = '') AS empty, count(*) FILTER (WHERE s IS NULL) AS nul, max(length(s)) AS len FROM t")).rows[0]).toEqual({ empty: '1', nul: '1', len: big.length - 1 });
    });
  }, 60_000);

  it('the encoder refuses what the column types cannot hold, before anything is sent', () => {
    const e = new CopyEncoder().begin().row(1);
    expect(() => e.int4(2147483648)).toThrow(CopyValueError);
    expect(() => e.int4(1.5)).toThrow(CopyValueError);
    expect(() => e.int8('9223372036854775808')).toThrow(CopyValueError);
    expect(() => e.int8(2 ** 60)).toThrow(CopyValueError);
    expect(() => e.int8('12a')).toThrow(CopyValueError);
  });

  it('several COPYs in one query are one transaction: the second refused, the first leaves nothing, and the connection goes on', async () => {
    await withClient('enc', async (c) => {
      await c.query('CREATE TABLE u (s text)');
      const one = new CopyEncoder().begin().row(1).text('first').end();
      // PostgreSQL refuses a NUL byte in text (invalid byte sequence for encoding "UTF8": 0x00).
      const two = new CopyEncoder().begin().row(1).text('ok').row(1).text('bad \u0000 nul').end();
      const copy = 'COPY u (s) FROM STDIN (FORMAT binary)';
      await expect(copyFrom(c, `${copy};\n${copy}`, [one, two])).rejects.toMatchObject({ code: '22021' });
      expect((await c.query('SELECT count(*) AS n FROM u')).rows[0].n).toBe('0');
      // Fewer buffers than COPYs: the server is told (CopyFail), nothing stays, no hang.
      await expect(copyFrom(c, `${copy};\n${copy}`, [one])).rejects.toThrow(/no data for this COPY/);
      expect((await c.query('SELECT count(*) AS n FROM u')).rows[0].n).toBe('0');
      expect(await copyFrom(c, copy, [one])).toEqual([1]);
      expect((await c.query('SELECT s FROM u')).rows).toEqual([{ s: 'first' }]);
    });
  }, 60_000);

  it('a batch the server refuses part-way (its probes) leaves none of its hosts, probes or targets; earlier batches stay; the run goes on', async () => {
    const store = await openPgStore(server!.url('fail'), { connectTimeoutMs: 10_000 });
    try {
      const targets = Array.from({ length: 30 }, (_, i) =>
        syntheticTarget(i, (h) => {
          // Host 25, in the third batch of 10: a NUL in a probe's cause (a small column; the server refuses it in text).
          if (i === 25) h.probes[0]!.verdict.cause = 'bad \u0000 cause' as never;
        }),
      );
      const { runId, warnings, lost } = await writeRun(store, targets, 10);
      expect(lost).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/store write failed, the rest of this run is not stored/);
      await withClient('fail', async (c) => {
        const n = async (t: string) => Number((await c.query(`SELECT count(*) AS n FROM ${t} WHERE run_id = $1`, [runId])).rows[0].n);
        // A batch closes at its 10th host or its 10th target (hosts and targets alternate): batch 1 holds
        // hosts 0-9 and targets 0-8, batch 2 target 9, hosts 10-18 and targets 10-18, both committed. Batch 3
        // (hosts 19-28, targets 19-27), whose hosts COPY went through before its probes COPY was refused, left nothing.
        expect(await n('hosts')).toBe(19);
        expect(await n('probes')).toBe(19 * targets[0]!.hosts[0]!.probes.length);
        expect(await n('targets')).toBe(19);
        expect((await c.query("SELECT count(*) AS n FROM hosts WHERE hkey LIKE 'd000019%' OR hkey LIKE 'd000025%'")).rows[0].n).toBe('0');
        expect((await c.query("SELECT count(*) AS n FROM hosts WHERE hkey LIKE 'd000018%'")).rows[0].n).toBe('1');
        // Nothing orphaned: every probe's host is there.
        expect((await c.query('SELECT count(*) AS n FROM probes p LEFT JOIN hosts h ON h.id = p.host_id WHERE h.id IS NULL')).rows[0].n).toBe('0');
      });
      // The store is still writable: the next run stores fully (the refused batch did not break the pool).
      const again = await writeRun(store, targets.slice(0, 3), 10);
      expect(again.lost).toBe(false);
      expect((await store.getRun(again.runId))?.hostCount).toBe(3);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('every column of hosts, probes and targets is rows.ts\'s, written from packed batches: multi-probe hosts in seq order, non-ASCII, astral, lone surrogates, \'\' vs NULL, 400 KB records', async () => {
    const store = await openPgStore(server!.url('rows'), { connectTimeoutMs: 10_000 });
    const targets = Array.from({ length: 12 }, (_, i) =>
      syntheticTarget(i, (h) => {
        const p0 = h.probes[0]!;
        // Three identities, as --identities all: the seq order is the probe order.
        h.probes = [
          p0,
          { ...structuredClone(p0), identity: { kind: 'literal', name: `zweit-ä-${i}.example`, source: '127.0.0.2' }, status: 'connection-refused' } as typeof p0,
          { ...structuredClone(p0), identity: { kind: 'bare-ip', name: `😀-${i}.example`, source: null } } as typeof p0,
        ];
        if (i % 3 === 0 && p0.banner) p0.banner.lines = ['220 mx.exämple ✓ ESMTP 😀', 'lone \ud800 in a record', `${'ü'.repeat(500)}${'y'.repeat(400_000)}`];
        if (i % 4 === 1) {
          p0.verdict = { ...p0.verdict, stage: '' as never, cause: 'quote " backslash \\ newline \n tab \t' as never };
          if (p0.tls) p0.tls = { ...p0.tls, protocol: '' };
        }
        if (i === 5) p0.identity = { ...p0.identity, name: 'lone \udc00 surrogate' };
      }),
    );
    targets[7]!.domain = null;
    try {
      const { runId, lost, warnings } = await writeRun(store, targets, 5);
      expect({ lost, warnings }).toEqual({ lost: false, warnings: [] });
      await withClient('rows', async (c) => {
        const hosts = (await c.query('SELECT id, run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record, brief, import_key FROM hosts WHERE run_id = $1 ORDER BY id', [runId])).rows;
        const probes = (await c.query('SELECT * FROM probes WHERE run_id = $1 ORDER BY id', [runId])).rows;
        const tg = (await c.query('SELECT run_id, tkey, input, origin, kind, domain, port, dns_status, record FROM targets WHERE run_id = $1 ORDER BY id', [runId])).rows;
        const wantHosts: unknown[] = [];
        const wantProbes: unknown[] = [];
        // pg returns bigint as a string; a lone surrogate is stored as U+FFFD (as pg's own parameters and SQLite's binding do).
        const fffd = (s: string | null) => (s === null ? null : s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
        targets.forEach((t, i) => {
          const h = hostRow(t.hosts[0]!, hostTarget(t));
          const id = hosts[i]!.id as string;
          wantHosts.push({ id, run_id: String(runId), hkey: h.hkey, tkey: h.tkey, target_input: h.targetInput, domain: h.domain, exchange: h.exchange, ip: h.ip, port: h.port, family: h.family, record: h.record, brief: h.brief, import_key: null });
          t.hosts[0]!.probes.forEach((p, seq) => {
            const r = probeRow(p, seq);
            wantProbes.push({
              host_id: id,
              run_id: String(runId),
              seq,
              vantage: 'vä',
              domain: h.domain,
              exchange: h.exchange,
              ip: h.ip,
              port: h.port,
              identity_kind: r.identityKind,
              identity_name: fffd(r.identityName),
              source: r.source,
              status: r.status,
              outcome: r.outcome,
              stage: r.stage,
              code: r.code,
              cause: r.cause,
              tls_version: r.tlsVersion,
              cert_fingerprint: r.certFingerprint,
              cert_not_after: r.certNotAfter,
              starttls_offered: r.starttlsOffered,
              record: r.record,
            });
          });
        });
        expect(hosts).toEqual(wantHosts);
        expect(probes.map(({ id: _id, ...rest }) => rest)).toEqual(wantProbes);
        expect(tg).toEqual(targets.map((t) => ({ ...targetRow(t), run_id: String(runId) })).map(({ tkey, input, origin, kind, domain, port, dnsStatus, record, run_id }) => ({ run_id, tkey, input, origin, kind, domain, port, dns_status: dnsStatus, record })));
        // Probe ids follow the batch order, host by host, seq by seq.
        expect(probes.map((p) => [p.host_id, p.seq])).toEqual(wantProbes.map((p) => [(p as { host_id: string }).host_id, (p as { seq: number }).seq]));
        // The checks above are not vacuous: the awkward values are really there.
        expect(probes.filter((p) => p.stage === '').length).toBe(3);
        expect(probes.filter((p) => p.identity_name === 'lone \ufffd surrogate').length).toBe(1);
        expect(probes.filter((p) => String(p.record).length > 400_000).length).toBe(4);
        expect(hosts.filter((h) => h.domain === null).length).toBe(1);
      });
      // And read back through the store: the same hosts.
      const page = await store.hostPage(runId, null, 100);
      expect(page.map((x) => x.host.probes.map((p) => p.identity.kind))).toEqual(targets.map(() => ['primary', 'literal', 'bare-ip']));
    } finally {
      await store.close();
    }
  }, 60_000);

  it('two writers at once (two processes\' pools, batches interleaved) keep their host ids apart and every probe with its own host', async () => {
    const a = await openPgStore(server!.url('two'), { connectTimeoutMs: 10_000 });
    const b = await openPgStore(server!.url('two'), { connectTimeoutMs: 10_000 });
    try {
      const mk = (off: number) => Array.from({ length: 120 }, (_, i) => syntheticTarget(off + i));
      const [ra, rb] = await Promise.all([writeRun(a, mk(0), 7), writeRun(b, mk(1000), 7)]);
      expect([ra.lost, rb.lost, ra.warnings, rb.warnings]).toEqual([false, false, [], []]);
      await withClient('two', async (c) => {
        const per = (await c.query('SELECT run_id, count(*) AS n, min(id) AS lo, max(id) AS hi FROM hosts GROUP BY run_id ORDER BY run_id')).rows;
        expect(per.map((r) => Number(r.n))).toEqual([120, 120]);
        // The runs' batches interleaved (the id ranges overlap), which is what makes this a test of concurrency.
        expect(Number(per[0].hi) > Number(per[1].lo) && Number(per[1].hi) > Number(per[0].lo)).toBe(true);
        // Each probe points at a host of its own run, with its own exchange and address.
        const wrong = (await c.query('SELECT count(*) AS n FROM probes p JOIN hosts h ON h.id = p.host_id WHERE h.run_id <> p.run_id OR h.exchange <> p.exchange OR h.ip <> p.ip')).rows[0].n;
        expect(wrong).toBe('0');
        expect((await c.query('SELECT count(*) AS n FROM probes p LEFT JOIN hosts h ON h.id = p.host_id WHERE h.id IS NULL')).rows[0].n).toBe('0');
      });
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});

