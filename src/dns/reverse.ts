import { isIPv4, isIPv6 } from 'node:net';
import { MxprobeError } from '../errors.js';
import type { DnsStatus } from '../results.js';
import type { Resolver } from './types.js';

/** Thrown for a string that is neither an IPv4 nor an IPv6 address. */
export class InvalidIpError extends MxprobeError {
  constructor(readonly input: string) {
    super('E_INVALID_IP', `not an IP address: ${JSON.stringify(input)}`);
  }
}

/**
 * Expand an IPv6 address to its 8 groups of 4 hex digits (no "::", embedded IPv4 converted).
 * Zone ids ("%eth0") are dropped: they are local and have no place in DNS.
 */
export function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase();
  const pct = text.indexOf('%');
  if (pct !== -1) text = text.slice(0, pct);
  if (!isIPv6(text)) throw new InvalidIpError(ip);
  // RFC 4291 §2.2 form 3: x:x:x:x:x:x:d.d.d.d -> the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const o = tail.split('.').map(Number);
    const hi = (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16);
    const lo = (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  let groups: string[];
  if (rest === undefined) {
    groups = headGroups;
  } else {
    const tailGroups = rest === '' ? [] : rest.split(':');
    const fill = 8 - headGroups.length - tailGroups.length;
    groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  }
  return groups.map((g) => g.padStart(4, '0'));
}

/**
 * The reverse-lookup owner name of an address, without trailing dot:
 * IPv4 under in-addr.arpa (RFC 1035 §3.5), IPv6 in full nibble form under ip6.arpa (RFC 3596 §2.5).
 * '127.0.0.10' -> '10.0.0.127.in-addr.arpa'. Throws InvalidIpError for anything else.
 */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) {
    // Octets as numbers so "010" style (rejected by isIPv4 anyway) can never leak through. Spelt
    // out, not split().map().reverse(): TurboFan's inlined map() makes a HOLEY array where the
    // builtin makes a PACKED one, which deoptimised the receiver alignment that inlines this (issue 13).
    const o = ip.split('.');
    return `${Number(o[3])}.${Number(o[2])}.${Number(o[1])}.${Number(o[0])}.in-addr.arpa`;
  }
  const nibbles = expandIPv6(ip).join('').split('').reverse();
  return `${nibbles.join('.')}.ip6.arpa`;
}

/** The canonical text of an address, for comparing answers ("2001:DB8::1" = "2001:db8:0::1"). */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  return expandIPv6(ip).join(':');
}

/** How far forward-confirmed reverse DNS (RFC 8601 §3 "iprev") got for one address. */
export interface FcrdnsResult {
  /** Status of the PTR lookup itself. */
  status: DnsStatus;
  /** PTR names, without trailing dot, as the server gave them. */
  names: string[];
  /** PTR names whose A (IPv4) or AAAA (IPv6) records include the address. */
  confirmed: string[];
  /** PTR names that did not lead back, with why ("nxdomain", "no matching address", ...). */
  unconfirmed: Array<{ name: string; reason: string }>;
  /** Names beyond the check limit were not looked up; said here. */
  detail?: string;
}

/**
 * Forward-confirmed reverse DNS: PTR names of `ip`, then the addresses of each name (same family),
 * and which names lead back to `ip`. At most `limit` names are checked (default 10, the cap RFC
 * 7208 §5.5 puts on the same walk), so a host with hundreds of PTRs cannot cost hundreds of queries.
 */
export async function forwardConfirm(ip: string, resolver: Resolver, limit = 10): Promise<FcrdnsResult> {
  const family = isIPv4(ip) ? 4 : 6;
  const want = canonicalIp(ip);
  const ptr = await resolver.ptr(ip);
  if (ptr.status !== 'ok') {
    const out: FcrdnsResult = { status: ptr.status, names: [], confirmed: [], unconfirmed: [] };
    if (ptr.status === 'error' || ptr.status === 'unreachable') out.detail = `${ptr.code}: ${ptr.message}`;
    return out;
  }
  const names = [...ptr.records];
  const checked = names.slice(0, limit);
  const results = await Promise.all(checked.map((name) => (family === 4 ? resolver.a(name, { cnames: false }) : resolver.aaaa(name, { cnames: false }))));
  const confirmed: string[] = [];
  const unconfirmed: FcrdnsResult['unconfirmed'] = [];
  checked.forEach((name, i) => {
    const answer = results[i];
    if (answer === undefined) return;
    if (answer.status !== 'ok') {
      unconfirmed.push({ name, reason: answer.status === 'error' ? `error ${answer.code}` : answer.status });
    } else if (answer.records.some((addr) => canonicalIp(addr) === want)) {
      confirmed.push(name);
    } else {
      unconfirmed.push({ name, reason: `no matching address (${answer.records.join(', ')})` });
    }
  });
  const out: FcrdnsResult = { status: 'ok', names, confirmed, unconfirmed };
  if (names.length > checked.length) out.detail = `${names.length - checked.length} PTR name(s) beyond the first ${limit} not checked`;
  return out;
}
