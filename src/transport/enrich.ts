/**
 * Wiring transport security into a run: a wrapper around the run's sink that
 *  1. before each host is written, looks up its TLSA records and judges DANE against the chain
 *     the host presented (and, for MTA-STS, whether that chain validates with --ca-file);
 *  2. before each domain target is written, reads `_mta-sts` and `_smtp._tls`, fetches the
 *     policy and judges every MX host against it, and writes the one-line summary.
 * Hosts reach the sink before their target (src/probe/run.ts), so the target step sees every
 * host's DANE and TLS facts. Nothing here grows with the run: the DNS cache is a bounded LRU.
 */
import { X509Certificate } from 'node:crypto';
import type { HostResult, MtaStsResult, TargetResult, TargetTransport, TlsDetails } from '../results.js';
import type { RunSink, TargetInfo } from '../probe/run.js';
import { LruCache } from '../dns/cache.js';
import type { Resolver } from '../dns/types.js';
import type { SecureResolver } from './dns-query.js';
import type { PolicyFetcher } from './https-fetch.js';
import { daneVerdict, tlsaName, type TlsaLookup } from './tlsa.js';
import { mtaStsVerdict, type HostTlsFacts } from './mta-sts.js';
import { tlsRptVerdict } from './tls-rpt.js';
import { pkixValid } from './pkix.js';
import type { Judged } from './dnssec.js';
import { transportSummary } from './summary.js';

export interface TransportDeps {
  dane: boolean;
  mtaSts: boolean;
  secure: SecureResolver;
  /** The run's ordinary resolver (TXT for MTA-STS and TLS-RPT, §3.1 needs no DNSSEC). */
  resolver: Resolver;
  fetchPolicy: PolicyFetcher;
  anchors: X509Certificate[];
  /** The probe went as far as STARTTLS (or used implicit TLS). */
  tlsAttempted: boolean;
  now?: () => Date;
}

/** The TLS facts of the first probe of a host that completed TLS. */
function hostTls(host: HostResult): TlsDetails | null {
  return host.probes.find((p) => p.tls !== null)?.tls ?? null;
}

function noTlsReason(host: HostResult, tlsAttempted: boolean): string | null {
  if (hostTls(host)) return null;
  if (!tlsAttempted) return 'not judged: the probe did not try STARTTLS';
  if (host.probes.some((p) => p.capabilities.plain && !p.capabilities.plain.starttls)) return 'STARTTLS not offered';
  const tlsErr = host.probes.find((p) => p.status === 'tls-error');
  if (tlsErr) return `TLS handshake failed${tlsErr.error ? `: ${tlsErr.error.message}` : ''}`;
  const p = host.probes.find((x) => x.status !== 'success');
  // A host we could not reach says nothing about its TLS: never judged as passing or failing.
  return `not judged: ${p ? p.status : 'no TLS session'}`;
}

function toLookup(j: Judged<import('./tlsa.js').TlsaRdata>): TlsaLookup {
  if (j.kind === 'failed') return j;
  if (j.kind === 'none') return { kind: 'none', dnssec: j.dnssec };
  return j;
}

async function txtOf(resolver: Resolver, name: string): Promise<{ kind: 'failed'; detail: string } | { kind: 'none' } | { kind: 'records'; records: string[] }> {
  const a = await resolver.txt(name);
  if (a.status === 'ok') return { kind: 'records', records: a.records };
  if (a.status === 'nxdomain' || a.status === 'nodata') return { kind: 'none' };
  return { kind: 'failed', detail: a.status === 'error' ? `${a.code} ${a.message}` : a.status };
}

export function withTransport(inner: RunSink, deps: TransportDeps): RunSink {
  const now = deps.now ?? (() => new Date());
  // A reused host (shared across targets) is a copy whose chain DER is no longer at hand: keep
  // each chain's judgement by its digests (bounded).
  const pkixCache = new LruCache<string, { valid: boolean | null; detail: string }>(4096);
  const mxDnssec = new LruCache<string, Promise<Judged<string>>>(4096);

  const enrichHost = async (host: HostResult, target: TargetInfo): Promise<void> => {
    const tls = hostTls(host);
    const transport: NonNullable<HostResult['transport']> = {};
    // An IP target has no host name to look up TLSA for (RFC 7672 §2.2): DANE does not apply.
    if (deps.dane && target.kind !== 'ip') {
      const name = tlsaName(host.exchange, host.port);
      let mx: Judged<string> | null = null;
      if (target.kind === 'domain' && target.domain && !target.mx.every((m) => m.implicit)) {
        const key = target.domain.toLowerCase();
        let p = mxDnssec.get(key);
        if (!p) {
          p = deps.secure.mx(target.domain);
          mxDnssec.set(key, p);
        }
        mx = await p;
      }
      const lookup = toLookup(await deps.secure.tlsa(name));
      transport.dane = daneVerdict({
        name,
        lookup,
        mxDnssec: mx === null ? null : mx.dnssec,
        tls,
        tlsAttempted: deps.tlsAttempted,
        now: now(),
      });
    }
    if (deps.mtaSts && tls) {
      const key = (tls.chain ?? []).map((c) => c.certSha256).join(',') + (tls.authorized ? '+' : '-');
      let v = pkixCache.get(key);
      if (!v || v.valid === null) {
        v = pkixValid(tls, deps.anchors, now());
        if (v.valid !== null) pkixCache.set(key, v);
      }
      transport.pkix = v;
    }
    if (transport.dane || transport.pkix) host.transport = transport;
  };

  const enrichTarget = async (t: TargetResult): Promise<void> => {
    if (t.kind !== 'domain' || !t.domain) {
      if (deps.dane && t.hosts.some((h) => h.transport?.dane)) t.transport = { summary: transportSummary(t) };
      return;
    }
    const out: TargetTransport = { summary: '' };
    if (deps.mtaSts) {
      const txt = await txtOf(deps.resolver, `_mta-sts.${t.domain}`);
      const hosts: HostTlsFacts[] = t.hosts.map((h) => {
        const tls = hostTls(h);
        return {
          exchange: h.exchange,
          ip: h.ip,
          tls,
          pkixValid: h.transport?.pkix?.valid ?? null,
          pkixDetail: h.transport?.pkix?.detail ?? 'not checked',
          noTlsReason: noTlsReason(h, deps.tlsAttempted),
        };
      });
      // A sender fetches the policy only when the TXT record is there (RFC 8461 §3.3).
      const wantsFetch = txt.kind === 'records' && txt.records.some((r) => /^v\s*=\s*STSv1/.test(r));
      const fetched = wantsFetch ? await deps.fetchPolicy(t.domain) : null;
      const r: MtaStsResult = mtaStsVerdict({ txt, fetched, hosts });
      out.mtaSts = r;
      out.tlsRpt = tlsRptVerdict(await txtOf(deps.resolver, `_smtp._tls.${t.domain}`));
    }
    t.transport = out;
    out.summary = transportSummary(t);
  };

  return {
    async host(host, target) {
      await enrichHost(host, target);
      await inner.host(host, target);
    },
    async target(t) {
      await enrichTarget(t);
      await inner.target(t);
    },
  };
}
