/**
 * The SQLite side of a streamed `store import` (store/import.ts): one transaction per batch,
 * prepared statements, the merge state in hosts.import_key (migration 3).
 */
import type Database from 'better-sqlite3';
import type { HostResult } from '../results.js';
import { hostFromRecords, hostRow, probeRow, targetRow } from './rows.js';
import type { ImportHost, ImportWriter, RunMetaIn } from './types.js';
import { runWriterOf } from './run-writer.js';

/** The statements `probe --store` (sqlite.ts) and `store import` share. */
export const INSERT_PROBE =
  'INSERT INTO probes (host_id, run_id, seq, vantage, domain, exchange, ip, port, identity_kind, identity_name, source, status, outcome, stage, code, cause, tls_version, cert_fingerprint, cert_not_after, starttls_offered, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
export const INSERT_TARGET = 'INSERT INTO targets (run_id, tkey, input, origin, kind, domain, port, dns_status, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * A new run row in state 'running'; its id. A run written by `probe --store` (no source file)
 * records its writer's host and pid (migration 10), so a run left 'running' by a killed process
 * can be told from one being written (store runs).
 */
export function insertRunRow(db: Database.Database, meta: RunMetaIn): number {
  const w = runWriterOf(meta);
  return Number(
    db
      .prepare('INSERT INTO runs (started_at, tool_version, options, vantage, state, source, writer_host, writer_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(meta.startedAt, meta.toolVersion, JSON.stringify(meta.options), meta.vantage, 'running', meta.source, w.host, w.pid).lastInsertRowid,
  );
}

export function sqliteImportWriter(db: Database.Database, meta: RunMetaIn, guard: <T>(what: string, f: () => T) => T): ImportWriter {
  const id = guard('write', () => insertRunRow(db, meta));
  const insHost = db.prepare('INSERT INTO hosts (run_id, hkey, tkey, target_input, domain, exchange, ip, port, family, record, brief, import_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insProbe = db.prepare(INSERT_PROBE);
  const updHost = db.prepare('UPDATE hosts SET record = ?, brief = ? WHERE id = ?');
  const delProbes = db.prepare('DELETE FROM probes WHERE host_id = ?');
  const insTarget = db.prepare(INSERT_TARGET);
  const hasTarget = db.prepare('SELECT 1 FROM targets WHERE run_id = ? AND tkey = ? AND input = ? AND origin = ? LIMIT 1');
  const selHosts = db.prepare('SELECT id, import_key, record FROM hosts WHERE run_id = ? AND import_key IN (SELECT value FROM json_each(?))');
  const selProbes = db.prepare('SELECT host_id, record FROM probes WHERE host_id IN (SELECT value FROM json_each(?)) ORDER BY host_id, seq');
  const finish = db.prepare('UPDATE runs SET finished_at = ?, state = ?, target_count = ?, host_count = ?, probe_count = ?, targets_digest = ? WHERE id = ?');
  const vantage = meta.vantage;

  const probes = (hostId: number | bigint, host: HostResult, h: ReturnType<typeof hostRow>) => {
    host.probes.forEach((p, seq) => {
      const r = probeRow(p, seq);
      insProbe.run(hostId, id, r.seq, vantage, h.domain, h.exchange, h.ip, h.port, r.identityKind, r.identityName, r.source, r.status, r.outcome, r.stage, r.code, r.cause, r.tlsVersion, r.certFingerprint, r.certNotAfter, r.starttlsOffered === null ? null : r.starttlsOffered ? 1 : 0, r.record);
    });
  };
  const batch = db.transaction((b: Parameters<ImportWriter['writeBatch']>[0]): string[] => {
    for (const { ikey, host, target } of b.insert) {
      const h = hostRow(host, target);
      const hostId = insHost.run(id, h.hkey, h.tkey, h.targetInput, h.domain, h.exchange, h.ip, h.port, h.family, h.record, h.brief, ikey).lastInsertRowid;
      probes(hostId, host, h);
    }
    for (const { id: hostId, host, target } of b.replace) {
      const h = hostRow(host, target);
      updHost.run(h.record, h.brief, hostId);
      delProbes.run(hostId);
      probes(hostId, host, h);
    }
    const added: string[] = [];
    for (const t of b.targets) {
      const r = targetRow(t);
      if (b.firstWins && hasTarget.get(id, r.tkey, r.input, r.origin) !== undefined) continue;
      insTarget.run(id, r.tkey, r.input, r.origin, r.kind, r.domain, r.port, r.dnsStatus, r.record);
      added.push(r.tkey);
    }
    return added;
  });

  return {
    runId: id,
    async existing(ikeys) {
      return guard('read', () => {
        const out = new Map<string, { id: number; host: HostResult }>();
        if (ikeys.length === 0) return out;
        const rows = selHosts.all(id, JSON.stringify(ikeys)) as Array<{ id: number; import_key: string; record: string }>;
        if (rows.length === 0) return out;
        const byHost = new Map<number, string[]>();
        for (const p of selProbes.iterate(JSON.stringify(rows.map((r) => r.id))) as IterableIterator<{ host_id: number; record: string }>) {
          let list = byHost.get(p.host_id);
          if (!list) byHost.set(p.host_id, (list = []));
          list.push(p.record);
        }
        for (const r of rows) out.set(r.import_key, { id: r.id, host: hostFromRecords(r.record, byHost.get(r.id) ?? []).host });
        return out;
      });
    },
    async writeBatch(b) {
      return guard('write', () => batch.immediate(b));
    },
    async finish(info) {
      guard('write', () => finish.run(info.finishedAt, info.state, info.targetCount, info.hostCount, info.probeCount, info.targetsDigest, id));
    },
    async discard() {
      guard('write', () => db.prepare('DELETE FROM runs WHERE id = ?').run(id));
    },
  };
}

export type { ImportHost };
