/**
 * Run summary: counts over targets, hosts and probes (the JSON `summary` and the table's closing block).
 *
 * SummaryBuilder is incremental: it keeps only counters, never the targets themselves, so a
 * 100k-target NDJSON run can stream its summary in memory that does not grow with the run.
 * Everything here is derived from what the probe recorded; nothing is re-probed or re-resolved.
 */
import type {
  AlignmentCheck,
  Capabilities,
  Cause,
  HostResult,
  Outcome,
  ProbeResult,
  ProbeStatus,
  StarttlsFailure,
  Summary,
  TargetResult,
  TlsDetails,
} from '../results.js';
import { stripControl } from './sanitize.js';
import { byCodeUnits } from './order.js';

/** Certificate outcome buckets used in `summary.certificates` and by the HTML/CSV renderers. */
export type CertOutcome = 'valid' | 'self-signed' | 'expired' | 'name-mismatch' | 'untrusted';

/** Node's verify-error codes (OpenSSL X509_V_ERR_* names) that mean "self-signed". */
const SELF_SIGNED_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

/**
 * Classify one TLS session's certificate. A certificate can have several problems at once (a
 * self-signed certificate for the wrong name), so this returns every problem that applies, or
 * ['valid'] when the chain verified and the name matched (or there was no name to check: IP target).
 * Returns [] when no TLS session completed.
 */
export function certOutcomes(tls: TlsDetails | null): CertOutcome[] {
  if (tls === null || (tls.protocol === null && tls.certificate === null)) return [];
  if (tls.authorized && tls.nameMatches !== false) return ['valid'];
  const out: CertOutcome[] = [];
  const err = tls.authorizationError ?? '';
  const expired = err === 'CERT_HAS_EXPIRED';
  const selfSigned = tls.certificate?.selfSigned === true || SELF_SIGNED_ERRORS.has(err);
  if (expired) out.push('expired');
  if (selfSigned) out.push('self-signed');
  if (!tls.authorized && !expired && !selfSigned) out.push('untrusted');
  if (tls.nameMatches === false) out.push('name-mismatch');
  return out;
}

/** A reply counts as positive completion when its code is 2xx (RFC 5321 §4.2.1). */
function is2xx(code: number | undefined | null): boolean {
  return typeof code === 'number' && code >= 200 && code < 300;
}

/**
 * What one host offered, folded over its probes (each probe is a separate connection, so e.g.
 * STARTTLS counts as offered when any EHLO reply listed it).
 */
export interface HostFacts {
  /** The first probe that got a 2xx greeting reply, else the first probe with a banner, else the first probe. */
  representative: ProbeResult | null;
  /** Any probe had a 2xx reply to EHLO. */
  ehlo: boolean;
  /** A HELO-only host: some probe finished its greeting with a 2xx reply to HELO, and no probe got a 2xx to EHLO. */
  helo: boolean;
  /** The greeting command of the representative probe, null when no greeting completed. */
  greeting: 'EHLO' | 'HELO' | null;
  /** STARTTLS listed in a plaintext EHLO reply (RFC 3207 §4); null when no EHLO capabilities were seen. */
  starttls: boolean | null;
  /** The first completed TLS session on this host (STARTTLS or implicit), else null. */
  tls: TlsDetails | null;
  /** Capabilities before TLS (first probe that has them). */
  plain: Capabilities | null;
  /** Capabilities after TLS (first probe that has them). */
  afterTls: Capabilities | null;
  /** Certificate problems of `tls`, or ['valid']; [] without TLS. */
  cert: CertOutcome[];
  /** STARTTLS advertised but refused or its handshake failed (first probe that saw it), else null. */
  starttlsFailure: StarttlsFailure | null;
}

export function hostFacts(host: HostResult): HostFacts {
  let ehlo = false;
  let helo = false;
  let starttls: boolean | null = null;
  let tls: TlsDetails | null = null;
  let plain: Capabilities | null = null;
  let afterTls: Capabilities | null = null;
  let greeted: ProbeResult | null = null;
  let bannered: ProbeResult | null = null;
  let starttlsFailure: StarttlsFailure | null = null;
  for (const p of host.probes) {
    starttlsFailure ??= p.starttlsFailure ?? null;
    if (is2xx(p.greeting?.ehloReply?.code)) ehlo = true;
    if (p.greeting?.command === 'HELO' && is2xx(p.greeting.reply?.code)) helo = true;
    if (greeted === null && p.greeting !== null && is2xx(p.greeting.reply?.code)) greeted = p;
    if (bannered === null && p.banner !== null) bannered = p;
    const caps = p.capabilities;
    if (caps.plain !== null) {
      plain ??= caps.plain;
      starttls = (starttls ?? false) || caps.plain.starttls;
    }
    if (caps.tls !== null) afterTls ??= caps.tls;
    if (tls === null && p.tls !== null && (p.tls.protocol !== null || p.tls.certificate !== null)) tls = p.tls;
  }
  const representative = greeted ?? bannered ?? host.probes[0] ?? null;
  return {
    representative,
    ehlo,
    // A host that answered EHLO with 250 to any identity speaks EHLO: a HELO after it refused one
    // identity's EHLO (Haraka's helo.checks) does not make it a HELO-only host.
    helo: helo && !ehlo,
    greeting: ehlo ? 'EHLO' : (greeted?.greeting?.command ?? null),
    starttls,
    tls,
    plain,
    afterTls,
    cert: certOutcomes(tls),
    starttlsFailure,
  };
}

/** How a probe lands in the identity matrix and the per-identity counts. */
export type CellOutcome = 'accepted' | 'rejected' | 'deferred' | 'not-judged' | 'error' | 'not-tried';

/**
 * The verdict decides when it says accepted/rejected/deferred, even if the connection then failed
 * (a 421 banner followed by a close is "deferred", not an error); otherwise a skipped cell is
 * not-tried and everything else (refused, timeout, outcome unknown) is an error.
 */
export function cellOutcome(p: ProbeResult): CellOutcome {
  const o = p.verdict.outcome;
  if (o === 'accepted' || o === 'rejected' || o === 'deferred' || o === 'not-judged') return o;
  if (p.status === 'not-tried') return 'not-tried';
  return 'error';
}

/** Prefix that keeps receiver-side and sender-side check ids apart (both have ptr-exists, fcrdns). */
export const RECEIVER_PREFIX = 'receiver:';
export const SENDER_PREFIX = 'sender:';

function inc<K extends string>(rec: Partial<Record<K, number>>, key: K, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

function dict<T>(): T {
  return Object.create(null) as T;
}

function countFailures(out: Record<string, number>, prefix: string, checks: readonly AlignmentCheck[] | undefined): void {
  if (checks === undefined) return;
  for (const c of checks) if (c.status === 'fail') inc(out, `${prefix}${c.id}`);
}

type IdentityCounts = Summary['identities'][string];

export class SummaryBuilder {
  private targets = 0;
  private hosts = 0;
  private probes = 0;
  private targetErrors = 0;
  private nullMx = 0;
  // Every map keyed by recorded data has no prototype: a results file with a kind or version
  // named "__proto__" must count as a key, not reach Object.prototype.
  private readonly status: Partial<Record<ProbeStatus, number>> = dict();
  private readonly outcomes: Partial<Record<Outcome, number>> = dict();
  private hostsEhlo = 0;
  private hostsHelo = 0;
  private hostsStarttls = 0;
  private hostsTls = 0;
  private readonly tlsVersions: Record<string, number> = dict();
  private readonly certificates: Record<string, number> = dict();
  private readonly identities: Record<string, Omit<IdentityCounts, 'acceptanceRate'>> = dict();
  private readonly causes: Partial<Record<Cause, number>> = dict();
  private readonly alignmentFailures: Record<string, number> = dict();

  addTarget(t: TargetResult): void {
    // Listed by an interrupted run but never started (probe/run.ts notStartedTarget): nothing was
    // observed, so it counts nowhere (not as a target without a host either).
    if (t.dns.status === 'not-tried') return;
    this.targets++;
    // A target with no host to talk to (DNS failure, no address) could not be probed at all. A null
    // MX (RFC 7505) is the domain's own answer, "no mail here", and is counted apart.
    if (t.dns.status === 'null-mx') this.nullMx++;
    else if (t.hosts.length === 0) this.targetErrors++;
    for (const h of t.hosts) this.addHost(h);
  }

  /** Also usable directly by an NDJSON writer that emits hosts before their target record. */
  addHost(h: HostResult): void {
    this.hosts++;
    const f = hostFacts(h);
    if (f.ehlo) this.hostsEhlo++;
    if (f.helo) this.hostsHelo++;
    if (f.starttls === true) this.hostsStarttls++;
    if (f.tls !== null) {
      this.hostsTls++;
      inc(this.tlsVersions, f.tls.protocol ?? 'unknown');
    }
    for (const c of f.cert) inc(this.certificates, c);
    countFailures(this.alignmentFailures, RECEIVER_PREFIX, h.alignment?.checks);
    for (const p of h.probes) this.addProbe(p);
  }

  private addProbe(p: ProbeResult): void {
    this.probes++;
    inc(this.status, p.status);
    const cell = cellOutcome(p);
    // A skipped cell has no outcome of its own; counting its placeholder verdict would inflate "unknown".
    if (p.status !== 'not-tried') {
      inc(this.outcomes, p.verdict.outcome);
      // 'none' is the cause of an acceptance: not a cause worth a histogram bar; a session that
      // failed before any refusal (refused, timed out…) has no cause either: its status says it.
      if (p.verdict.cause !== 'none' && p.verdict.outcome !== 'unknown') inc(this.causes, p.verdict.cause);
    }
    const id = (this.identities[p.identity.kind] ??= { probes: 0, accepted: 0, rejected: 0, deferred: 0, notJudged: 0, errors: 0, notTried: 0 });
    id.probes++;
    // "How is this identity treated?" is answered by the final word: when --retry-greylist
    // re-probed a greylisted cell, the retry's outcome counts (the verdict keeps the first reply).
    const retry = p.greylistRetry?.verdict.outcome;
    const effective = retry === 'accepted' || retry === 'rejected' || retry === 'deferred' ? retry : cell;
    if (effective === 'error') id.errors++;
    else if (effective === 'not-tried') id.notTried++;
    // Not judged is neither accepted nor refused: outside the acceptance rate's "decided".
    else if (effective === 'not-judged') id.notJudged++;
    else id[effective]++;
    countFailures(this.alignmentFailures, SENDER_PREFIX, p.alignment?.checks);
  }

  build(): Summary {
    const identities: Summary['identities'] = dict();
    for (const [kind, c] of Object.entries(this.identities)) {
      const decided = c.accepted + c.rejected + c.deferred;
      identities[kind] = { ...c, acceptanceRate: decided === 0 ? null : c.accepted / decided };
    }
    return {
      targets: this.targets,
      hosts: this.hosts,
      probes: this.probes,
      targetErrors: this.targetErrors,
      nullMx: this.nullMx,
      status: { ...this.status },
      outcomes: { ...this.outcomes },
      hostsEhlo: this.hostsEhlo,
      hostsHelo: this.hostsHelo,
      hostsStarttls: this.hostsStarttls,
      hostsTls: this.hostsTls,
      tlsVersions: { ...this.tlsVersions },
      certificates: { ...this.certificates },
      identities,
      causes: { ...this.causes },
      alignmentFailures: { ...this.alignmentFailures },
    };
  }
}

/** Convenience for callers holding all targets already. */
export function summarize(targets: Iterable<TargetResult>): Summary {
  const b = new SummaryBuilder();
  for (const t of targets) b.addTarget(t);
  return b.build();
}

function pct(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}

/** "a 3, b 1" sorted by count then key; keys pass through stripControl (they may come from a loaded file). */
function histogram(rec: Record<string, number | undefined>): string {
  const entries = Object.entries(rec).filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0);
  if (entries.length === 0) return '-';
  entries.sort((a, b) => b[1] - a[1] || byCodeUnits(a[0], b[0]));
  return entries.map(([k, v]) => `${stripControl(k)} ${v}`).join(', ');
}

/** The closing block of the table report: plain text, no colour, one fact per line. */
export function renderSummaryBlock(s: Summary): string {
  const lines: string[] = [];
  lines.push('Summary');
  const notes = [`${s.targetErrors} without a host to probe`, ...(s.nullMx ? [`${s.nullMx} null MX`] : [])];
  lines.push(`  targets       ${s.targets} (${notes.join(', ')})`);
  lines.push(`  hosts         ${s.hosts}, probes ${s.probes}`);
  lines.push(`  status        ${histogram(s.status)}`);
  lines.push(`  outcomes      ${histogram(s.outcomes)}`);
  lines.push(`  EHLO ${s.hostsEhlo}  HELO ${s.hostsHelo}  STARTTLS ${s.hostsStarttls}  TLS ${s.hostsTls}  (hosts)`);
  lines.push(`  TLS versions  ${histogram(s.tlsVersions)}`);
  lines.push(`  certificates  ${histogram(s.certificates)}`);
  lines.push(`  causes        ${histogram(s.causes)}`);
  lines.push(`  alignment     ${histogram(s.alignmentFailures)}${Object.keys(s.alignmentFailures).length > 0 ? ' (failed checks)' : ''}`);
  const kinds = Object.keys(s.identities).sort();
  if (kinds.length > 0) {
    lines.push('  identities    kind        probes  acc  rej  def  err  skip  acceptance');
    for (const k of kinds) {
      const c = s.identities[k];
      if (c === undefined) continue;
      lines.push(
        `                ${stripControl(k).padEnd(10)} ${String(c.probes).padStart(7)} ${String(c.accepted).padStart(4)} ${String(c.rejected).padStart(4)} ${String(c.deferred).padStart(4)} ${String(c.errors).padStart(4)} ${String(c.notTried).padStart(5)}  ${pct(c.acceptanceRate)}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
