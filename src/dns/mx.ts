/**
 * From a domain to the hosts that receive its mail (RFC 5321 §5.1), and from a host to its
 * addresses. Works on any `Resolver`, so it is tested against the UDP zone fixture.
 */
import { isIP } from 'node:net';
import type { DnsStatus, MxEntry } from '../results.js';
import type { DnsAnswer, Resolver } from './types.js';
import { normalizeName } from './cache.js';

export type ExchangerLookup = { status: DnsStatus; mx: MxEntry[]; nullMx: boolean; detail?: string };
/** `failed`: the families whose lookup failed (timeout, SERVFAIL, …), also when the other answered. */
export type AddressLookup = { status: DnsStatus; addresses: Array<{ ip: string; family: 4 | 6 }>; detail?: string; failed?: Array<{ type: 'A' | 'AAAA'; status: DnsStatus }> };

/** A human line for a failed answer ("timeout", "error ECONNREFUSED: ..."). */
export function describeAnswer(answer: DnsAnswer<unknown>): string {
  return answer.status === 'error' ? `error ${answer.code}: ${answer.message}` : answer.status;
}

/** RFC 7505 §3: the null MX target is the root, which node:dns reports as "" (and a zone as "."). */
function isRoot(exchange: string): boolean {
  return exchange === '' || exchange === '.';
}

/**
 * RFC 5321 §5.1: MX sorted by preference (ties: by name, for stable output); no MX (NODATA) ->
 * implicit MX = the domain itself, preference 0, implicit:true, only if the domain has A or AAAA;
 * NXDOMAIN -> status 'nxdomain'; RFC 7505 null MX (a single MX "." preference 0) -> status
 * 'null-mx', nullMx:true, mx []; an MX set mixing "." with others: ignore the "." entries and say
 * so in detail.
 */
export async function lookupExchangers(domain: string, resolver: Resolver): Promise<ExchangerLookup> {
  const name = normalizeName(domain);
  const answer = await resolver.mx(name);
  switch (answer.status) {
    case 'ok':
      break;
    case 'nodata': {
      // RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if it was
      // associated with an implicit MX RR, with a preference of 0, pointing to that host."
      const addresses = await lookupAddresses(name, resolver);
      if (addresses.status === 'ok') {
        return { status: 'ok', mx: [{ exchange: name, priority: 0, implicit: true }], nullMx: false, detail: 'no MX records; using the implicit MX (RFC 5321 §5.1)' };
      }
      if (addresses.status === 'nodata' || addresses.status === 'nxdomain') {
        return { status: 'nodata', mx: [], nullMx: false, detail: 'no MX and no A/AAAA records: the domain cannot receive mail' };
      }
      return { status: addresses.status, mx: [], nullMx: false, detail: `no MX records; the implicit-MX address lookup failed: ${addresses.detail ?? addresses.status}` };
    }
    case 'error':
      return { status: 'error', mx: [], nullMx: false, detail: describeAnswer(answer) };
    case 'unreachable':
      // The word is the status; the detail keeps node's message for JSON (the table leaves it out).
      return { status: 'unreachable', mx: [], nullMx: false, detail: `the resolver refused the connection (${answer.code}: ${answer.message})` };
    default:
      return { status: answer.status, mx: [], nullMx: false };
  }

  const roots = answer.records.filter((r) => isRoot(normalizeName(r.exchange)));
  const real = answer.records.filter((r) => !isRoot(normalizeName(r.exchange)));
  if (real.length === 0) {
    // RFC 7505 §3: the domain accepts no mail. A lone "." with a preference other than 0 is out of
    // spec, but its only meaning is still "no mail here"; we say so rather than try the root.
    const prefs = [...new Set(roots.map((r) => r.priority))];
    const base: ExchangerLookup = { status: 'null-mx', mx: [], nullMx: true };
    if (roots.length > 1 || prefs.some((p) => p !== 0)) {
      base.detail = `null MX out of form (RFC 7505 §3 wants one MX "." with preference 0): ${roots.map((r) => `${r.priority} .`).join(', ')}`;
    }
    return base;
  }

  // Same host listed twice: keep its best preference (RFC 5321 §5.1 would try it once anyway).
  const best = new Map<string, number>();
  for (const r of real) {
    const ex = normalizeName(r.exchange);
    const prev = best.get(ex);
    if (prev === undefined || r.priority < prev) best.set(ex, r.priority);
  }
  const mx: MxEntry[] = [...best]
    .map(([exchange, priority]) => ({ exchange, priority, implicit: false }))
    .sort((x, y) => x.priority - y.priority || (x.exchange < y.exchange ? -1 : x.exchange > y.exchange ? 1 : 0));

  const notes: string[] = [];
  if (roots.length > 0) {
    notes.push(`ignored ${roots.length} null MX "." record(s) mixed with other MX records (RFC 7505 §3 forbids the mix)`);
  }
  if (best.size < real.length) notes.push('duplicate MX hosts merged (lowest preference kept)');
  const literal = mx.filter((m) => isIP(m.exchange) !== 0);
  if (literal.length > 0) {
    notes.push(`MX target is an IP address, not a host name (RFC 5321 §5.1): ${literal.map((m) => m.exchange).join(', ')}`);
  }
  if (answer.cnames !== undefined && answer.cnames.length > 0) {
    notes.push(`the domain is an alias: MX found via CNAME ${answer.cnames.join(' -> ')}`);
  }
  const result: ExchangerLookup = { status: 'ok', mx, nullMx: false };
  if (notes.length > 0) result.detail = notes.join('; ');
  return result;
}

/**
 * A and AAAA of a host (both asked in parallel). 'ok' if either has records; family filter
 * optional. An IP literal is returned as is, without a query. When one family answered and the
 * other failed (timeout, servfail, ...) the status is 'ok' and `detail` names the failure.
 */
export async function lookupAddresses(host: string, resolver: Resolver, family: 4 | 6 | 'any' = 'any'): Promise<AddressLookup> {
  const literal = isIP(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (literal !== 0) {
    const ip = host.replace(/^\[|\]$/g, '');
    if (family !== 'any' && family !== literal) {
      return { status: 'nodata', addresses: [], detail: `${ip} is an IPv${literal} literal; IPv${family} was asked` };
    }
    return { status: 'ok', addresses: [{ ip, family: literal as 4 | 6 }], detail: 'IP literal, not looked up' };
  }
  const name = normalizeName(host);
  const skip: DnsAnswer<string> = { status: 'nodata' };
  const [a, aaaa] = await Promise.all([
    family === 6 ? Promise.resolve(skip) : resolver.a(name),
    family === 4 ? Promise.resolve(skip) : resolver.aaaa(name),
  ]);
  const asked: Array<[string, DnsAnswer<string>]> = [];
  if (family !== 6) asked.push(['A', a]);
  if (family !== 4) asked.push(['AAAA', aaaa]);

  const addresses: AddressLookup['addresses'] = [];
  const seen = new Set<string>();
  for (const [type, answer] of asked) {
    if (answer.status !== 'ok') continue;
    for (const ip of answer.records) {
      if (seen.has(ip)) continue;
      seen.add(ip);
      addresses.push({ ip, family: type === 'A' ? 4 : 6 });
    }
  }
  const failures = asked.filter(([, ans]) => ans.status !== 'ok' && ans.status !== 'nodata' && ans.status !== 'nxdomain');
  const failureText = failures.map(([type, ans]) => `${type}: ${describeAnswer(ans)}`).join('; ');

  const failed = failures.map(([type, ans]) => ({ type: type as 'A' | 'AAAA', status: ans.status as DnsStatus }));
  if (addresses.length > 0) {
    const result: AddressLookup = { status: 'ok', addresses };
    if (failures.length > 0) {
      result.detail = failureText;
      result.failed = failed;
    }
    return result;
  }
  if (failures.length > 0) {
    // Nothing found and something failed: the failure is the fact worth reporting (the name may
    // well have addresses we could not see).
    const first = failures[0]?.[1];
    return { status: first?.status ?? 'error', addresses: [], detail: failureText, failed };
  }
  // Only NXDOMAIN/NODATA left. NXDOMAIN for every asked type means the name does not exist; any
  // NODATA means it exists without addresses (RFC 2308 §2.2).
  const allNx = asked.every(([, ans]) => ans.status === 'nxdomain');
  return allNx ? { status: 'nxdomain', addresses: [] } : { status: 'nodata', addresses: [] };
}
