/**
 * Hooks that add the DNS alignment checks to results as they finish: the sender side to each
 * probe (its declared identity and the source address it really used), the receiver side to each
 * host (MX → A/AAAA → PTR → FCrDNS, and the banner, EHLO and certificate names).
 */
import type { Resolver } from '../dns/types.js';
import type { HostResult, ProbeResult } from '../results.js';
import { receiverAlignment, senderAlignment } from '../analysis/alignment.js';
import type { HostJob } from './probe-host.js';
import { REMEDIES } from '../analysis/remedies.js';
import { LruCache } from '../dns/cache.js';

export interface Enrichers {
  enrichProbe: (probe: ProbeResult) => Promise<void>;
  enrichHost: (host: HostResult, job: HostJob) => Promise<void>;
}

type SenderChecks = Awaited<ReturnType<typeof senderAlignment>>;

/**
 * A loop and push, not map(): map()'s array is PACKED from the builtin and HOLEY from TurboFan's
 * inlined copy, a second array map that deoptimised every optimised reader of the checks (issue 13).
 * The fields are named (same order as check() builds them) so every copy shares one object map.
 */
const copyChecks = (checks: SenderChecks['checks']): SenderChecks['checks'] => {
  const out: SenderChecks['checks'] = [];
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    out.push({ id: c.id, status: c.status, detail: c.detail });
  }
  return out;
};

/** A deep copy of the sender-side result: checks are flat {id, status, detail} objects. */
export function copySenderChecks(r: SenderChecks): SenderChecks {
  return r.observedIp ? { checks: copyChecks(r.checks), observedIp: { ip: r.observedIp.ip, checks: copyChecks(r.observedIp.checks) } } : { checks: copyChecks(r.checks) };
}

export function analysisEnrichers(resolver: Resolver): Enrichers {
  // The same identity from the same address is judged the same way at every host: compute it
  // once (DNS is cached anyway, but the SPF evaluation is not free). Bounded, so a long run with
  // fresh nxdomain labels per host does not grow it.
  const sender = new LruCache<string, Promise<SenderChecks>>(1024);
  return {
    async enrichProbe(probe) {
      if (probe.status === 'not-tried' || !probe.identity.name) return;
      const input = { helo: probe.identity.name, sourceIp: probe.local?.address ?? probe.identity.source, observedIp: probe.observedClientIp };
      // Unambiguous although a custom HELO word may hold a "|": the two addresses after it never do.
      const key = `${input.helo}|${input.sourceIp ?? ''}|${input.observedIp ?? ''}`;
      let pending = sender.get(key);
      if (!pending) {
        pending = senderAlignment(input, resolver);
        sender.set(key, pending);
      }
      // Each probe gets its own copy (callers may edit a result); a plain copy of the flat check
      // objects is many times cheaper than structuredClone, which was a tenth of a probe's CPU.
      probe.alignment = copySenderChecks(await pending);
      // Some receivers use one text for "no PTR" and "PTR not forward-confirmed" (Postfix's
      // reject_unknown_client_hostname: "cannot find your hostname"). Our own DNS evidence tells
      // the two apart: with no PTR at all, the cause is no-ptr.
      const ptr = probe.alignment.checks.find((c) => c.id === 'ptr-exists');
      if (probe.verdict.cause === 'fcrdns-fail' && ptr?.status === 'fail') {
        probe.verdict = { ...probe.verdict, cause: 'no-ptr', ...(REMEDIES['no-ptr'] ? { remedy: REMEDIES['no-ptr'] } : {}) };
      }
    },
    async enrichHost(host, job) {
      // The first probe that heard the server speaks for the host's names.
      const p = host.probes.find((x) => x.banner !== null) ?? host.probes[0];
      const caps = p?.capabilities.tls ?? p?.capabilities.plain ?? null;
      const bannerName = p?.banner && p.banner.code === 220 ? (p.banner.text.split(/\s+/)[0] || null) : null;
      host.alignment = {
        checks: await receiverAlignment(
          {
            exchange: job.exchange,
            ip: job.ip,
            bannerName,
            ehloName: caps?.name ?? null,
            tls: p?.tls?.certificate ? { nameMatches: p.tls.nameMatches, subjectAltNames: p.tls.certificate.subjectAltNames } : null,
            isIpTarget: job.servername === null,
          },
          resolver,
        ),
      };
    },
  };
}
