/**
 * DANE for SMTP, the pure part: which TLSA records a DANE SMTP client can use (RFC 7672 §3.1),
 * whether one of them matches the chain the MX presented (RFC 6698 §2.1, RFC 7671 §5), and the
 * per-host verdict. No I/O: the TLSA answer and the TLS facts come in as data.
 */
import { createHash } from 'node:crypto';
import type { ChainCertificate, DaneResult, DnssecStatus, TlsaRecordResult, TlsDetails } from '../results.js';

/** One TLSA RDATA as it came off the wire. */
export interface TlsaRdata {
  usage: number;
  selector: number;
  matchingType: number;
  data: Uint8Array;
}

/** RFC 6698 §2.1.3: matching type 1 is SHA-256 (32 octets), 2 is SHA-512 (64 octets). */
const DIGEST_LENGTH: Record<number, number> = { 1: 32, 2: 64 };

/**
 * Classify one record. Unusable records are kept (and shown) but never matched:
 *  - usages 0 (PKIX-TA) and 1 (PKIX-EE) are not for SMTP (RFC 7672 §3.1.3);
 *  - unknown usages, selectors or matching types (RFC 7671 §4, RFC 6698 §2.1);
 *  - a digest of the wrong length, or empty data (a malformed record never matches).
 */
export function classifyTlsa(r: TlsaRdata): TlsaRecordResult {
  const data = Buffer.from(r.data).toString('hex');
  const base = { usage: r.usage, selector: r.selector, matchingType: r.matchingType, data };
  const problem = (() => {
    if (r.usage === 0 || r.usage === 1) return `usage ${r.usage} (PKIX-${r.usage === 0 ? 'TA' : 'EE'}) is not used by SMTP (RFC 7672 §3.1.3)`;
    if (r.usage !== 2 && r.usage !== 3) return `unknown usage ${r.usage}`;
    if (r.selector !== 0 && r.selector !== 1) return `unknown selector ${r.selector}`;
    if (r.matchingType !== 0 && r.matchingType !== 1 && r.matchingType !== 2) return `unknown matching type ${r.matchingType}`;
    if (r.data.length === 0) return 'empty certificate association data';
    const want = DIGEST_LENGTH[r.matchingType];
    if (want !== undefined && r.data.length !== want) return `matching type ${r.matchingType} needs ${want} octets, got ${r.data.length}`;
    return null;
  })();
  return problem === null ? { ...base, usable: true } : { ...base, usable: false, problem };
}

/** The value of `cert` this record compares against, as hex, in the record's matching type. */
function chainValue(cert: ChainCertificate, rec: TlsaRecordResult): string {
  if (rec.matchingType === 1) return rec.selector === 0 ? cert.certSha256 : cert.spkiSha256;
  return rec.selector === 0 ? cert.certSha512 : cert.spkiSha512;
}

/** The record's side, in the same form as chainValue (type 0 "exact" compared through SHA-512). */
function recordValue(rec: TlsaRecordResult): string {
  return rec.matchingType === 0 ? createHash('sha512').update(Buffer.from(rec.data, 'hex')).digest('hex') : rec.data.toLowerCase();
}

export interface MatchInput {
  chain: ChainCertificate[];
  /** The leaf matched the MX host name (RFC 7672 §3.2.2; checked by the TLS layer). */
  nameMatches: boolean | null;
  /** Leaf validity window (ISO 8601) for DANE-TA; DANE-EE ignores dates (RFC 7672 §3.1.1). */
  validFrom: string | null;
  validTo: string | null;
  now: Date;
}

export type MatchOutcome = { matched: TlsaRecordResult; detail: string } | { matched: null; detail: string };

/**
 * Try each usable record against the chain.
 *  - DANE-EE(3): the leaf only; no name or date checks (RFC 7672 §3.1.1).
 *  - DANE-TA(2): any certificate of the presented chain above the leaf (a self-issued leaf counts
 *    as its own anchor), every link below it signed by the next (RFC 7671 §5.2.2), and then the
 *    leaf must name the MX host (RFC 7672 §3.2.2) and be within its validity dates (§3.1.2).
 */
export function matchTlsa(records: readonly TlsaRecordResult[], input: MatchInput): MatchOutcome {
  const reasons: string[] = [];
  const leaf = input.chain[0];
  if (!leaf) return { matched: null, detail: 'no certificate presented' };
  for (const rec of records) {
    if (!rec.usable) continue;
    const want = recordValue(rec);
    if (rec.usage === 3) {
      if (chainValue(leaf, rec) === want) return { matched: rec, detail: `DANE-EE ${rec.usage} ${rec.selector} ${rec.matchingType} matches the server certificate` };
      continue;
    }
    // usage 2
    const idx = input.chain.findIndex((c, i) => (i > 0 || input.chain.length === 1) && chainValue(c, rec) === want);
    if (idx < 0) continue;
    const brokenLink = input.chain.slice(0, idx).findIndex((c) => c.signedByNext !== true);
    if (brokenLink >= 0) {
      reasons.push(`DANE-TA record matches certificate ${idx} but certificate ${brokenLink} is not signed by the next one`);
      continue;
    }
    if (input.nameMatches !== true) {
      reasons.push('DANE-TA record matches the chain but the certificate does not name the MX host (RFC 7672 §3.2.2)');
      continue;
    }
    const now = input.now.getTime();
    const from = input.validFrom ? Date.parse(input.validFrom) : NaN;
    const to = input.validTo ? Date.parse(input.validTo) : NaN;
    if (!(from <= now && now <= to)) {
      reasons.push('DANE-TA record matches the chain but the certificate is outside its validity dates (RFC 7672 §3.1.2)');
      continue;
    }
    return { matched: rec, detail: `DANE-TA ${rec.usage} ${rec.selector} ${rec.matchingType} matches certificate ${idx} of the chain; name and dates check` };
  }
  return { matched: null, detail: reasons.length > 0 ? reasons.join('; ') : 'no usable TLSA record matches the presented chain' };
}

/** What the TLSA lookup found (from the DNSSEC-aware query, src/transport/dns-query.ts). */
export type TlsaLookup =
  | { kind: 'records'; dnssec: DnssecStatus; records: TlsaRdata[] }
  | { kind: 'none'; dnssec: DnssecStatus }
  | { kind: 'failed'; dnssec: 'bogus' | 'indeterminate'; detail: string };

export interface DaneInput {
  name: string;
  lookup: TlsaLookup;
  /** DNSSEC status of the MX RRset for a domain target; null for a host or IP target. */
  mxDnssec: DnssecStatus | null;
  /** The TLS facts of the host's first probe that completed TLS, or null. */
  tls: TlsDetails | null;
  /** False when the probe never tried STARTTLS (--stop-after banner/ehlo, --no-starttls). */
  tlsAttempted: boolean;
  now: Date;
}

const RANK: Record<DnssecStatus, number> = { bogus: 0, indeterminate: 1, insecure: 2, secure: 3 };
function weaker(a: DnssecStatus, b: DnssecStatus | null): DnssecStatus {
  return b === null || RANK[a] <= RANK[b] ? a : b;
}

/** The per-host verdict (issue 15 vocabulary). Never "valid" unless a record was matched. */
export function daneVerdict(input: DaneInput): DaneResult {
  const { lookup, name } = input;
  const dnssec = weaker(lookup.dnssec, input.mxDnssec);
  if (lookup.kind === 'failed') {
    return { status: lookup.dnssec === 'bogus' ? 'bogus' : 'indeterminate', dnssec, name, records: [], matched: null, detail: lookup.detail };
  }
  if (lookup.kind === 'none') {
    return { status: 'no-tlsa', dnssec, name, records: [], matched: null, detail: `no TLSA record at ${name}` };
  }
  const records = lookup.records.map(classifyTlsa);
  const out = (status: DaneResult['status'], detail: string, matched: TlsaRecordResult | null = null): DaneResult => ({ status, dnssec, name, records, matched, detail });
  if (lookup.dnssec === 'bogus') return out('bogus', 'the TLSA answer failed DNSSEC validation');
  if (lookup.dnssec === 'indeterminate') return out('indeterminate', 'TLSA records found, but the resolver did not say whether they validate (use a validating resolver: --resolver)');
  if (lookup.dnssec === 'insecure') return out('insecure', 'TLSA records are not DNSSEC-signed: a DANE sender ignores them (RFC 7672 §2.2)');
  if (input.mxDnssec === 'bogus') return out('bogus', 'the MX RRset failed DNSSEC validation');
  if (input.mxDnssec === 'indeterminate') return out('indeterminate', 'the DNSSEC status of the MX RRset is unknown');
  if (input.mxDnssec === 'insecure') return out('insecure', 'the MX RRset is not DNSSEC-signed: a DANE sender does not look up TLSA for its hosts (RFC 7672 §2.2.1)');
  const usable = records.filter((r) => r.usable);
  if (usable.length === 0) return out('tlsa-unusable', 'only unusable TLSA records: a DANE sender treats the MX as if it had none, but still requires TLS (RFC 7672 §2.2)');
  const chain = input.tls?.chain ?? [];
  if (chain.length === 0) {
    if (!input.tlsAttempted) return out('not-checked', 'the probe did not go as far as STARTTLS, so there is no certificate to match');
    return out('dane-mismatch', 'no certificate: STARTTLS was not offered or did not complete, so a DANE sender would not deliver (RFC 7672 §2.2)');
  }
  const m = matchTlsa(usable, {
    chain,
    nameMatches: input.tls?.nameMatches ?? null,
    validFrom: input.tls?.certificate?.validFrom ?? null,
    validTo: input.tls?.certificate?.validTo ?? null,
    now: input.now,
  });
  return m.matched ? out('dane-valid', m.detail, m.matched) : out('dane-mismatch', m.detail);
}

/** RFC 7672 §2.2 / RFC 6698 §3: the TLSA owner name for an SMTP server. */
export function tlsaName(host: string, port: number): string {
  return `_${port}._tcp.${host.replace(/\.$/, '').toLowerCase()}`;
}
