/**
 * Shared vocabulary of the alignment checks, sender and receiver side: DNS answers reduced to a
 * "lookup fact" (found / NXDOMAIN / NODATA kept apart, temporary failures marked as such) and
 * the small helpers that phrase a check.
 */
import type { AlignmentCheck, CheckStatus } from '../results.js';
import type { DnsAnswer, Resolver } from '../dns/types.js';

/**
 * found: records came back; nxdomain / nodata kept apart (RFC 2308 §2.2); temp: SERVFAIL,
 * timeout, REFUSED or another resolver error (a receiver would defer, not reject);
 * not-checked: the lookup did not apply.
 */
export type Lookup = 'found' | 'nxdomain' | 'nodata' | 'temp' | 'not-checked';

export interface LookupFact<T> {
  lookup: Lookup;
  records: T[];
  /** Resolver status verbatim, for details ("servfail", "timeout"). */
  status: string;
  /** The CNAME chain the answer came through, when any. */
  cnames?: string[];
}

export function toLookup<T>(answer: DnsAnswer<T>): LookupFact<T> {
  switch (answer.status) {
    case 'ok':
      return answer.records.length > 0
        ? { lookup: 'found', records: answer.records, status: 'ok', ...(answer.cnames?.length ? { cnames: answer.cnames } : {}) }
        : { lookup: 'nodata', records: [], status: 'nodata' };
    case 'nxdomain':
    case 'nodata':
      return { lookup: answer.status, records: [], status: answer.status };
    case 'error':
      return { lookup: 'temp', records: [], status: `error ${answer.code}` };
    default:
      return { lookup: 'temp', records: [], status: answer.status };
  }
}

export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

/**
 * Forward addresses of a name in the IP's family (A for IPv4, AAAA for IPv6). `cnames: false` when
 * only the addresses matter (forward-confirming a PTR name): the resolver may skip the CNAME query.
 */
export async function forward(name: string, ip: string, resolver: Resolver, opts?: { cnames?: boolean }): Promise<LookupFact<string>> {
  return toLookup(familyOf(ip) === 6 ? await resolver.aaaa(name, opts) : await resolver.a(name, opts));
}

/** Forward confirmation of a PTR name (RFC 8601 §3 iprev): the addresses only, never the CNAME chain. */
export const ADDRESSES_ONLY = Object.freeze({ cnames: false });

export function check(id: string, status: CheckStatus, detail: string): AlignmentCheck {
  return { id, status, detail };
}

export function tempNote(l: { status: string }): string {
  return `temporary DNS failure (${l.status}); a receiver would defer, not reject - retry later`;
}

export function list(names: string[]): string {
  return names.length === 0 ? '(none)' : names.join(', ');
}
