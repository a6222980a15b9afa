/** Flattening results into the stored columns, and back. Shared by both implementations. */
import type { AlignmentCheck, HostResult, ProbeResult, TargetResult } from '../results.js';
import { briefHeader, type BriefHeader } from './diff.js';
import type { HostStrings } from './serialise.js';
import { hostKey, keyHash, targetKey, type HostTarget, type RunRow, type RunState, type StoredHost, type StoredTarget } from './types.js';

/**
 * A large text column (a record, a brief) as a JS string, or (in a batch of the in-thread SQLite
 * writer, RecordPack) as its UTF-8 bytes in a reused off-heap buffer. Both are stored as the same
 * TEXT (sqlite.ts binds them through CAST(? AS TEXT)).
 */
export type RecordText = string | Buffer;

export interface HostRow<T extends RecordText = string> {
  hkey: string;
  tkey: string;
  targetInput: string;
  domain: string | null;
  exchange: string;
  ip: string;
  port: number;
  family: number;
  record: T;
  /** hostBrief(): the facts diff compares, a few hundred bytes (the record stays the full truth). */
  brief: T;
}

export interface ProbeRow<T extends RecordText = string> {
  seq: number;
  identityKind: string;
  identityName: string;
  source: string | null;
  status: string;
  outcome: string;
  stage: string | null;
  code: number | null;
  cause: string;
  tlsVersion: string | null;
  certFingerprint: string | null;
  certNotAfter: string | null;
  starttlsOffered: boolean | null;
  record: T;
}

export interface TargetRow {
  tkey: string;
  input: string;
  origin: string;
  kind: string;
  domain: string | null;
  port: number;
  dnsStatus: string;
  record: string;
  /** keyHash(tkey), for the run's target digest (types.ts KeySetDigest): hashed once per target. */
  khash: number;
}

/** `pre`: the record already serialised (serialise.ts), else it is made here. */
export function hostRow(host: HostResult, target: HostTarget, pre?: HostStrings | null): HostRow {
  const tkey = targetKey(target);
  return {
    hkey: hostKey(tkey, host),
    tkey,
    targetInput: target.input,
    domain: target.domain,
    exchange: host.exchange,
    ip: host.ip,
    port: host.port,
    family: host.family,
    record: pre?.record ?? hostRecord(host, target),
    brief: hostBrief(host, target),
  };
}

/** The host's `record` column: the host without its probes, with its target's input and domain. */
export function hostRecord(host: HostResult, target: Pick<HostTarget, 'input' | 'domain'>): string {
  const { probes: _probes, ...rest } = host;
  return JSON.stringify({ ...rest, target: { input: target.input, domain: target.domain } });
}

/**
 * A host reduced to what `diffHost` (store/diff.ts) reads, in the HostResult shape: per probe the
 * identity, status, verdict, greylist retry verdict, error message, banner lines, plain EHLO
 * keywords and STARTTLS, TLS protocol, cipher and certificate (issuer CN/O, fingerprint, notAfter);
 * the alignment check statuses; since migration 3 also the post-STARTTLS EHLO keywords, each
 * identity's sender-side alignment checks and the DANE verdict. No transcripts, greetings, timings: a diff of 100k hosts parses
 * ~0.5 KB per host instead of ~5 KB. Keep in step with diff.ts: test/store/store.test.ts checks
 * a diff from briefs against one from full records.
 */
export function hostBrief(host: HostResult, target: { input: string; domain: string | null }): string {
  // Built by assignment, not by spreading `...(cond ? {…} : {})`: the same keys in the same order
  // (so the same JSON, byte for byte), without a temporary object per optional field. It runs
  // once per stored host on the prober's thread.
  const probes = host.probes.map((p) => {
    const b: Record<string, unknown> = { identity: p.identity, status: p.status, verdict: p.verdict };
    // Migration 11: a fleet run's probe names the relay that made it, so diff compares each
    // relay's observation with the same relay's (diff.ts splitByVantage). Absent otherwise, so a
    // plain run's brief is the same bytes as before.
    if (p.vantage !== undefined) b['vantage'] = p.vantage;
    if (p.greylistRetry) b['greylistRetry'] = { verdict: p.greylistRetry.verdict, status: p.greylistRetry.status };
    if (p.error) b['error'] = { message: p.error.message };
    b['banner'] = p.banner ? { lines: p.banner.lines } : null;
    b['capabilities'] = {
      plain: p.capabilities.plain ? { keywords: p.capabilities.plain.keywords, starttls: p.capabilities.plain.starttls } : null,
      // Migration 3: the post-STARTTLS EHLO keywords (RFC 3207 §4.2).
      tls: p.capabilities.tls ? { keywords: p.capabilities.tls.keywords } : null,
    };
    const t = p.tls;
    b['tls'] = t
      ? {
          protocol: t.protocol,
          cipher: t.cipher ? { name: t.cipher.name, standardName: t.cipher.standardName } : null,
          certificate: t.certificate ? { issuer: briefIssuer(t.certificate.issuer), fingerprint256: t.certificate.fingerprint256, validTo: t.certificate.validTo } : null,
        }
      : null;
    // Migration 3: the sender-side alignment checks of this identity.
    if (p.alignment) {
      const a: Record<string, unknown> = { checks: briefChecks(p.alignment.checks) };
      if (p.alignment.observedIp) a['observedIp'] = { ip: p.alignment.observedIp.ip, checks: briefChecks(p.alignment.observedIp.checks) };
      b['alignment'] = a;
    }
    return b;
  });
  // The object { q, target, probes, alignment?, transport? } written as JSON member by member and
  // joined once: the same bytes as JSON.stringify of the whole (a nested value is written as it is
  // alone; none of these values is undefined), but one flat string. JSON.stringify returns a long
  // result as a tree of ConsStrings, which better-sqlite3 flattens (copies) when it binds it, by
  // then in the old generation (see serialise.ts serialiseHost).
  const parts = [
    // First, so a reader finds it without parsing the rest (parseBriefHeader).
    `{"q":${JSON.stringify(briefHeader(host))}`,
    `"target":${JSON.stringify({ input: target.input, domain: target.domain })}`,
    `"probes":${JSON.stringify(probes)}`,
  ];
  if (host.alignment) parts.push(`"alignment":${JSON.stringify({ checks: briefChecks(host.alignment.checks) })}`);
  // Migration 3: the DANE verdict (RFC 7672) and the DNSSEC status of its TLSA answer.
  const dane = host.transport?.dane;
  if (dane) {
    const d: Record<string, unknown> = { status: dane.status, dnssec: dane.dnssec };
    if (dane.detail !== undefined) d['detail'] = dane.detail;
    parts.push(`"transport":${JSON.stringify({ dane: d })}`);
  }
  parts[parts.length - 1] += '}';
  return parts.join(',');
}

function briefChecks(list: AlignmentCheck[]): AlignmentCheck[] {
  // `detail` is not compared, but AlignmentCheck requires it; an empty string keeps the brief small.
  return list.map((c) => ({ id: c.id, status: c.status, detail: '' }));
}

function briefIssuer(issuer: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (issuer['CN'] !== undefined) out['CN'] = issuer['CN'];
  if (issuer['O'] !== undefined) out['O'] = issuer['O'];
  return out;
}

/** Parse a brief column back into a (partial) host, for diff only. */
export function hostFromBrief(brief: string): { host: HostResult; target: { input: string; domain: string | null } } {
  const { target, q: _q, ...host } = JSON.parse(brief) as HostResult & { target: { input: string; domain: string | null }; q?: unknown };
  return { host, target };
}

const HEADER = /^\{"q":(\{"notAfter":(?:null|"(?:[^"\\]|\\.)*"),"solo":(?:true|false)\})/;

/** The header of a brief (written since migration 3), read from its first bytes; null if absent. */
export function parseBriefHeader(brief: string): BriefHeader | null {
  const m = HEADER.exec(brief);
  return m ? (JSON.parse(m[1]!) as BriefHeader) : null;
}

/**
 * A host read from its brief, parsed only when `host` or `target` is first read: a diff of two
 * byte-equal briefs never parses them (diff-stream.ts).
 */
export function lazyBriefHost(row: { hkey: string; tkey: string; runId: number; brief: string }): StoredHost {
  let parsed: ReturnType<typeof hostFromBrief> | null = null;
  const get = () => (parsed ??= hostFromBrief(row.brief));
  return {
    hkey: row.hkey,
    tkey: row.tkey,
    runId: row.runId,
    brief: row.brief,
    get host() {
      return get().host;
    },
    get target() {
      return get().target;
    },
  };
}

/** A target read from its record, parsed on first read of `target`; `raw` kept for equality. */
export function lazyTarget(row: { tkey: string; runId: number; record: string }): StoredTarget {
  let parsed: StoredTarget['target'] | null = null;
  return {
    tkey: row.tkey,
    runId: row.runId,
    raw: row.record,
    get target() {
      return (parsed ??= JSON.parse(row.record) as StoredTarget['target']);
    },
  };
}

/** The certificate's notAfter as ISO 8601 (Node gives "Mar  1 12:00:00 2027 GMT"); null when unparseable. */
export function isoDate(s: string | undefined | null): string | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** `record`: JSON.stringify(p) when the caller already has it (serialise.ts). */
export function probeRow(p: ProbeResult, seq: number, record?: string): ProbeRow {
  return {
    seq,
    identityKind: p.identity.kind,
    identityName: p.identity.name,
    source: p.identity.source,
    status: p.status,
    outcome: p.verdict.outcome,
    stage: p.verdict.stage,
    code: p.verdict.code,
    cause: p.verdict.cause,
    tlsVersion: p.tls?.protocol ?? null,
    certFingerprint: p.tls?.certificate?.fingerprint256 ?? null,
    certNotAfter: isoDate(p.tls?.certificate?.validTo),
    starttlsOffered: p.capabilities.plain ? p.capabilities.plain.starttls : null,
    record: record ?? JSON.stringify(p),
  };
}

/**
 * A batch of a run as rows: what a RunWriter writes. Plain strings and numbers, so a batch can be
 * built on the prober's thread and written by the store writer thread (worker-sink.ts).
 */
export interface RowBatch<T extends RecordText = string> {
  hosts: Array<{ h: HostRow<T>; probes: ProbeRow<T>[] }>;
  targets: TargetRow[];
  /** RecordPack's buffers this batch's Buffer columns are views of (given back once it is written). */
  chunks?: Buffer[];
}

/** Bytes of one RecordPack buffer. */
const PACK_CHUNK = 1 << 20;

/**
 * Off-heap room for the large text columns of the batches a StoreSink holds for the in-thread
 * SQLite writer (RunWriter.writePacked): each host's record, brief and probe records are copied as
 * UTF-8 into a reused Buffer as the host arrives, and the batch holds views of it, not the strings.
 * Why (session 10, bench/results/store-2026-12-01-storeperf8.md): a batch holds ~1000 hosts'
 * strings (~3.5 MB) for up to 500 ms, long enough for V8 to copy them through the young
 * generation and promote them into old-space pages that the run has not touched before (page
 * faults), then mark and sweep them; the strings themselves die young. Measured on 100k hosts'
 * rows, this holding cost more process CPU than writing the rows. The buffers are given back once
 * their batch is committed, so a run reuses the same few MB. A string that could not fit a buffer
 * stays a string (UTF-8 needs at most 3 bytes per UTF-16 unit; the records are JSON, which
 * JSON.stringify keeps well-formed, so encoding them changes no byte SQLite would store).
 */
export class RecordPack {
  private readonly free: Buffer[] = [];
  private used: Buffer[] = [];
  private cur: Buffer | null = null;
  private at = 0;

  put(s: string): RecordText {
    if (s.length * 3 > PACK_CHUNK) return s;
    if (this.cur === null || this.at + s.length * 3 > PACK_CHUNK) {
      this.cur = this.free.pop() ?? Buffer.allocUnsafeSlow(PACK_CHUNK);
      this.used.push(this.cur);
      this.at = 0;
    }
    const n = this.cur.write(s, this.at, 'utf8');
    const view = this.cur.subarray(this.at, this.at + n);
    this.at += n;
    return view;
  }

  hostRow(h: HostRow): HostRow<RecordText> {
    return { ...h, record: this.put(h.record), brief: this.put(h.brief) };
  }

  probeRow(r: ProbeRow): ProbeRow<RecordText> {
    return { ...r, record: this.put(r.record) };
  }

  /** The buffers of the batch built so far: it is complete, the next put starts another buffer. */
  take(): Buffer[] {
    const out = this.used;
    this.used = [];
    this.cur = null;
    return out;
  }

  /** A batch was written (or dropped): its buffers are free again. */
  release(chunks: Buffer[] | undefined): void {
    if (chunks) this.free.push(...chunks);
  }
}

export function batchRows(hosts: ReadonlyArray<{ host: HostResult; target: HostTarget; pre?: HostStrings | null }>, targets: readonly TargetResult[]): RowBatch {
  return {
    hosts: hosts.map(({ host, target, pre }) => ({ h: hostRow(host, target, pre), probes: host.probes.map((p, seq) => probeRow(p, seq, pre?.probes[seq])) })),
    targets: targets.map((t) => targetRow(t)),
  };
}

/** `record`: the target without its hosts, already serialised (serialise.ts serialiseTarget), else made here. */
export function targetRow(t: TargetResult, record?: string): TargetRow {
  let rec = record;
  if (rec === undefined) {
    const { hosts: _hosts, ...rest } = t;
    rec = JSON.stringify(rest);
  }
  const tkey = targetKey(t);
  return { tkey, input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, port: t.port, dnsStatus: t.dns.status, record: rec, khash: keyHash(tkey) };
}

/** Parse a JSON column (TEXT in both dialects). */
export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/**
 * `SELECT` of runs for listing and lookup, in both back ends. A run's counts are written when it finishes;
 * a run still 'running' (being written, or its process was killed: the batches it committed stay, WAL or
 * not) gets the counts of the rows it really holds, never a 0 that reads as "stored nothing".
 */
export const RUNS_SELECT = `SELECT r.*,
  CASE WHEN r.state = 'running' THEN (SELECT count(*) FROM targets t WHERE t.run_id = r.id) ELSE r.target_count END AS live_target_count,
  CASE WHEN r.state = 'running' THEN (SELECT count(*) FROM hosts h WHERE h.run_id = r.id) ELSE r.host_count END AS live_host_count,
  CASE WHEN r.state = 'running' THEN (SELECT count(*) FROM probes p WHERE p.run_id = r.id) ELSE r.probe_count END AS live_probe_count
FROM runs r`;

export function runFromRow(r: Record<string, unknown>): RunRow {
  return {
    id: Number(r['id']),
    startedAt: String(r['started_at']),
    finishedAt: r['finished_at'] === null ? null : String(r['finished_at']),
    toolVersion: String(r['tool_version']),
    options: parseJson<Record<string, unknown>>(r['options']),
    vantage: (r['vantage'] as string | null) ?? null,
    state: r['state'] as RunState,
    source: (r['source'] as string | null) ?? null,
    targetCount: Number(r['live_target_count'] ?? r['target_count']),
    hostCount: Number(r['live_host_count'] ?? r['host_count']),
    probeCount: Number(r['live_probe_count'] ?? r['probe_count']),
    targetsDigest: (r['targets_digest'] as string | null) ?? null,
    // Migration 10; absent (undefined) in a store read at an older schema.
    writerHost: (r['writer_host'] as string | null | undefined) ?? null,
    writerPid: r['writer_pid'] === null || r['writer_pid'] === undefined ? null : Number(r['writer_pid']),
  };
}

/** Reassemble a host from its row's record and its probes' records (in seq order). */
export function hostFromRecords(record: unknown, probes: unknown[]): { host: HostResult; target: { input: string; domain: string | null } } {
  const r = parseJson<HostResult & { target: { input: string; domain: string | null } }>(record);
  const { target, ...host } = r;
  return { host: { ...host, probes: probes.map((p) => parseJson<ProbeResult>(p)) }, target };
}

/**
 * Fold the rows of "one host joined with its probes" pages (ordered by host, then probe seq) into
 * stored hosts: one host per run of equal `id`; a host with a `brief` is read from it alone.
 * Shared by the SQLite and PostgreSQL stores, which differ only in how they run the query.
 */
export function groupHostRows(rows: Iterable<Record<string, unknown>>): StoredHost[] {
  const out: StoredHost[] = [];
  let cur: { id: string; row: Record<string, unknown>; probes: string[] } | null = null;
  const emit = () => {
    if (!cur) return;
    const b = cur.row['brief'];
    const { host, target } = typeof b === 'string' ? hostFromBrief(b) : hostFromRecords(cur.row['record'], cur.probes);
    out.push({ hkey: String(cur.row['hkey']), tkey: String(cur.row['tkey']), runId: Number(cur.row['run_id']), target, host });
  };
  for (const r of rows) {
    const hid = String(r['id']);
    if (!cur || cur.id !== hid) {
      emit();
      cur = { id: hid, row: r, probes: [] };
    }
    if (r['prec'] !== null) cur.probes.push(r['prec'] as string);
  }
  emit();
  return out;
}
