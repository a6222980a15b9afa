/**
 * The run: targets in, results out, streaming.
 *
 *  1. Targets arrive as an async iterable (read line by line); at most `maxInFlightTargets` are
 *     being worked on at once, so a 100,000-line file never sits in memory.
 *  2. A domain is resolved to its exchangers (RFC 5321 §5.1 MX, implicit MX, RFC 7505 null MX),
 *     each exchanger to its A/AAAA; a host to its addresses; an IP is used as is.
 *  3. Each address becomes a host job: the identity matrix (identities × sources), probed one
 *     connection at a time per IP through the polite scheduler; hosts run in parallel.
 *  4. Each host result goes to the sink when done (ndjson flushes it), then the target.
 *  5. After a signal nothing new connects: cells still waiting for their turn come out `not-tried`
 *     ("run interrupted"), and every target that was given but never started (still resolving,
 *     or not yet read) goes to `deps.notStarted`, one at a time as the input is read on: a
 *     reader can tell "not started" from "not given", and --resume plans them again.
 */
import { isIP } from 'node:net';
import type { AddresslessExchanger, HostResult, Identity, IdentityKind, MxEntry, TargetResult, UnresolvedExchanger } from '../results.js';
import type { Resolver } from '../dns/types.js';
import { lookupAddresses, lookupExchangers, type AddressLookup } from '../dns/mx.js';
import type { Connector } from '../net/connector.js';
import { predictSourceAddress } from '../net/route.js';
import type { Target } from '../targets/parse.js';
import { buildIdentity, nxdomainLabel, parentDomain } from './identities.js';
import { probeHost, type HostDeps, type HostJob, type ProbeSettings } from './probe-host.js';
import { PoliteScheduler } from './scheduler.js';
import { LruCache } from '../dns/cache.js';

export interface RunOptions extends ProbeSettings {
  /** Default port when a target gives none (25; 465 with implicit TLS). */
  port: number;
  concurrency: number;
  hostGapMs: number;
  /** The primary HELO name (--helo). */
  helo: string;
  identityKinds: IdentityKind[];
  /** Extra names from --identity. */
  customIdentities: string[];
  /** --source values; [null] lets the system choose. */
  sources: Array<string | null>;
  /** null: postmaster@<primary domain>; "" is the null sender. */
  mailFrom: string | null;
  /** null: postmaster@<target domain> (RFC 5321 §4.5.1 requires it to exist). */
  rcpt: string | null;
  mismatchName: string | null;
  family: 4 | 6 | 'any';
  maxInFlightTargets?: number;
  /**
   * Probe each (IP, port, MX name) once per run when the session cannot depend on the target
   * (no MAIL/RCPT), and report that result for every target that lists the host. Many domains
   * share one provider's MX hosts; probing them again per domain only hammers the provider.
   */
  shareHosts?: boolean;
}

export interface TargetInfo {
  input: string;
  origin: string;
  kind: Target['kind'];
  domain: string | null;
  mx: MxEntry[];
}

export interface RunSink {
  host(host: HostResult, target: TargetInfo): void | Promise<void>;
  target(target: TargetResult): void | Promise<void>;
}

export interface RunDeps {
  resolver: Resolver;
  connector?: Connector;
  signal?: AbortSignal;
  scheduler?: PoliteScheduler;
  enrichProbe?: HostDeps['enrichProbe'];
  enrichHost?: HostDeps['enrichHost'];
  /** --resume: cells and targets an earlier run already finished. */
  skip?: {
    hasTarget(input: string): boolean;
    hasIdentity(input: string, ip: string, identity: Identity): boolean;
  };
  /** After a signal, how long to wait for open work before returning (default 1500 ms). */
  abortGraceMs?: number;
  /**
   * After a signal: each target that was never started, as `notStartedTarget` builds it (no DNS,
   * no hosts). Called for the unread rest of the input too, streaming; without it they are left out.
   */
  notStarted?: (target: TargetResult) => void | Promise<void>;
}

/** The reason a cell or target that the signal kept from starting carries (probe/resume.ts, report/load.ts). */
export const RUN_INTERRUPTED = 'run interrupted';

/**
 * A target the run never started: nothing was looked up or probed, so its DNS status says
 * `not-tried` rather than anything the resolver could have said.
 */
export function notStartedTarget(t: Target, defaultPort: number): TargetResult {
  return {
    input: t.input,
    origin: t.origin,
    kind: t.kind,
    domain: t.kind === 'ip' ? null : t.name,
    ...(t.kind !== 'ip' && t.display !== t.name ? { displayDomain: t.display } : {}),
    port: t.port ?? defaultPort,
    dns: { status: 'not-tried', detail: RUN_INTERRUPTED },
    mx: [],
    hosts: [],
  };
}

/** A target being worked on, as far as a signal's grace period needs to know. */
interface Flight {
  target: Target;
  /** Its DNS answer, once resolved: the target record, hosts aside. */
  resolved: Omit<TargetResult, 'hosts'> | null;
  /** Hosts already written to the sink. */
  hosts: HostResult[];
  /** The target record went to the sink (or the target was skipped by --resume). */
  written: boolean;
}

interface Address {
  exchange: string;
  ip: string;
  family: 4 | 6;
  servername: string | null;
}

async function resolveTarget(
  t: Target,
  resolver: Resolver,
  family: RunOptions['family'],
): Promise<{ result: Omit<TargetResult, 'hosts' | 'port'>; addresses: Address[] }> {
  const base = {
    input: t.input,
    origin: t.origin,
    kind: t.kind,
    domain: t.kind === 'ip' ? null : t.name,
    ...(t.display !== t.name ? { displayDomain: t.display } : {}),
  };
  if (t.kind === 'ip') {
    const fam = (isIP(t.name) === 6 ? 6 : 4) as 4 | 6;
    return {
      result: { ...base, dns: { status: 'not-needed' }, mx: [] },
      addresses: [{ exchange: t.name, ip: t.name, family: fam, servername: null }],
    };
  }
  if (t.kind === 'host') {
    const a = await lookupAddresses(t.name, resolver, family);
    const unresolved = a.status === 'ok' ? unresolvedOf(t.name, a) : [];
    return {
      result: { ...base, dns: { status: a.status, ...(a.detail ? { detail: a.detail } : {}), ...(unresolved.length ? { unresolved } : {}) }, mx: [] },
      addresses: a.addresses.map((x) => ({ exchange: t.name, ip: x.ip, family: x.family, servername: t.name })),
    };
  }
  const ex = await lookupExchangers(t.name, resolver);
  if (ex.status !== 'ok') {
    return { result: { ...base, dns: { status: ex.status, ...(ex.detail ? { detail: ex.detail } : {}) }, mx: ex.mx }, addresses: [] };
  }
  // Every address of every exchanger, in preference order (RFC 5321 §5.1).
  const lookups = await Promise.all(ex.mx.map((m) => lookupAddresses(m.exchange, resolver, family)));
  const addresses: Address[] = [];
  const problems: string[] = ex.detail ? [ex.detail] : [];
  const unresolved: UnresolvedExchanger[] = [];
  const noAddress: AddresslessExchanger[] = [];
  ex.mx.forEach((m, i) => {
    const l = lookups[i];
    if (l) unresolved.push(...unresolvedOf(m.exchange, l));
    if (l && (l.status === 'nxdomain' || l.status === 'nodata')) noAddress.push(addresslessOf(m.exchange, l.status, family));
    if (!l || l.status !== 'ok' || l.addresses.length === 0) {
      problems.push(`${m.exchange}: ${l?.status ?? 'error'}${l?.detail ? ` (${l.detail})` : ''}`);
      return;
    }
    for (const x of l.addresses) addresses.push({ exchange: m.exchange, ip: x.ip, family: x.family, servername: m.exchange });
  });
  const status = addresses.length > 0 ? 'ok' : (lookups.find((l) => l.status !== 'ok')?.status ?? 'nodata');
  // Only worth listing beside hosts that were probed: without any, the target status says it all.
  const partial = status === 'ok' && unresolved.length > 0;
  const someAddressless = status === 'ok' && noAddress.length > 0;
  return {
    result: {
      ...base,
      dns: { status, ...(problems.length ? { detail: problems.join('; ') } : {}), ...(partial ? { unresolved } : {}), ...(someAddressless ? { noAddress } : {}) },
      mx: ex.mx,
    },
    addresses,
  };
}

/**
 * The lookup failures of one exchanger's addresses: the whole lookup (no address seen, status a
 * failure), or one family failing beside a family that answered (status ok; `failed` names the
 * family). NXDOMAIN and NODATA are answers (RFC 2308 §2), never failures, never listed.
 */
function unresolvedOf(exchange: string, l: AddressLookup): UnresolvedExchanger[] {
  const first = l.failed?.[0];
  if (first === undefined) return [];
  return [{ exchange, status: l.status === 'ok' ? first.status : l.status, ...(l.detail ? { detail: l.detail } : {}) }];
}

/** An exchanger whose name answered without addresses (NXDOMAIN, or NODATA for what was asked). */
function addresslessOf(exchange: string, status: 'nxdomain' | 'nodata', family: RunOptions['family']): AddresslessExchanger {
  if (status === 'nxdomain') return { exchange, status, detail: 'the MX name does not exist' };
  const asked = family === 4 ? 'no A record (-4)' : family === 6 ? 'no AAAA record (-6)' : 'no A or AAAA record';
  return { exchange, status, detail: `the MX name has ${asked}` };
}

function defaultRcpt(t: Target, a: Address): string {
  if (t.kind === 'ip') return `postmaster@${isIP(a.ip) === 6 ? `[IPv6:${a.ip}]` : `[${a.ip}]`}`;
  return `postmaster@${t.name}`;
}

/** A name that resolves, with its addresses: a candidate for the `mismatch` identity. */
interface MismatchCandidate {
  name: string;
  ips: string[];
}

/**
 * Names near the primary that resolve, but not to `sourceIp` (the sender's own name is never
 * one). Looked up once per source; `pickMismatch` then chooses per receiver.
 */
async function mismatchCandidates(primary: string, sourceIp: string | null, resolver: Resolver): Promise<MismatchCandidate[]> {
  const domain = parentDomain(primary);
  const names = [domain, `www.${domain}`];
  const mx = await lookupExchangers(domain, resolver);
  if (mx.status === 'ok') for (const m of mx.mx) if (!names.includes(m.exchange)) names.push(m.exchange);
  const out: MismatchCandidate[] = [];
  for (const name of names) {
    if (name.toLowerCase() === primary.toLowerCase()) continue;
    const a = await lookupAddresses(name, resolver);
    if (a.status === 'ok' && a.addresses.length > 0 && !a.addresses.some((x) => x.ip === sourceIp)) out.push({ name, ips: a.addresses.map((x) => x.ip) });
  }
  return out;
}

/**
 * The mismatch name for one receiver: neither the sender's (see mismatchCandidates) nor the
 * receiver's own. A HELO with the receiver's own name or address trips "you are not me" rules
 * (Exim's helo checks, Postfix check_helo_access on own names), which is a different question
 * from "does the HELO match the client IP" (issue 12 B10).
 */
export function pickMismatch(candidates: readonly MismatchCandidate[], receiver: { exchange: string; ip: string }): string | null {
  const own = receiver.exchange.toLowerCase().replace(/\.$/, '');
  for (const c of candidates) {
    if (c.name.toLowerCase().replace(/\.$/, '') === own) continue;
    if (c.ips.includes(receiver.ip)) continue;
    return c.name;
  }
  return null;
}

export class Planner {
  private readonly mismatch = new Map<string, Promise<MismatchCandidate[]>>();
  /** One nxdomain label per run: every host gets the same HELO, so reports can name it once. */
  private readonly nxLabel = nxdomainLabel();
  constructor(private readonly options: RunOptions, private readonly resolver: Resolver) {}

  private async mismatchFor(sourceIp: string | null, receiver: Address): Promise<string | null> {
    if (this.options.mismatchName) return this.options.mismatchName;
    const key = sourceIp ?? '';
    let p = this.mismatch.get(key);
    if (!p) {
      // One entry per distinct source address: bounded by the number of --source values.
      p = mismatchCandidates(this.options.helo, sourceIp, this.resolver);
      this.mismatch.set(key, p);
    }
    return pickMismatch(await p, receiver);
  }

  async identities(address: Address, port: number): Promise<Pick<HostJob, 'identities' | 'unavailable'>> {
    const identities: Identity[] = [];
    const unavailable: HostJob['unavailable'] = [];
    for (const source of this.options.sources) {
      const fam = source ? isIP(source) : 0;
      if (source && fam !== address.family) {
        for (const kind of this.options.identityKinds) {
          unavailable.push({ identity: { kind, name: '', source }, reason: `source ${source} cannot reach an IPv${address.family} address` });
        }
        continue;
      }
      // The local address matters only to identities built from it (and to finding a mismatch
      // name); asking the kernel costs a UDP socket per host, so do it only then.
      const needsIp = this.options.identityKinds.some((k) => k === 'literal' || k === 'bare-ip' || k === 'dynamic' || (k === 'mismatch' && !this.options.mismatchName));
      const sourceIp = source ?? (needsIp ? await predictSourceAddress(address.ip, port) : null);
      const sent = new Set<string>();
      for (const kind of this.options.identityKinds) {
        const mismatchName = kind === 'mismatch' ? await this.mismatchFor(sourceIp, address) : null;
        const nxLabel = this.nxLabel;
        const choice = buildIdentity(kind, { primary: this.options.helo, sourceIp, source, mismatchName, randomLabel: () => nxLabel });
        if (!choice.ok) unavailable.push({ identity: { kind, name: choice.name, source }, reason: choice.reason });
        else if (sent.has(choice.identity.name.toLowerCase())) {
          // e.g. `short` of a one-label --helo is the primary itself: one connection is enough.
          unavailable.push({ identity: choice.identity, reason: `same name as an identity already in the matrix (${choice.identity.name})` });
        } else {
          sent.add(choice.identity.name.toLowerCase());
          identities.push(choice.identity);
        }
      }
      for (const name of this.options.customIdentities) {
        if (sent.has(name.toLowerCase())) continue;
        sent.add(name.toLowerCase());
        identities.push({ kind: 'custom', name, source });
      }
    }
    return { identities, unavailable };
  }
}

export async function runProbes(targets: AsyncIterable<Target>, options: RunOptions, deps: RunDeps, sink: RunSink): Promise<void> {
  const scheduler = deps.scheduler ?? new PoliteScheduler({ concurrency: options.concurrency, hostGapMs: options.hostGapMs });
  const planner = new Planner(options, deps.resolver);
  const mailFrom = options.mailFrom ?? `postmaster@${parentDomain(options.helo)}`;
  const maxInFlight = options.maxInFlightTargets ?? Math.max(16, options.concurrency * 2);
  const inFlight = new Map<Promise<void>, Flight>();
  let failure: unknown = null;
  /** Set when runProbes returns: work still running after the grace period writes nothing more. */
  let closed = false;
  // One waiter, woken when any target finishes: Promise.race over the whole set on every
  // iteration would attach O(in-flight) callbacks per target (O(T·C) work and garbage).
  let wake: (() => void) | null = null;
  const onAbort = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  deps.signal?.addEventListener('abort', onAbort, { once: true });

  const skip = deps.skip;
  // (IP, port, MX name) → the first probing of it; bounded, so a long run cannot grow it.
  const shared = options.shareHosts !== false && (options.stopAfter === 'banner' || options.stopAfter === 'ehlo' || options.stopAfter === 'starttls')
    ? new LruCache<string, Promise<{ host: HostResult; target: string }>>(1024)
    : null;
  const work = async (t: Target, flight: Flight) => {
    if (skip?.hasTarget(t.input)) {
      flight.written = true;
      return;
    }
    const port = t.port ?? options.port;
    const { result, addresses } = await resolveTarget(t, deps.resolver, options.family);
    if (closed) return;
    flight.resolved = { ...result, port };
    // Resolved when the signal came: it is still planned, and every cell comes out not-tried
    // (probeHost starts nothing after the signal), so the target says what was never tried.
    const info: TargetInfo = { input: t.input, origin: t.origin, kind: t.kind, domain: result.domain, mx: result.mx };
    const done = await Promise.all(
      addresses.map(async (a): Promise<HostResult | null> => {
        const plan = await planner.identities(a, port);
        if (skip) {
          plan.identities = plan.identities.filter((id) => !skip.hasIdentity(t.input, a.ip, id));
          plan.unavailable = plan.unavailable.filter((u) => !skip.hasIdentity(t.input, a.ip, u.identity));
          if (plan.identities.length === 0 && plan.unavailable.length === 0) return null;
        }
        const job: HostJob = {
          exchange: a.exchange,
          ip: a.ip,
          port,
          family: a.family,
          servername: a.servername,
          ...plan,
          mailFrom,
          rcpt: options.rcpt ?? defaultRcpt(t, a),
        };
        const probe = () =>
          probeHost(job, options, {
            scheduler,
            ...(deps.connector ? { connector: deps.connector } : {}),
            ...(deps.signal ? { signal: deps.signal } : {}),
            ...(deps.enrichProbe ? { enrichProbe: deps.enrichProbe } : {}),
            ...(deps.enrichHost ? { enrichHost: deps.enrichHost } : {}),
          });
        let host: HostResult;
        const key = `${a.ip}|${port}|${a.servername ?? ''}`;
        // Only MX hosts repeat across targets (an IP or host:port target is de-duplicated already).
        const cache = t.kind === 'domain' ? shared : null;
        const earlier = cache?.get(key);
        if (earlier) {
          const first = await earlier;
          host = { ...structuredClone(first.host), reusedFrom: first.target };
        } else {
          if (cache === null) host = await probe();
          else {
            let full: HostResult | undefined;
            // The cache keeps a copy without transcripts (they are in the first target's result):
            // a few KB per host instead of the whole session, for at most 1024 hosts. Built only
            // when a cache takes it (IP and host:port targets never repeat: no copy per host).
            const pending = probe().then((h) => {
              full = h;
              return { host: { ...h, probes: h.probes.map((p) => ({ ...p, transcript: [] })) }, target: t.input };
            });
            cache.set(key, pending);
            await pending;
            host = full as HostResult;
          }
        }
        // The run already returned (the grace period after a signal ran out): too late to write.
        if (closed) return null;
        await sink.host(host, info);
        flight.hosts.push(host);
        return host;
      }),
    );
    const hosts = done.filter((h): h is HostResult => h !== null);
    if (closed) return;
    flight.written = true;
    await sink.target({ ...result, port, hosts });
  };

  // Iterated by hand: a `for await` that breaks would close the input, and after a signal the rest
  // of it is still read, to name the targets that were never started.
  const input = targets[Symbol.asyncIterator]();
  for (;;) {
    if (deps.signal?.aborted || failure) break;
    const next = await input.next();
    if (next.done === true) break;
    const t = next.value;
    const flight: Flight = { target: t, resolved: null, written: false, hosts: [] };
    const p: Promise<void> = work(t, flight)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        inFlight.delete(p);
        const w = wake;
        wake = null;
        w?.();
      });
    inFlight.set(p, flight);
    while (inFlight.size >= maxInFlight && !deps.signal?.aborted) await new Promise<void>((r) => (wake = r));
  }
  // The unread rest of the input, one target at a time (a 100,000-line list is never held): given,
  // never started. Skipped ones (--resume) were finished earlier and are not repeated.
  const rest = deps.signal?.aborted === true && failure === null && deps.notStarted !== undefined
    ? (async () => {
        const emit = deps.notStarted as NonNullable<RunDeps['notStarted']>;
        for (let n = 1; ; n++) {
          const next = await input.next();
          if (next.done === true || closed) break;
          if (skip?.hasTarget(next.value.input)) continue;
          await emit(notStartedTarget(next.value, options.port));
          // A chunk of the input is parsed in microtasks alone: let the event loop turn now and
          // then, so a second signal (exit at once, cli/main.ts) is not held up behind it.
          if (n % 128 === 0) await new Promise<void>((r) => setImmediate(r));
        }
      })()
    : Promise.resolve(input.return?.()).then(() => {});
  const all = Promise.all(inFlight.keys());
  const signal = deps.signal;
  if (signal) {
    // After a signal, open sessions QUIT within their grace period and their hosts are written;
    // work still waiting on DNS would only hold the exit back, so stop waiting for it then.
    let timer: NodeJS.Timeout | undefined;
    const arm = (r: () => void) => () => (timer = setTimeout(r, deps.abortGraceMs ?? 1500));
    let disarm = () => {};
    const grace = new Promise<void>((r) => {
      if (signal.aborted) arm(r)();
      else {
        const onSignal = arm(r);
        signal.addEventListener('abort', onSignal, { once: true });
        disarm = () => signal.removeEventListener('abort', onSignal);
      }
    });
    await Promise.race([all, grace]);
    disarm();
    clearTimeout(timer);
  } else {
    await all;
  }
  // The input is read to its end whatever the grace period: the cost is parsing it, never waiting.
  await rest;
  closed = true;
  deps.signal?.removeEventListener('abort', onAbort);
  if (failure) throw failure;
  // Work the grace period gave up on: what it finished is written, the rest said to be not started.
  if (deps.signal?.aborted && deps.notStarted) {
    for (const f of inFlight.values()) {
      if (f.written) continue;
      f.written = true;
      // Resolved, with sessions that did not wind down in time: the hosts that did are kept.
      if (f.resolved === null) await deps.notStarted(notStartedTarget(f.target, options.port));
      else await sink.target({ ...f.resolved, hosts: f.hosts });
    }
  }
}
