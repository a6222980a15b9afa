/**
 * The team store: PostgreSQL through `pg`. Same schema and migrations as SQLite; several writers
 * (machines, fleet workers) simply work, since each batch is its own transaction and ids come from
 * identity columns. Migrations take a transaction-scoped advisory lock so two processes opening a
 * fresh database at once do not both create the tables.
 */
import pg from 'pg';
import { MIGRATIONS } from './migrations.js';
import { copyFrom, CopyEncoder, CopyValueError } from './pg-copy.js';
import { deleteRunsSql, finishRunRow, insertRunRow, pgImportWriter } from './pg-import.js';
import { batchRows, groupHostRows, hostFromRecords, lazyBriefHost, lazyTarget, RUNS_SELECT, runFromRow, type RecordText, type RowBatch } from './rows.js';
import { StoreError, type HistoryEntry, type ImportWriter, type RunMetaIn, type RunRow, type RunWriter, type Store, type StoredHost, type StoredTarget } from './types.js';

/** An error PostgreSQL sent (an ErrorResponse: pg gives it a SQLSTATE `code` and a `severity`). */
function isServerError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { severity?: unknown }).severity === 'string';
}

/** An arbitrary constant: "mxpr" as int32, the advisory-lock key for migrations. */
const MIGRATION_LOCK = 0x6d787072;

/** postgres://user:secret@host/db → postgres://user:***@host/db */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

function explain(label: string, e: unknown, what: string): StoreError {
  const code = typeof e === 'object' && e !== null ? String((e as { code?: unknown }).code ?? '') : '';
  const msg = e instanceof Error ? e.message || (e as { code?: string }).code || String(e) : String(e);
  let hint = '';
  // ENOENT: a unix-socket URL (?host=/dir) whose socket file is not there, i.e. no server listening.
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') hint = ' (is PostgreSQL running and reachable at that address?)';
  else if (code === '28P01' || code === '28000') hint = ' (wrong user name or password)';
  else if (code === '3D000') hint = ' (create the database first: createdb)';
  return new StoreError(what === 'open' ? 'E_STORE_OPEN' : what === 'write' ? 'E_STORE_WRITE' : 'E_STORE_READ', `store ${label}: ${what}: ${msg}${hint}`, { cause: e });
}

export async function openPgStore(url: string, opts: { connectTimeoutMs: number; readOnly?: boolean }): Promise<Store> {
  const label = redactUrl(url);
  // A writer's commits do not wait for the WAL flush (synchronous_commit = off, for this session
  // only): the prober is not held up by the server's fsync. The trade-off (PostgreSQL docs, "Asynchronous
  // Commit"): a server crash may lose the last few batches reported committed (at most about
  // 3 × wal_writer_delay, 600 ms by default), but never corrupts the database or half-writes a
  // batch; the run's -o output still has every result, and `store import` can reload it.
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: opts.connectTimeoutMs, application_name: 'mxprobe', ...(opts.readOnly ? {} : { options: '-c synchronous_commit=off' }) });
  // An idle client losing its server must not crash the process: the next query reports it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      // A reader (diff, history, store runs) never creates the schema of a database that has none.
      if (opts.readOnly && (await client.query("SELECT to_regclass('schema_migrations') IS NULL AS missing")).rows[0]?.missing === true) {
        throw new StoreError('E_STORE_NOT_FOUND', `store ${label} does not exist: the database holds no mxprobe store (write one with: mxprobe probe … --store URL)`);
      }
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const cur = Number((await client.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
      const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
      if (cur > latest) throw new StoreError('E_STORE_OPEN', `store ${label}: schema version ${cur} is newer than this mxprobe knows (${latest}); upgrade mxprobe`);
      for (const m of MIGRATIONS) {
        if (m.version <= cur) continue;
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof StoreError) throw e;
    throw explain(label, e, 'open');
  }
  return new PgStore(pool, label);
}

/** The columns each batch's COPY fills, in the order pg.ts encodes them (encodeHosts, encodeProbes, encodeTargets). */
const COPY_HOSTS = 'COPY hosts (id, run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record, brief) FROM STDIN (FORMAT binary)';
const COPY_PROBES =
  'COPY probes (run_id, vantage, host_id, seq, domain, exchange, ip, port, identity_kind, identity_name, source, status, outcome, stage, code, cause, tls_version, cert_fingerprint, cert_not_after, starttls_offered, record) FROM STDIN (FORMAT binary)';
const COPY_TARGETS = 'COPY targets (run_id, tkey, input, origin, kind, domain, port, dns_status, record) FROM STDIN (FORMAT binary)';

/** Host ids for a batch, from the identity's sequence: concurrency-safe with other writers (nextval never hands out one twice). */
const HOST_IDS_SQL = "SELECT nextval(pg_get_serial_sequence('hosts', 'id')) AS id FROM generate_series(1, $1::int)";

/**
 * A batch's rows as the binary COPY data of each table (pg-copy.ts). `ids[i]` is the id of
 * `rows.hosts[i]`; probes get theirs from the probes' identity default, in the order written (host
 * by host, seq order), and targets likewise.
 */
function encodeHosts(e: CopyEncoder, runId: number, rows: RowBatch<RecordText>, ids: readonly string[]): Buffer {
  e.begin();
  rows.hosts.forEach(({ h }, i) => {
    e.row(12).int8(ids[i]!).int8(runId).text(h.hkey).text(h.tkey).text(h.targetInput).text(h.domain).text(h.exchange).text(h.ip).int4(h.port).int4(h.family).text(h.record).text(h.brief);
  });
  return e.end();
}

function encodeProbes(e: CopyEncoder, runId: number, vantage: string | null, rows: RowBatch<RecordText>, ids: readonly string[]): Buffer {
  e.begin();
  rows.hosts.forEach(({ h, probes }, i) => {
    const id = ids[i]!;
    for (const r of probes) {
      e.row(21).int8(runId).text(vantage).int8(id).int4(r.seq).text(h.domain).text(h.exchange).text(h.ip).int4(h.port).text(r.identityKind).text(r.identityName).text(r.source).text(r.status).text(r.outcome);
      e.text(r.stage).int4(r.code).text(r.cause).text(r.tlsVersion).text(r.certFingerprint).text(r.certNotAfter).bool(r.starttlsOffered).text(r.record);
    }
  });
  return e.end();
}

function encodeTargets(e: CopyEncoder, runId: number, rows: RowBatch<RecordText>): Buffer {
  e.begin();
  for (const t of rows.targets) e.row(9).int8(runId).text(t.tkey).text(t.input).text(t.origin).text(t.kind).text(t.domain).int4(t.port).text(t.dnsStatus).text(t.record);
  return e.end();
}

/**
 * Run once on each connection before its first COPY: the server process allocates and frees one
 * 16 MB value. Why: glibc's malloc gives memory at the top of its heap back to the kernel whenever
 * more than M_TRIM_THRESHOLD (128 KB by default) is free there, and a COPY frees its multi-insert
 * buffers (MBs) at its end, so each batch's COPYs grew the heap again page by page (page faults,
 * malloc's own work): the writer backend paid ~35% more CPU than for the old INSERT … SELECT
 * (bench/results/store-2026-12-01-pgcopy12.md). glibc raises both thresholds for the rest of the
 * process when a block it had mmap()ed is freed (mallopt(3), "M_MMAP_THRESHOLD": dynamic
 * adjustment; the trim threshold becomes twice the block): 16 MB is over the initial mmap threshold
 * and under its 32 MB cap. Elsewhere (another allocator) it only costs one 16 MB value, once.
 */
const WARM_SQL = "SELECT length(repeat('x', 16 * 1024 * 1024)) AS n";
const warmed = new WeakSet<object>();
/** MXPROBE_PG_WARM=0 leaves it out (for A/B measurement only). */
const WARM = process.env['MXPROBE_PG_WARM'] !== '0';

/** A run's COPY buffers, reused batch after batch (one batch at a time: StoreSink chains them). */
class CopyBuffers {
  readonly hosts = new CopyEncoder();
  readonly probes = new CopyEncoder();
  readonly targets = new CopyEncoder();
}

/**
 * `history TARGET` ($1 lower case, $2 as given): the same lookups as sqlite.ts HISTORY_SQL_SQLITE,
 * each by an index led by run_id. hkey is COLLATE "C", so the range is in byte order.
 */
export const HISTORY_SQL_PG = `SELECT h.id, h.run_id, h.hkey, h.tkey, h.record, r.started_at FROM hosts h JOIN runs r ON r.id = h.run_id
WHERE h.id IN (
  SELECT k.id FROM runs kr JOIN hosts k ON k.run_id = kr.id AND k.hkey >= $1 || chr(31) AND k.hkey < $1 || chr(32) WHERE k.tkey = $1
  UNION ALL SELECT k.id FROM runs kr JOIN hosts k ON k.run_id = kr.id AND k.exchange IN ($1, $2)
  UNION ALL SELECT k.id FROM runs kr JOIN hosts k ON k.run_id = kr.id AND k.ip = $2
)
ORDER BY h.hkey, r.started_at, h.id LIMIT $3`;

/**
 * `history DOMAIN`'s target records: as sqlite.ts TARGET_HISTORY_SQL_SQLITE, each run's target by
 * targets_run_key (run_id, tkey); migration 9 dropped the index on tkey alone.
 */
export const TARGET_HISTORY_SQL_PG = 'SELECT t.run_id, t.tkey, t.record, r.started_at FROM runs r JOIN targets t ON t.run_id = r.id AND t.tkey = $1 ORDER BY r.started_at, t.id LIMIT $2';

class PgStore implements Store {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: pg.Pool,
    readonly label: string,
  ) {}

  private async guard<T>(what: 'read' | 'write', f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw explain(this.label, e, what);
    }
  }

  async beginRun(meta: RunMetaIn): Promise<RunWriter> {
    const pool = this.pool;
    const id = await this.guard('write', () => insertRunRow(pool, meta));
    const guard = this.guard.bind(this);
    const vantage = meta.vantage;
    // Idle buffers: a batch takes a set (a new one if another batch is being written at once).
    const spare: CopyBuffers[] = [];
    const writeRows = (rows: RowBatch<RecordText>): Promise<void> =>
      guard('write', async () => {
        // Two round trips per batch: the host ids, then one simple Query holding the three COPYs
        // (binary, pg-copy.ts), which the server runs as one implicit transaction: a batch is
        // stored whole or not at all. The ids come first because each probe row carries its
        // host's id; taking them from the sequence keeps concurrent writers apart.
        const client = await pool.connect();
        const bufs = spare.pop() ?? new CopyBuffers();
        let drop = false;
        try {
          if (WARM && !warmed.has(client)) {
            await client.query(WARM_SQL);
            warmed.add(client);
          }
          const n = rows.hosts.length;
          const ids = n === 0 ? [] : (await client.query({ text: HOST_IDS_SQL, values: [n], rowMode: 'array' })).rows.map((r: unknown[]) => String(r[0]));
          const sql: string[] = [];
          const data: Buffer[] = [];
          if (n > 0) {
            sql.push(COPY_HOSTS);
            data.push(encodeHosts(bufs.hosts, id, rows, ids));
            if (rows.hosts.some((x) => x.probes.length > 0)) {
              sql.push(COPY_PROBES);
              data.push(encodeProbes(bufs.probes, id, vantage, rows, ids));
            }
          }
          if (rows.targets.length > 0) {
            sql.push(COPY_TARGETS);
            data.push(encodeTargets(bufs.targets, id, rows));
          }
          if (sql.length > 0) await copyFrom(client, sql.join(';\n'), data);
        } catch (e) {
          // Nothing of the batch stays (the implicit transaction rolled back). After an error the
          // server sent, or a value the encoder refused before anything was sent, the connection
          // is fine for the next batch; after any other (the socket died) it is dropped.
          drop = !(isServerError(e) || e instanceof CopyValueError);
          throw e;
        } finally {
          spare.push(bufs);
          client.release(drop || undefined);
        }
      });
    return {
      runId: id,
      writeBatch: (hosts, targets) => writeRows(batchRows(hosts, targets)),
      writeRows: (rows) => writeRows(rows),
      // The COPY encoder copies a RecordPack view's bytes as they are (rows.ts): it takes packed batches.
      writePacked: (rows) => writeRows(rows),
      finish: (info) => guard('write', () => finishRunRow(pool, id, info)),
    };
  }

  async beginImport(meta: RunMetaIn): Promise<ImportWriter> {
    return pgImportWriter(this.pool, meta, this.guard.bind(this));
  }

  async listRuns(limit: number): Promise<RunRow[]> {
    return this.guard('read', async () => (await this.pool.query(`${RUNS_SELECT} ORDER BY r.started_at DESC, r.id DESC LIMIT $1`, [limit])).rows.map(runFromRow));
  }

  async getRun(id: number): Promise<RunRow | null> {
    return this.guard('read', async () => {
      const r = (await this.pool.query(`${RUNS_SELECT} WHERE r.id = $1`, [id])).rows[0] as Record<string, unknown> | undefined;
      return r ? runFromRow(r) : null;
    });
  }

  private async withProbes(rows: Array<Record<string, unknown>>): Promise<Array<StoredHost & { startedAt?: string }>> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r['id']));
    const probes = (await this.pool.query('SELECT host_id, record FROM probes WHERE host_id = ANY($1::bigint[]) ORDER BY host_id, seq', [ids])).rows as Array<{ host_id: string; record: string }>;
    const byHost = new Map<string, string[]>();
    for (const p of probes) {
      const k = String(p.host_id);
      let list = byHost.get(k);
      if (!list) byHost.set(k, (list = []));
      list.push(p.record);
    }
    return rows.map((r) => {
      const { host, target } = hostFromRecords(r['record'], byHost.get(String(r['id'])) ?? []);
      return { hkey: String(r['hkey']), tkey: String(r['tkey']), runId: Number(r['run_id']), target, host, ...(r['started_at'] !== undefined ? { startedAt: String(r['started_at']) } : {}) };
    });
  }

  async hostPage(runId: number, afterKey: string | null, limit: number, opts?: { brief?: boolean }): Promise<StoredHost[]> {
    return this.guard('read', async () => {
      // One ordered query per page (hosts joined with their probes), not a second query per page.
      // `brief`: a host with a brief column (migration 2) is read from it alone, without its probes;
      // an older one gets its full probe records (a superset of what diff reads).
      const brief = opts?.brief === true;
      if (brief) return this.briefPage(runId, afterKey, limit);
      const rows = (
        await this.pool.query(
          `SELECT h.id, h.run_id, h.hkey, h.tkey, NULL AS brief, h.record, p.record AS prec FROM
           (SELECT id, run_id, hkey, tkey, record FROM hosts WHERE run_id = $1 ${afterKey === null ? '' : 'AND hkey > $3'} ORDER BY hkey, id LIMIT $2) h
           LEFT JOIN probes p ON p.host_id = h.id ORDER BY h.hkey, h.id, p.seq`,
          afterKey === null ? [runId, limit] : [runId, limit, afterKey],
        )
      ).rows as Array<Record<string, unknown>>;
      return groupHostRows(rows);
    });
  }

  /**
   * A page for diff: the briefs only (an index range scan, no join), parsed lazily; hosts without
   * one (written before migration 3) are read from their records in one more query.
   */
  private async briefPage(runId: number, afterKey: string | null, limit: number): Promise<StoredHost[]> {
    const rows = (
      await this.pool.query(
        `SELECT id, run_id, hkey, tkey, brief FROM hosts WHERE run_id = $1 ${afterKey === null ? '' : 'AND hkey > $3'} ORDER BY hkey, id LIMIT $2`,
        afterKey === null ? [runId, limit] : [runId, limit, afterKey],
      )
    ).rows as Array<{ id: string; run_id: string; hkey: string; tkey: string; brief: string | null }>;
    const missing = rows.filter((r) => r.brief === null).map((r) => String(r.id));
    const fromRecords = new Map<string, StoredHost>();
    if (missing.length > 0) {
      const full = (
        await this.pool.query(
          `SELECT h.id, h.run_id, h.hkey, h.tkey, NULL AS brief, h.record, p.record AS prec FROM hosts h LEFT JOIN probes p ON p.host_id = h.id
           WHERE h.id = ANY($1::bigint[]) ORDER BY h.id, p.seq`,
          [missing],
        )
      ).rows as Array<Record<string, unknown>>;
      // Grouped in id order, one StoredHost per id.
      const hosts = groupHostRows(full);
      [...missing].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0)).forEach((id, i) => fromRecords.set(id, hosts[i]!));
    }
    return rows.map((r) => (r.brief === null ? fromRecords.get(String(r.id))! : lazyBriefHost({ hkey: r.hkey, tkey: r.tkey, runId: Number(r.run_id), brief: r.brief })));
  }

  async targetPage(runId: number, afterKey: string | null, limit: number): Promise<StoredTarget[]> {
    return this.guard('read', async () => {
      const rows =
        afterKey === null
          ? await this.pool.query('SELECT run_id, tkey, record FROM targets WHERE run_id = $1 ORDER BY tkey, id LIMIT $2', [runId, limit])
          : await this.pool.query('SELECT run_id, tkey, record FROM targets WHERE run_id = $1 AND tkey > $2 ORDER BY tkey, id LIMIT $3', [runId, afterKey, limit]);
      return rows.rows.map((r: { run_id: string; tkey: string; record: string }): StoredTarget => lazyTarget({ runId: Number(r.run_id), tkey: r.tkey, record: r.record }));
    });
  }

  async history(query: string, limit: number): Promise<HistoryEntry[]> {
    return this.guard('read', async () => {
      const rows = await this.pool.query(HISTORY_SQL_PG, [query.toLowerCase(), query, limit]);
      return (await this.withProbes(rows.rows)) as HistoryEntry[];
    });
  }

  async targetHistory(tkey: string, limit: number): Promise<Array<StoredTarget & { startedAt: string }>> {
    return this.guard('read', async () => {
      const rows = (
        await this.pool.query(TARGET_HISTORY_SQL_PG, [tkey.toLowerCase(), limit])
      ).rows as Array<{ run_id: string; tkey: string; record: string; started_at: string }>;
      return rows.map((r) => ({ runId: Number(r.run_id), tkey: r.tkey, startedAt: String(r.started_at), target: JSON.parse(r.record) as StoredTarget['target'] }));
    });
  }

  async prune(before: string, runningBefore: string): Promise<{ pruned: number; keptRunning: number }> {
    return this.guard('write', async () => {
      const pruned = (await this.pool.query(deleteRunsSql("started_at < $1 AND (state <> 'running' OR started_at < $2)"), [before, runningBefore])).rowCount ?? 0;
      const kept = await this.pool.query("SELECT count(*) AS n FROM runs WHERE started_at < $1 AND state = 'running'", [before]);
      return { pruned, keptRunning: Number((kept.rows[0] as { n: string | number }).n) };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
