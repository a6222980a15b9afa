/**
 * SPF for the HELO identity (RFC 7208 §2.3), evaluated by mailauth's check_host implementation
 * through an adapter over our injectable Resolver, so tests run it against the DNS fixture.
 */
import type { DnsAnswer, Resolver } from '../dns/types.js';
import { ipFromReverseOwner } from './helo-name.js';
import { loadLightSpf, type LightSpf } from './spf-light.js';

// mailauth is loaded on first use, and only its SPF part (spf-light.ts): its whole module graph
// (joi, tldts, libmime) costs ~0.23 s of CPU, paid once per run on the main thread; the SPF part
// about 10 ms. If the light loader cannot serve this mailauth release, the SPF entry point is
// loaded as it is: slower, the same results.
let spfFn: Promise<LightSpf> | null = null;
export const loadSpf = (): Promise<LightSpf> =>
  (spfFn ??= (async () => {
    try {
      return loadLightSpf();
    } catch {
      return (await import('mailauth/lib/spf/index.js')).spf as unknown as LightSpf;
    }
  })());

export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';
const SPF_RESULTS: readonly SpfResult[] = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror'];

/** An Error shaped like node:dns errors; mailauth branches on `code` (ENOTFOUND/ENODATA are "void" lookups, RFC 7208 §4.6.4). */
class DnsLookupError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

function unwrap<T>(answer: DnsAnswer<T>, name: string, type: string): T[] {
  switch (answer.status) {
    case 'ok':
      return answer.records;
    case 'nxdomain':
      throw new DnsLookupError('ENOTFOUND', `${type} ${name}: NXDOMAIN`);
    case 'nodata':
      throw new DnsLookupError('ENODATA', `${type} ${name}: no ${type} records`);
    case 'timeout':
      throw new DnsLookupError('ETIMEOUT', `${type} ${name}: timeout`);
    case 'refused':
      throw new DnsLookupError('EREFUSED', `${type} ${name}: refused`);
    case 'servfail':
      throw new DnsLookupError('ESERVFAIL', `${type} ${name}: SERVFAIL`);
    case 'unreachable':
      throw new DnsLookupError(answer.code, `${type} ${name}: resolver unreachable`);
    case 'error':
      throw new DnsLookupError(answer.code, `${type} ${name}: ${answer.message}`);
  }
}

/** mailauth's resolver signature: node's dns.promises.resolve(name, rrtype). */
export function mailauthResolver(resolver: Resolver): (name: string, rrtype: string) => Promise<unknown[]> {
  return async (name, rrtype) => {
    switch (rrtype.toUpperCase()) {
      case 'A':
        // SPF's a/mx mechanisms (RFC 7208 §5.3-5.4) need the addresses only, not the CNAME chain.
        return unwrap(await resolver.a(name, { cnames: false }), name, 'A');
      case 'AAAA':
        return unwrap(await resolver.aaaa(name, { cnames: false }), name, 'AAAA');
      case 'MX':
        return unwrap(await resolver.mx(name), name, 'MX');
      case 'TXT':
        // node returns each TXT record as its list of character-strings; ours are already joined.
        return unwrap(await resolver.txt(name), name, 'TXT').map((t) => [t]);
      case 'PTR': {
        // mailauth asks by owner name (x.y.z.w.in-addr.arpa); our Resolver asks by address.
        const ip = ipFromReverseOwner(name);
        if (ip === null) throw new DnsLookupError('ENOTFOUND', `PTR ${name}: not a reverse owner name`);
        return unwrap(await resolver.ptr(ip), name, 'PTR');
      }
      default:
        throw new DnsLookupError('ENOTIMP', `${rrtype} lookups are not supported`);
    }
  };
}

/**
 * SPF for the HELO identity (RFC 7208 §2.3: check_host with <domain> = HELO name,
 * sender = postmaster@HELO), via mailauth's spf() with a resolver adapter over our Resolver.
 */
export async function heloSpf(helo: string, ip: string, resolver: Resolver): Promise<{ result: SpfResult; detail: string }> {
  const spf = await loadSpf();
  const res = await spf({
    ip,
    helo,
    sender: `postmaster@${helo}`,
    mta: 'mxprobe',
    resolver: mailauthResolver(resolver),
  });
  const raw = res.status.result as string;
  const result: SpfResult = (SPF_RESULTS as readonly string[]).includes(raw) ? (raw as SpfResult) : 'temperror';
  const comment = typeof res.status.comment === 'string' ? res.status.comment.replace(/^mxprobe: /, '') : '';
  const rr = res.rr ? ` (record: "${res.rr}")` : '';
  return { result, detail: `SPF ${result} for HELO ${helo} from ${ip}${comment ? `: ${comment}` : ''}${rr}` };
}
