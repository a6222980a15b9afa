/**
 * The PostgreSQL side of a streamed `store import` (store/import.ts): one transaction per batch,
 * one multi-row INSERT per table (unnest of arrays), the merge state in hosts.import_key
 * (migration 3), looked up once per batch.
 */
import type pg from 'pg';
import type { HostResult } from '../results.js';
import { groupHostRows, hostRow, probeRow, targetRow } from './rows.js';
import type { ImportHost, ImportWriter, RunMetaIn, RunWriter } from './types.js';
import { runWriterOf } from './run-writer.js';

type Guard = <T>(what: 'read' | 'write', f: () => Promise<T>) => Promise<T>;

/**
 * JSON records travel as one text joined by U+001E and are split by the server
 * (`string_to_array($n, chr(30))`), not as a text[] parameter: pg escapes every `"` and `\` of
 * every element of an array literal with two regex passes and the server un-escapes them, which
 * for JSON full of quotes was most of the client CPU of a PostgreSQL store. JSON.stringify never
 * emits a raw U+001E (RFC 8259 §7: control characters are escaped), so the split is exact.
 */
export function packJson(records: readonly string[]): string {
  return records.join('\u001e');
}
/** The SQL for a packJson parameter as text[]. */
export const UNPACK = (param: string): string => `string_to_array(${param}::text, chr(30))`;

/**
 * Delete the runs matching `where` (on runs) with their probes, hosts and targets, in one
 * statement (atomic; data-modifying CTEs all run, PostgreSQL docs "WITH Queries"): since
 * migration 8 no foreign key cascades it. The row count is the runs deleted.
 */
export function deleteRunsSql(where: string): string {
  return `WITH old AS MATERIALIZED (SELECT id FROM runs WHERE ${where}),
  p AS (DELETE FROM probes WHERE run_id IN (SELECT id FROM old)),
  h AS (DELETE FROM hosts WHERE run_id IN (SELECT id FROM old)),
  t AS (DELETE FROM targets WHERE run_id IN (SELECT id FROM old))
DELETE FROM runs WHERE id IN (SELECT id FROM old)`;
}

/** A new run row in state 'running'; its id. `probe --store` (pg.ts) and `store import` share it. */
export async function insertRunRow(pool: pg.Pool, meta: RunMetaIn): Promise<number> {
  // The writer's host and pid for `probe --store` (migration 10; see sqlite-import.ts).
  const w = runWriterOf(meta);
  const r = await pool.query('INSERT INTO runs (started_at, tool_version, options, vantage, state, source, writer_host, writer_pid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id', [
    meta.startedAt,
    meta.toolVersion,
    JSON.stringify(meta.options),
    meta.vantage,
    'running',
    meta.source,
    w.host,
    w.pid,
  ]);
  return Number(r.rows[0]?.id);
}

/** Close a run row: its end, state and counts. Shared with `probe --store` (pg.ts). */
export async function finishRunRow(pool: pg.Pool, id: number, info: Parameters<RunWriter['finish']>[0]): Promise<void> {
  await pool.query('UPDATE runs SET finished_at = $1, state = $2, target_count = $3, host_count = $4, probe_count = $5, targets_digest = $6 WHERE id = $7', [
    info.finishedAt,
    info.state,
    info.targetCount,
    info.hostCount,
    info.probeCount,
    info.targetsDigest,
    id,
  ]);
}

export async function pgImportWriter(pool: pg.Pool, meta: RunMetaIn, guard: Guard): Promise<ImportWriter> {
  const id = await guard('write', () => insertRunRow(pool, meta));
  const vantage = meta.vantage;

  async function insertProbes(client: pg.PoolClient, hosts: ReadonlyArray<{ hostId: string | number; host: HostResult; h: ReturnType<typeof hostRow> }>): Promise<void> {
    const cols: unknown[][] = Array.from({ length: 19 }, () => []);
    for (const { hostId, host, h } of hosts) {
      host.probes.forEach((p, seq) => {
        const r = probeRow(p, seq);
        const vals = [hostId, r.seq, h.domain, h.exchange, h.ip, h.port, r.identityKind, r.identityName, r.source, r.status, r.outcome, r.stage, r.code, r.cause, r.tlsVersion, r.certFingerprint, r.certNotAfter, r.starttlsOffered, r.record];
        vals.forEach((v, c) => cols[c]!.push(v));
      });
    }
    if (cols[0]!.length === 0) return;
    await client.query(
      `INSERT INTO probes (run_id, vantage, host_id, seq, domain, exchange, ip, port, identity_kind, identity_name, source, status, outcome, stage, code, cause, tls_version, cert_fingerprint, cert_not_after, starttls_offered, record)
       SELECT $1::bigint, $2::text, * FROM unnest($3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::int[], $16::text[], $17::text[], $18::text[], $19::text[], $20::boolean[], ${UNPACK('$21')})`,
      [id, vantage, ...cols.slice(0, 18), packJson(cols[18] as string[])],
    );
  }

  return {
    runId: id,
    existing: (ikeys) =>
      guard('read', async () => {
        const out = new Map<string, { id: number; host: HostResult }>();
        if (ikeys.length === 0) return out;
        const rows = (
          await pool.query(
            `SELECT h.id, h.run_id, h.hkey, h.tkey, NULL AS brief, h.record, h.import_key, p.record AS prec FROM
             (SELECT id, run_id, hkey, tkey, record, import_key FROM hosts WHERE run_id = $1 AND import_key = ANY($2::text[])) h
             LEFT JOIN probes p ON p.host_id = h.id ORDER BY h.id, p.seq`,
            [id, ikeys],
          )
        ).rows as Array<Record<string, unknown>>;
        if (rows.length === 0) return out;
        // groupHostRows folds one host per run of equal id; the keys come from the first row of each.
        const keyOf = new Map<string, string>();
        for (const r of rows) keyOf.set(String(r['id']), String(r['import_key']));
        const ids = [...keyOf.keys()];
        groupHostRows(rows).forEach((sh, i) => out.set(keyOf.get(ids[i]!)!, { id: Number(ids[i]), host: sh.host }));
        return out;
      }),
    writeBatch: (b) =>
      guard('write', async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const withIds: Array<{ hostId: string | number; host: HostResult; h: ReturnType<typeof hostRow> }> = [];
          if (b.insert.length > 0) {
            const hr = b.insert.map(({ host, target }) => hostRow(host, target));
            const ids = (await client.query("SELECT nextval(pg_get_serial_sequence('hosts', 'id')) AS id FROM generate_series(1, $1)", [hr.length])).rows.map((r: { id: string }) => r.id);
            await client.query(
              `INSERT INTO hosts (id, run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record, brief, import_key)
               SELECT hid, $1::bigint, hkey, tkey, ti, d, ex, ip, port, fam, rec, brief, ik
               FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], ${UNPACK('$11')}, ${UNPACK('$12')}, $13::text[]) AS u(hid, hkey, tkey, ti, d, ex, ip, port, fam, rec, brief, ik)`,
              [id, ids, hr.map((h) => h.hkey), hr.map((h) => h.tkey), hr.map((h) => h.targetInput), hr.map((h) => h.domain), hr.map((h) => h.exchange), hr.map((h) => h.ip), hr.map((h) => h.port), hr.map((h) => h.family), packJson(hr.map((h) => h.record)), packJson(hr.map((h) => h.brief)), b.insert.map((x) => x.ikey)],
            );
            b.insert.forEach((x, i) => withIds.push({ hostId: ids[i]!, host: x.host, h: hr[i]! }));
          }
          if (b.replace.length > 0) {
            const hr = b.replace.map(({ host, target }) => hostRow(host, target));
            const rid = b.replace.map((x) => x.id);
            await client.query(`UPDATE hosts SET record = u.rec, brief = u.brief FROM unnest($1::bigint[], ${UNPACK('$2')}, ${UNPACK('$3')}) AS u(hid, rec, brief) WHERE hosts.id = u.hid`, [rid, packJson(hr.map((h) => h.record)), packJson(hr.map((h) => h.brief))]);
            await client.query('DELETE FROM probes WHERE host_id = ANY($1::bigint[])', [rid]);
            b.replace.forEach((x, i) => withIds.push({ hostId: x.id, host: x.host, h: hr[i]! }));
          }
          await insertProbes(client, withIds);
          let added: string[] = [];
          if (b.targets.length > 0) {
            const tr = b.targets.map((t) => targetRow(t));
            const res = await client.query(
              `INSERT INTO targets (run_id, tkey, input, origin, kind, domain, port, dns_status, record)
               SELECT $1::bigint, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], ${UNPACK('$9')}) AS u(tkey, input, origin, kind, domain, port, dns, rec)
               ${b.firstWins ? 'WHERE NOT EXISTS (SELECT 1 FROM targets t WHERE t.run_id = $1 AND t.tkey = u.tkey AND t.input = u.input AND t.origin = u.origin)' : ''}
               RETURNING tkey`,
              [id, tr.map((r) => r.tkey), tr.map((r) => r.input), tr.map((r) => r.origin), tr.map((r) => r.kind), tr.map((r) => r.domain), tr.map((r) => r.port), tr.map((r) => r.dnsStatus), packJson(tr.map((r) => r.record))],
            );
            added = res.rows.map((r: { tkey: string }) => r.tkey);
          }
          await client.query('COMMIT');
          return added;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          throw e;
        } finally {
          client.release();
        }
      }),
    finish: (info) => guard('write', () => finishRunRow(pool, id, info)),
    discard: () =>
      guard('write', async () => {
        // Its hosts, probes and targets too: no foreign key cascades since migration 8.
        await pool.query(deleteRunsSql('id = $1'), [id]);
      }),
  };
}

export type { ImportHost };
