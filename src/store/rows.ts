/** Flattening results into the stored columns, and back. Shared by both implementations. */
import type { HostResult, ProbeResult, TargetResult } from '../results.js';
import { hostKey, targetKey, type HostTarget, type RunRow, type RunState } from './types.js';

export interface HostRow {
  hkey: string;
  tkey: string;
  targetInput: string;
  domain: string | null;
  exchange: string;
  ip: string;
  port: number;
  family: number;
  record: string;
}

export interface ProbeRow {
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
  record: string;
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
}

export function hostRow(host: HostResult, target: HostTarget): HostRow {
  const tkey = targetKey(target);
  const { probes: _probes, ...rest } = host;
  return {
    hkey: hostKey(tkey, host),
    tkey,
    targetInput: target.input,
    domain: target.domain,
    exchange: host.exchange,
    ip: host.ip,
    port: host.port,
    family: host.family,
    record: JSON.stringify({ ...rest, target: { input: target.input, domain: target.domain } }),
  };
}

/** The certificate's notAfter as ISO 8601 (Node gives "Mar  1 12:00:00 2027 GMT"); null when unparseable. */
export function isoDate(s: string | undefined | null): string | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function probeRow(p: ProbeResult, seq: number): ProbeRow {
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
    record: JSON.stringify(p),
  };
}

export function targetRow(t: TargetResult): TargetRow {
  const { hosts: _hosts, ...rest } = t;
  return { tkey: targetKey(t), input: t.input, origin: t.origin, kind: t.kind, domain: t.domain, port: t.port, dnsStatus: t.dns.status, record: JSON.stringify(rest) };
}

/** Parse a JSON column (TEXT in both dialects). */
export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

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
    targetCount: Number(r['target_count']),
    hostCount: Number(r['host_count']),
    probeCount: Number(r['probe_count']),
    targetsDigest: (r['targets_digest'] as string | null) ?? null,
  };
}

/** Reassemble a host from its row's record and its probes' records (in seq order). */
export function hostFromRecords(record: unknown, probes: unknown[]): { host: HostResult; target: { input: string; domain: string | null } } {
  const r = parseJson<HostResult & { target: { input: string; domain: string | null } }>(record);
  const { target, ...host } = r;
  return { host: { ...host, probes: probes.map((p) => parseJson<ProbeResult>(p)) }, target };
}
