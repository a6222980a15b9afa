/**
 * Reading the DNSSEC status of an answer from a resolver (pure). We do not validate signatures
 * ourselves: a validating resolver does, and says so with the AD bit (RFC 4035 §3.2.3, RFC 6840
 * §5.8). What each reply means:
 *  - AD set                                → secure;
 *  - AD clear, no RRSIG anywhere (DO was set, RFC 4035 §3.2.1) → the zone is unsigned: insecure;
 *  - AD clear but RRSIGs present           → signed, yet not validated: the resolver does not
 *    validate (or the zone has no chain of trust); we cannot tell which → indeterminate;
 *  - no OPT record in the reply            → the resolver ignores EDNS/DO: indeterminate;
 *  - SERVFAIL, and the same query with CD (checking disabled, RFC 4035 §3.2.2) answers → the
 *    resolver validates and the data failed validation: bogus;
 *  - any other SERVFAIL, REFUSED, timeout  → the lookup failed: indeterminate (never guessed).
 */
import type { DnssecStatus } from '../results.js';

export interface RawRecord {
  type: string;
  name: string;
  data: unknown;
}

export type RawReply =
  | { kind: 'reply'; rcode: string; ad: boolean; edns: boolean; answers: RawRecord[]; authorities: RawRecord[] }
  | { kind: 'error'; detail: string };

export type Judged<T> =
  | { kind: 'records'; dnssec: DnssecStatus; records: T[] }
  | { kind: 'none'; dnssec: DnssecStatus; nxdomain: boolean }
  | { kind: 'failed'; dnssec: 'bogus' | 'indeterminate'; detail: string };

export function judgeReply<T>(type: string, primary: RawReply, withCd: RawReply | null, pick: (r: RawRecord) => T | null): Judged<T> {
  if (primary.kind === 'error') return { kind: 'failed', dnssec: 'indeterminate', detail: primary.detail };
  if (primary.rcode === 'SERVFAIL') {
    if (withCd && withCd.kind === 'reply' && (withCd.rcode === 'NOERROR' || withCd.rcode === 'NXDOMAIN')) {
      return { kind: 'failed', dnssec: 'bogus', detail: 'DNSSEC validation failed: the resolver answers SERVFAIL, and answers with checking disabled (CD)' };
    }
    return { kind: 'failed', dnssec: 'indeterminate', detail: 'SERVFAIL (also with checking disabled: not a DNSSEC failure)' };
  }
  if (primary.rcode !== 'NOERROR' && primary.rcode !== 'NXDOMAIN') {
    return { kind: 'failed', dnssec: 'indeterminate', detail: `resolver answered ${primary.rcode}` };
  }
  const signed = [...primary.answers, ...primary.authorities].some((r) => r.type === 'RRSIG');
  const dnssec: DnssecStatus = primary.ad ? 'secure' : !primary.edns ? 'indeterminate' : signed ? 'indeterminate' : 'insecure';
  const records: T[] = [];
  for (const r of primary.answers) {
    if (r.type !== type) continue;
    const v = pick(r);
    if (v !== null) records.push(v);
  }
  if (records.length === 0) return { kind: 'none', dnssec, nxdomain: primary.rcode === 'NXDOMAIN' };
  return { kind: 'records', dnssec, records };
}
