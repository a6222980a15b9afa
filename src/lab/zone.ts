import { normalizeName } from '../dns/cache.js';
import { reverseName } from '../dns/reverse.js';

export interface ZoneRecords {
  A?: string[];
  AAAA?: string[];
  MX?: Array<{ exchange: string; priority: number }>;
  TXT?: string[];
  PTR?: string[];
  CNAME?: string;
  NS?: string[];
  /** TLSA (RFC 6698), data as hex. Used by the transport-security demo. */
  TLSA?: Array<{ usage: number; selector: number; matchingType: number; data: string }>;
}

export interface Zone {
  /**
   * owner name (lowercase, no trailing dot) -> records. A name present with no records of the
   * asked type answers NODATA (NOERROR, empty); an absent name answers NXDOMAIN - unless it is an
   * empty non-terminal (a parent of a present name), which is NODATA per RFC 8020.
   */
  records: Record<string, ZoneRecords>;
  /**
   * Names answered with SERVFAIL. In servfail/refused/drop an entry is a name (every type) or
   * "name TYPE" (that type only, e.g. "mx.example.test AAAA"), to test a half-failing host.
   */
  servfail?: string[];
  /** Names answered with REFUSED (what a server says to a client it will not serve). */
  refused?: string[];
  /** Names never answered (the query is dropped), to test timeouts. */
  drop?: string[];
  /** Optional artificial latency in ms before answering. */
  latencyMs?: number;
  /**
   * Names (and everything under them) the server answers with AD set to a query with DO or AD,
   * as a validating resolver would for signed data (the lab signs nothing: it says so).
   */
  secure?: string[];
}

function normalizeRecords(records: Record<string, ZoneRecords>): Record<string, ZoneRecords> {
  const out: Record<string, ZoneRecords> = {};
  for (const [name, recs] of Object.entries(records)) {
    const key = normalizeName(name);
    // Two spellings of one owner ("A.example" and "a.example.") merge rather than overwrite.
    out[key] = mergeRecords(out[key], recs);
  }
  return out;
}

function mergeRecords(a: ZoneRecords | undefined, b: ZoneRecords): ZoneRecords {
  if (a === undefined) return { ...b };
  const out: ZoneRecords = { ...a };
  if (b.A) out.A = [...(a.A ?? []), ...b.A];
  if (b.AAAA) out.AAAA = [...(a.AAAA ?? []), ...b.AAAA];
  if (b.MX) out.MX = [...(a.MX ?? []), ...b.MX];
  if (b.TXT) out.TXT = [...(a.TXT ?? []), ...b.TXT];
  if (b.PTR) out.PTR = [...(a.PTR ?? []), ...b.PTR];
  if (b.NS) out.NS = [...(a.NS ?? []), ...b.NS];
  if (b.TLSA) out.TLSA = [...(a.TLSA ?? []), ...b.TLSA];
  if (b.CNAME !== undefined) out.CNAME = b.CNAME;
  return out;
}

/** Build a zone: owner names are normalised (lower case, no trailing dot). */
/** "Name TYPE." -> "name TYPE"; "Name." -> "name". */
export function normalizeFailureEntry(entry: string): string {
  const [name = '', type] = entry.trim().split(/\s+/);
  return type === undefined ? normalizeName(name) : `${normalizeName(name)} ${type.toUpperCase()}`;
}

export function zone(records: Record<string, ZoneRecords>, extra?: Omit<Zone, 'records'>): Zone {
  const z: Zone = { records: normalizeRecords(records) };
  if (extra?.servfail) z.servfail = extra.servfail.map(normalizeFailureEntry);
  if (extra?.refused) z.refused = extra.refused.map(normalizeFailureEntry);
  if (extra?.drop) z.drop = extra.drop.map(normalizeFailureEntry);
  if (extra?.latencyMs !== undefined) z.latencyMs = extra.latencyMs;
  if (extra?.secure) z.secure = extra.secure.map(normalizeName);
  return z;
}

/** A copy of `z` with PTR records for `ip` (IPv4 or IPv6) under its reverse name. */
export function withPtr(z: Zone, ip: string, ...names: string[]): Zone {
  const owner = reverseName(ip);
  return { ...z, records: normalizeRecords({ ...z.records, [owner]: mergeRecords(z.records[owner], { PTR: names }) }) };
}
