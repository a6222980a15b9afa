/**
 * What changed between two observations of one host (or one target): a pure function of two
 * records, used by `mxprobe diff` (two runs, merge-joined by key) and `mxprobe history` (one host's
 * consecutive runs). Nothing is claimed from silence: when either side did not reach the stage that
 * shows a fact (e.g. no EHLO answered), no change in that fact is reported; a probe that failed in
 * the newer run is reported as `probe-failed` (inconclusive), never as "no change".
 */
import type { AlignmentCheck, HostResult, MxEntry, Outcome, ProbeResult, TargetResult, Verdict } from '../results.js';
import { UsageError } from '../errors.js';

export interface CertBrief {
  fingerprint256: string;
  issuer: string;
  notAfter: string;
}

export type Change =
  | { kind: 'target-added' }
  | { kind: 'target-removed' }
  | { kind: 'host-appeared' }
  | { kind: 'host-disappeared' }
  | { kind: 'mx-changed'; before: string[]; after: string[] }
  | { kind: 'dns-changed'; before: string; after: string }
  | { kind: 'banner-changed'; before: string; after: string }
  | { kind: 'capability-added'; keyword: string; value: string }
  | { kind: 'capability-removed'; keyword: string; value: string }
  | { kind: 'capability-changed'; keyword: string; before: string; after: string }
  | { kind: 'starttls-lost' }
  | { kind: 'starttls-gained' }
  | { kind: 'tls-downgrade'; before: string; after: string }
  | { kind: 'tls-upgrade'; before: string; after: string }
  | { kind: 'cipher-changed'; before: string; after: string }
  | { kind: 'cert-changed'; before: CertBrief; after: CertBrief }
  /**
   * The certificate entered the expiry window between A and B (or a certificate replaced it, or
   * the host is new, or A showed no certificate to compare): a change.
   */
  | { kind: 'cert-expiring'; notAfter: string; days: number }
  /**
   * The same certificate was already inside the window in A and still is in B: not a change (the
   * issue: "certificate replaced, or now expiring within N days"), shown as a reminder; never
   * counted as a change, never matched by a --fail-on-change rule.
   */
  | { kind: 'cert-expiry-reminder'; notAfter: string; days: number }
  | { kind: 'verdict-changed'; identity: string; identityKind: string; before: string; after: string; direction: 'worse' | 'better' | 'other'; newRefusal: boolean }
  | { kind: 'alignment-changed'; check: string; before: string; after: string }
  | { kind: 'probe-failed'; identity: string; status: string; message: string }
  // EHLO keywords of the second EHLO, after STARTTLS (RFC 3207 §4.2: the client must discard what it
  // knew and ask again; servers often offer AUTH or SIZE differently there).
  | { kind: 'tls-capability-added'; keyword: string; value: string }
  | { kind: 'tls-capability-removed'; keyword: string; value: string }
  | { kind: 'tls-capability-changed'; keyword: string; before: string; after: string }
  /** A sender-side alignment check of one identity (the probe's `alignment`). */
  | { kind: 'sender-alignment-changed'; identity: string; check: string; before: string; after: string }
  /** The host's DANE verdict (RFC 7672), with the DNSSEC status of the TLSA answer. */
  | { kind: 'dane-changed'; before: string; after: string; dnssecBefore: string; dnssecAfter: string; direction: 'worse' | 'better' | 'other' }
  /** The domain's MTA-STS verdict (RFC 8461). */
  | { kind: 'mta-sts-changed'; before: string; after: string; direction: 'worse' | 'better' | 'other' }
  /** The domain's MTA-STS policy itself (id, mode, mx patterns, max_age). */
  | { kind: 'mta-sts-policy-changed'; before: string; after: string }
  /** What an MTA-STS sender would do with one MX host (exchange, address). */
  | { kind: 'mta-sts-host-changed'; host: string; before: string; after: string }
  | { kind: 'tls-rpt-changed'; before: string; after: string }
  /**
   * A DANE, MTA-STS or TLS-RPT lookup failed in the newer run (status `indeterminate`): nothing was
   * judged, so neither "no change" nor "lost" can be said. Counted as inconclusive, like probe-failed.
   */
  | { kind: 'transport-inconclusive'; what: 'DANE' | 'MTA-STS' | 'TLS-RPT'; before: string; detail: string };

export type ChangeKind = Change['kind'];

export interface DiffOptions {
  /** When B was observed: the certificate of B is judged against the window at this time. */
  now: Date;
  /**
   * When A was observed (its run's start): whether A's certificate was already inside the window
   * is judged at this time. Absent: `now` (then the same certificate is in the window in both or
   * in neither, and an unchanged certificate is never a change).
   */
  before?: Date;
  /** Report a certificate expiring within this many days (of `now`). */
  expiryDays: number;
}

/** The probe whose plain EHLO tells the host's capabilities: the first that got an EHLO answer. */
function ehloProbe(h: HostResult): ProbeResult | undefined {
  return h.probes.find((p) => p.capabilities.plain !== null);
}

function bannerOf(h: HostResult): string | null {
  const p = h.probes.find((q) => q.banner !== null);
  return p?.banner ? p.banner.lines.join('\n') : null;
}

function tlsProbe(h: HostResult): ProbeResult | undefined {
  return h.probes.find((p) => p.tls !== null && p.tls.protocol !== null);
}

/** TLS protocol order for downgrade/upgrade (RFC 8996 deprecates < 1.2). Unknown names: not ranked. */
const TLS_RANK: Record<string, number> = { SSLv3: 0, TLSv1: 1, 'TLSv1.1': 2, 'TLSv1.2': 3, 'TLSv1.3': 4 };

function certBrief(p: ProbeResult | undefined): CertBrief | null {
  const c = p?.tls?.certificate;
  if (!c) return null;
  const cn = c.issuer['CN'] ?? c.issuer['O'] ?? '';
  return { fingerprint256: c.fingerprint256, issuer: Array.isArray(cn) ? cn.join(', ') : cn, notAfter: c.validTo };
}

function identityKey(p: ProbeResult): string {
  // The nxdomain label is random per run; custom identities are told apart by name.
  return `${p.identity.kind}|${p.identity.source ?? ''}|${p.identity.kind === 'custom' ? p.identity.name : ''}`;
}

export function identityLabel(p: ProbeResult): string {
  return `${p.identity.kind === 'custom' ? `custom ${p.identity.name}` : p.identity.kind}${p.identity.source ? ` from ${p.identity.source}` : ''}`;
}

/** "accepted", "rejected@rcpt helo-not-resolving", "deferred@rcpt greylist→accepted". */
export function verdictText(v: Verdict, retry?: ProbeResult['greylistRetry']): string {
  const base = v.outcome === 'accepted' ? 'accepted' : `${v.outcome}${v.stage ? `@${v.stage}` : ''}${v.cause !== 'none' ? ` ${v.cause}` : ''}`;
  return retry ? `${base}→${retry.verdict.outcome}` : base;
}

/** The outcome that counts (a greylist retry's, when there was one): the summary counts the same. */
function effectiveOutcome(p: ProbeResult): Outcome {
  return p.greylistRetry?.verdict.outcome ?? p.verdict.outcome;
}

const OUTCOME_RANK: Partial<Record<Outcome, number>> = { accepted: 0, deferred: 1, rejected: 2 };

function judged(p: ProbeResult): boolean {
  return p.status === 'success';
}

function failed(p: ProbeResult): boolean {
  return p.status !== 'success' && p.status !== 'not-tried';
}

function checks(list: AlignmentCheck[] | undefined): Map<string, string> {
  return new Map((list ?? []).map((c) => [c.id, c.status]));
}

/**
 * A host by the vantage (relay) that observed it, '' when none (not a fleet run). A fleet run
 * stores a host once per vantage; a record holding several vantages' probes (an .ndjson fleet
 * file read back: report/load.ts mergeHost) is split into one host per vantage, each with its own
 * probes. diff and history compare a vantage's observation only with the same vantage's.
 */
export function splitByVantage(h: HostResult): Array<[string, HostResult]> {
  const seen = [...new Set(h.probes.map((p) => p.vantage ?? ''))];
  if (seen.length <= 1) return [[seen[0] ?? '', h]];
  return seen.map((v) => [v, { ...h, probes: h.probes.filter((p) => (p.vantage ?? '') === v) }]);
}

/** Changes between two observations of the same host (same target, exchange, IP, port). */
export function diffHost(a: HostResult | null, b: HostResult | null, opts: DiffOptions): Change[] {
  if (a === null && b === null) return [];
  if (a === null) return [{ kind: 'host-appeared' }, ...expiryAt(certBrief(tlsProbe(b!))?.notAfter ?? null, null, opts), ...failures(b!)];
  if (b === null) return [{ kind: 'host-disappeared' }];
  const out: Change[] = [];

  const ba = bannerOf(a);
  const bb = bannerOf(b);
  if (ba !== null && bb !== null && ba !== bb) out.push({ kind: 'banner-changed', before: ba, after: bb });

  const ea = ehloProbe(a)?.capabilities.plain;
  const eb = ehloProbe(b)?.capabilities.plain;
  if (ea && eb) {
    for (const [k, v] of Object.entries(eb.keywords)) {
      if (k === 'STARTTLS') continue;
      if (!(k in ea.keywords)) out.push({ kind: 'capability-added', keyword: k, value: v });
      else if (ea.keywords[k] !== v) out.push({ kind: 'capability-changed', keyword: k, before: ea.keywords[k] ?? '', after: v });
    }
    for (const [k, v] of Object.entries(ea.keywords)) if (k !== 'STARTTLS' && !(k in eb.keywords)) out.push({ kind: 'capability-removed', keyword: k, value: v });
    // RFC 3207: STARTTLS is an EHLO keyword; judged only when both runs heard EHLO.
    if (ea.starttls && !eb.starttls) out.push({ kind: 'starttls-lost' });
    if (!ea.starttls && eb.starttls) out.push({ kind: 'starttls-gained' });
  }

  // Post-STARTTLS EHLO (RFC 3207 §4.2): compared only when both runs got the second EHLO answered.
  const sa = tlsEhloProbe(a)?.capabilities.tls;
  const sb = tlsEhloProbe(b)?.capabilities.tls;
  if (sa && sb) {
    for (const [k, v] of Object.entries(sb.keywords)) {
      if (!(k in sa.keywords)) out.push({ kind: 'tls-capability-added', keyword: k, value: v });
      else if (sa.keywords[k] !== v) out.push({ kind: 'tls-capability-changed', keyword: k, before: sa.keywords[k] ?? '', after: v });
    }
    for (const [k, v] of Object.entries(sa.keywords)) if (!(k in sb.keywords)) out.push({ kind: 'tls-capability-removed', keyword: k, value: v });
  }

  const ta = tlsProbe(a);
  const tb = tlsProbe(b);
  if (ta?.tls && tb?.tls) {
    const pa = ta.tls.protocol ?? '';
    const pb = tb.tls.protocol ?? '';
    const ra = TLS_RANK[pa];
    const rb = TLS_RANK[pb];
    if (pa !== pb && ra !== undefined && rb !== undefined) out.push(rb < ra ? { kind: 'tls-downgrade', before: pa, after: pb } : { kind: 'tls-upgrade', before: pa, after: pb });
    const ca = ta.tls.cipher?.standardName ?? ta.tls.cipher?.name;
    const cb = tb.tls.cipher?.standardName ?? tb.tls.cipher?.name;
    if (ca && cb && ca !== cb) out.push({ kind: 'cipher-changed', before: ca, after: cb });
    const xa = certBrief(ta);
    const xb = certBrief(tb);
    if (xa && xb && xa.fingerprint256 !== xb.fingerprint256) out.push({ kind: 'cert-changed', before: xa, after: xb });
  }
  out.push(...expiry(a, b, opts));

  // Each identity's verdict: matched by kind, source (and name for custom identities).
  const before = new Map(a.probes.map((p) => [identityKey(p), p]));
  for (const pb of b.probes) {
    const pa = before.get(identityKey(pb));
    if (failed(pb)) {
      out.push(failure(pb));
      continue;
    }
    if (!pa || !judged(pb)) continue;
    out.push(...senderAlignment(pa, pb));
    const after = verdictText(pb.verdict, pb.greylistRetry);
    if (!judged(pa)) {
      out.push({ kind: 'verdict-changed', identity: identityLabel(pb), identityKind: pb.identity.kind, before: `${pa.status}`, after, direction: 'other', newRefusal: effectiveOutcome(pb) === 'rejected' });
      continue;
    }
    const beforeText = verdictText(pa.verdict, pa.greylistRetry);
    if (beforeText === after) continue;
    const oa = effectiveOutcome(pa);
    const ob = effectiveOutcome(pb);
    const ra = OUTCOME_RANK[oa];
    const rb = OUTCOME_RANK[ob];
    const direction = ra === undefined || rb === undefined || ra === rb ? 'other' : rb > ra ? 'worse' : 'better';
    out.push({ kind: 'verdict-changed', identity: identityLabel(pb), identityKind: pb.identity.kind, before: beforeText, after, direction, newRefusal: ob === 'rejected' && oa !== 'rejected' });
  }

  const ca = checks(a.alignment?.checks);
  for (const [id, st] of checks(b.alignment?.checks)) {
    const was = ca.get(id);
    if (was !== undefined && was !== st && st !== 'skip' && was !== 'skip') out.push({ kind: 'alignment-changed', check: id, before: was, after: st });
  }
  out.push(...diffDane(a.transport?.dane, b.transport?.dane));
  return out;
}

/** The probe whose post-STARTTLS EHLO was answered (RFC 3207 §4.2). */
function tlsEhloProbe(h: HostResult): ProbeResult | undefined {
  return h.probes.find((p) => p.capabilities.tls !== null && p.capabilities.tls !== undefined);
}

/** Sender-side checks of one identity in both runs (and of the echoed client IP, prefixed). */
function senderAlignment(pa: ProbeResult, pb: ProbeResult): Change[] {
  const flat = (p: ProbeResult): Map<string, string> => {
    const m = checks(p.alignment?.checks);
    for (const c of p.alignment?.observedIp?.checks ?? []) m.set(`observed-ip ${c.id}`, c.status);
    return m;
  };
  const ca = flat(pa);
  const out: Change[] = [];
  for (const [id, st] of flat(pb)) {
    const was = ca.get(id);
    if (was !== undefined && was !== st && st !== 'skip' && was !== 'skip') out.push({ kind: 'sender-alignment-changed', identity: identityLabel(pb), check: id, before: was, after: st });
  }
  return out;
}

/**
 * DANE for SMTP (RFC 7672): valid < no DANE at all (no-tlsa, insecure, tlsa-unusable: a DANE
 * sender falls back to opportunistic TLS) < fails closed (dane-mismatch, bogus: a DANE sender
 * defers the mail, §2.2). `indeterminate` is no verdict; `not-checked` (--no-dane) neither.
 */
const DANE_RANK: Record<string, number> = { 'dane-valid': 0, 'no-tlsa': 1, insecure: 1, 'tlsa-unusable': 1, 'dane-mismatch': 2, bogus: 2 };

type DaneFacts = { status: string; dnssec: string; detail?: string } | undefined;

export function diffDane(a: DaneFacts, b: DaneFacts): Change[] {
  if (!b || b.status === 'not-checked') return [];
  if (b.status === 'indeterminate') {
    // The newer lookup failed: say so when there was a verdict to compare with.
    return a && a.status !== 'not-checked' ? [{ kind: 'transport-inconclusive', what: 'DANE', before: a.status, detail: b.detail ?? `DNSSEC ${b.dnssec}` }] : [];
  }
  if (!a || a.status === 'not-checked' || (a.status === b.status && a.dnssec === b.dnssec)) return [];
  const ra = DANE_RANK[a.status];
  const rb = DANE_RANK[b.status];
  const direction = ra === undefined || rb === undefined || ra === rb ? 'other' : rb > ra ? 'worse' : 'better';
  return [{ kind: 'dane-changed', before: a.status, after: b.status, dnssecBefore: a.dnssec, dnssecAfter: b.dnssec, direction }];
}

/**
 * MTA-STS (RFC 8461): a valid enforced policy < testing (reports only, §5) < none published <
 * a policy that makes an enforcing sender refuse or that cannot be used.
 */
const MTA_STS_RANK: Record<string, number> = { 'mta-sts-valid': 0, testing: 1, 'no-mta-sts': 2, 'mta-sts-mx-mismatch': 3, 'mta-sts-tls-fail': 3, 'mta-sts-fetch-fail': 3, 'mta-sts-invalid': 3 };

function policyText(m: NonNullable<NonNullable<TargetResult['transport']>['mtaSts']>): string {
  return `id ${m.id ?? '-'}, mode ${m.mode ?? '-'}, mx ${m.mx.join(' ') || '-'}, max_age ${m.maxAge ?? '-'}`;
}

function diffTransport(a: TargetResult['transport'], b: TargetResult['transport']): Change[] {
  const out: Change[] = [];
  const ma = a?.mtaSts;
  const mb = b?.mtaSts;
  if (mb && mb.status === 'indeterminate') {
    if (ma) out.push({ kind: 'transport-inconclusive', what: 'MTA-STS', before: ma.status, detail: mb.error ?? 'the _mta-sts TXT lookup failed' });
  } else if (ma && mb) {
    if (ma.status !== mb.status) {
      const ra = MTA_STS_RANK[ma.status];
      const rb = MTA_STS_RANK[mb.status];
      const direction = ra === undefined || rb === undefined || ra === rb ? 'other' : rb > ra ? 'worse' : 'better';
      out.push({ kind: 'mta-sts-changed', before: ma.status, after: mb.status, direction });
    }
    // The policy text is compared only when both runs fetched one (mode is null otherwise).
    if (ma.mode !== null && mb.mode !== null && policyText(ma) !== policyText(mb)) out.push({ kind: 'mta-sts-policy-changed', before: policyText(ma), after: policyText(mb) });
    const hostsA = new Map((ma.hosts ?? []).map((h) => [`${h.exchange.toLowerCase()} ${h.ip}`, h.status]));
    for (const h of mb.hosts ?? []) {
      const key = `${h.exchange.toLowerCase()} ${h.ip}`;
      const was = hostsA.get(key);
      if (was !== undefined && was !== h.status && was !== 'not-judged' && h.status !== 'not-judged') out.push({ kind: 'mta-sts-host-changed', host: key, before: was, after: h.status });
    }
  }
  const ra = a?.tlsRpt;
  const rb = b?.tlsRpt;
  if (rb && rb.status === 'indeterminate') {
    if (ra) out.push({ kind: 'transport-inconclusive', what: 'TLS-RPT', before: ra.status, detail: rb.error ?? 'the _smtp._tls TXT lookup failed' });
  } else if (ra && rb && (ra.status !== rb.status || ra.rua.join(',') !== rb.rua.join(','))) {
    out.push({ kind: 'tls-rpt-changed', before: `${ra.status}${ra.rua.length ? ` ${ra.rua.join(',')}` : ''}`, after: `${rb.status}${rb.rua.length ? ` ${rb.rua.join(',')}` : ''}` });
  }
  return out;
}

function failure(p: ProbeResult): Change {
  return { kind: 'probe-failed', identity: identityLabel(p), status: p.status, message: p.error?.message ?? p.status };
}

function failures(h: HostResult): Change[] {
  return h.probes.filter(failed).map(failure);
}

/** B's certificate in the expiry window: a change, or a reminder when A had the same one inside it. */
function expiry(a: HostResult, b: HostResult, opts: DiffOptions): Change[] {
  const xb = certBrief(tlsProbe(b));
  if (!xb) return [];
  const xa = certBrief(tlsProbe(a));
  // The same certificate (fingerprint) in A: its notAfter is the one to judge A by. A replaced
  // certificate, or none seen in A (no TLS session then), cannot have been "already expiring".
  return expiryAt(xb.notAfter, xa !== null && xa.fingerprint256 === xb.fingerprint256 ? xa.notAfter : null, opts);
}

const DAY_MS = 86_400_000;

/**
 * `notAfter` (B's certificate) against the window at `opts.now`; `sameBefore`, the notAfter of the
 * same certificate seen in A, against the window at `opts.before`: inside it already, the line is
 * a reminder, not a change (qa11: two identical runs of a host with an expiring certificate said
 * "1 change(s)" in every diff, and history repeated the line at every run).
 */
function expiryAt(notAfter: string | null, sameBefore: string | null, opts: DiffOptions): Change[] {
  if (notAfter === null) return [];
  const t = Date.parse(notAfter);
  if (Number.isNaN(t)) return [];
  const days = Math.floor((t - opts.now.getTime()) / DAY_MS);
  if (!(days <= opts.expiryDays)) return [];
  const iso = new Date(t).toISOString();
  if (sameBefore !== null) {
    const ta = Date.parse(sameBefore);
    const daysA = Math.floor((ta - (opts.before ?? opts.now).getTime()) / DAY_MS);
    if (!Number.isNaN(ta) && daysA <= opts.expiryDays) return [{ kind: 'cert-expiry-reminder', notAfter: iso, days }];
  }
  return [{ kind: 'cert-expiring', notAfter: iso, days }];
}

/**
 * What a diff of a host with an identical copy of itself can still say, precomputed when the brief
 * is written: the certificate's notAfter (for cert-expiring, which depends on "now") and whether
 * anything else is reported about the newer side alone (a failed probe, a failed DANE lookup).
 * When two briefs are byte-equal their parsed facts are equal, so diffHost(a, b) = diffHost(b, b);
 * with `solo` false that is just the expiry line, and neither brief needs parsing. Stored briefs
 * keep the header they were written with: when diffHost learns something new to say about one
 * side alone, or compares a fact the brief lacks, add a migration that drops briefs (as 3 does).
 */
export interface BriefHeader {
  notAfter: string | null;
  solo: boolean;
}

export function briefHeader(h: HostResult): BriefHeader {
  return { notAfter: certBrief(tlsProbe(h))?.notAfter ?? null, solo: selfDiffSays(h) };
}

/**
 * Whether diffHost(h, h) reports anything but an expiry line, without running it (it is written
 * once per stored host, on the prober's thread). A copy of a host differs from itself only where
 * diffHost looks at one side alone, or pairs two different probes:
 *  - every fact compared between the sides (banner, EHLO keywords, STARTTLS, TLS, certificate,
 *    host alignment checks) is read by the same function from the same host: equal, no change;
 *  - each probe is paired with the LAST probe of its identity key: when keys are unique that is
 *    itself (equal verdicts, equal sender checks: no change), and what remains is `failed(pb)`,
 *    which reports on the newer side alone (probe-failed);
 *  - diffDane(d, d) reports only an `indeterminate` DANE lookup (transport-inconclusive).
 * Two probes sharing an identity key (never in a normal run) take the full diffHost.
 * test/store/brief.test.ts checks this against diffHost(h, h) on every change kind.
 */
export function selfDiffSays(h: HostResult): boolean {
  const n = h.probes.length;
  if (n > 1) {
    const keys = new Set<string>();
    for (const p of h.probes) keys.add(identityKey(p));
    // expiryDays -Infinity: no expiry line, so this is about everything else diffHost(h, h) says.
    if (keys.size !== n) return diffHost(h, h, { now: new Date(0), expiryDays: -Infinity }).length > 0;
  }
  for (const p of h.probes) if (failed(p)) return true;
  return h.transport?.dane?.status === 'indeterminate';
}

/**
 * diffHost(a, b) for two byte-equal briefs whose header says `solo: false`: the same certificate
 * on both sides, so only whether it entered the window between A and B is left to say.
 */
export function diffUnchanged(h: BriefHeader, opts: DiffOptions): Change[] {
  return expiryAt(h.notAfter, h.notAfter, opts);
}

function mxList(mx: MxEntry[]): string[] {
  return mx.map((m) => `${m.priority} ${m.exchange.toLowerCase()}`).sort();
}

/** Target-level changes: the MX set (RFC 5321 §5.1) and the DNS outcome. */
export function diffTarget(a: Omit<TargetResult, 'hosts'> | null, b: Omit<TargetResult, 'hosts'> | null): Change[] {
  if (a === null && b === null) return [];
  if (a === null) return [{ kind: 'target-added' }];
  if (b === null) return [{ kind: 'target-removed' }];
  // A target a run never started (dns `not-tried`: the run was interrupted before it) has no
  // lookup, MX set or transport facts in that run: nothing to compare, never "not-tried → ok".
  // Its hosts, absent from that run, still show as appeared or disappeared, and the run's own
  // warning says its results are partial.
  if (a.dns.status === 'not-tried' || b.dns.status === 'not-tried') return [];
  const out: Change[] = [];
  if (a.dns.status !== b.dns.status) out.push({ kind: 'dns-changed', before: a.dns.status, after: b.dns.status });
  // Compare MX sets only when both lookups answered: a timeout is not "the MX set became empty".
  if (a.dns.status === 'ok' && b.dns.status === 'ok' && a.kind === 'domain') {
    const ma = mxList(a.mx);
    const mb = mxList(b.mx);
    if (ma.join(',') !== mb.join(',')) out.push({ kind: 'mx-changed', before: ma, after: mb });
  }
  out.push(...diffTransport(a.transport, b.transport));
  return out;
}

/** One line of text for a change (server text not yet sanitised: renderers do that). */
export function describeChange(c: Change): string {
  switch (c.kind) {
    case 'target-added':
      return 'target added';
    case 'target-removed':
      return 'target removed';
    case 'host-appeared':
      return 'host appeared';
    case 'host-disappeared':
      return 'host disappeared';
    case 'mx-changed':
      return `MX set changed: ${c.before.join(', ') || '(none)'} → ${c.after.join(', ') || '(none)'}`;
    case 'dns-changed':
      return `DNS: ${c.before} → ${c.after}`;
    case 'banner-changed':
      return `banner changed: ${c.before} → ${c.after}`;
    case 'capability-added':
      return `capability added: ${c.keyword}${c.value ? ` ${c.value}` : ''}`;
    case 'capability-removed':
      return `capability removed: ${c.keyword}${c.value ? ` ${c.value}` : ''}`;
    case 'capability-changed':
      return `capability ${c.keyword}: ${c.before || '(no value)'} → ${c.after || '(no value)'}`;
    case 'starttls-lost':
      return 'STARTTLS lost';
    case 'starttls-gained':
      return 'STARTTLS gained';
    case 'tls-downgrade':
      return `TLS downgraded: ${c.before} → ${c.after}`;
    case 'tls-upgrade':
      return `TLS upgraded: ${c.before} → ${c.after}`;
    case 'cipher-changed':
      return `cipher: ${c.before} → ${c.after}`;
    case 'cert-changed':
      return `certificate replaced: ${c.before.fingerprint256.slice(0, 23)}… (${c.before.issuer}, until ${c.before.notAfter}) → ${c.after.fingerprint256.slice(0, 23)}… (${c.after.issuer}, until ${c.after.notAfter})`;
    case 'cert-expiring':
      return c.days < 0 ? `certificate expired ${-c.days} day(s) ago (${c.notAfter.slice(0, 10)})` : `certificate expires within ${c.days + 1} day(s) (${c.notAfter.slice(0, 10)})`;
    case 'cert-expiry-reminder':
      return `reminder, not a change: ${c.days < 0 ? `certificate expired ${-c.days} day(s) ago` : `certificate expires within ${c.days + 1} day(s)`} (${c.notAfter.slice(0, 10)}), already inside the window in the earlier run`;
    case 'verdict-changed':
      return `${c.identity}: ${c.before} → ${c.after}`;
    case 'alignment-changed':
      return `alignment ${c.check}: ${c.before} → ${c.after}`;
    case 'probe-failed':
      return `${c.identity}: probe failed (${c.status}): inconclusive`;
    case 'tls-capability-added':
      return `capability added after STARTTLS: ${c.keyword}${c.value ? ` ${c.value}` : ''}`;
    case 'tls-capability-removed':
      return `capability removed after STARTTLS: ${c.keyword}${c.value ? ` ${c.value}` : ''}`;
    case 'tls-capability-changed':
      return `capability ${c.keyword} after STARTTLS: ${c.before || '(no value)'} → ${c.after || '(no value)'}`;
    case 'sender-alignment-changed':
      return `${c.identity}: alignment ${c.check}: ${c.before} → ${c.after}`;
    case 'dane-changed':
      return `DANE: ${c.before}${c.dnssecBefore !== c.dnssecAfter ? ` (DNSSEC ${c.dnssecBefore})` : ''} → ${c.after}${c.dnssecBefore !== c.dnssecAfter ? ` (DNSSEC ${c.dnssecAfter})` : ''}`;
    case 'mta-sts-changed':
      return `MTA-STS: ${c.before} → ${c.after}`;
    case 'mta-sts-policy-changed':
      return `MTA-STS policy changed: ${c.before} → ${c.after}`;
    case 'mta-sts-host-changed':
      return `MTA-STS for ${c.host}: ${c.before} → ${c.after}`;
    case 'tls-rpt-changed':
      return `TLS-RPT: ${c.before} → ${c.after}`;
    case 'transport-inconclusive':
      return `${c.what}: lookup failed (${c.detail}): inconclusive (was ${c.before})`;
  }
}

// ---- --fail-on-change rules ----

export type ChangeRule =
  | { rule: 'starttls-lost' }
  | { rule: 'tls-downgrade' }
  | { rule: 'cert-changed' }
  | { rule: 'verdict-worse'; kind: string | null }
  | { rule: 'mx-changed' }
  | { rule: 'new-refusal' }
  | { rule: 'dane-broken' }
  | { rule: 'mta-sts-worse' };

const IDENTITY_KINDS = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic', 'custom'];

export function parseChangeRules(spec: string): ChangeRule[] {
  const out: ChangeRule[] = [];
  for (const raw of spec.split(',')) {
    const r = raw.trim();
    if (r === '') continue;
    if (r === 'starttls-lost' || r === 'tls-downgrade' || r === 'cert-changed' || r === 'mx-changed' || r === 'new-refusal' || r === 'dane-broken' || r === 'mta-sts-worse') out.push({ rule: r });
    else if (r === 'verdict-worse') out.push({ rule: 'verdict-worse', kind: null });
    else if (r.startsWith('verdict-worse:')) {
      const kind = r.slice('verdict-worse:'.length);
      if (!IDENTITY_KINDS.includes(kind)) throw new UsageError(`--fail-on-change: unknown identity kind "${kind}" in "${r}" (one of ${IDENTITY_KINDS.join(', ')})`);
      out.push({ rule: 'verdict-worse', kind });
    } else throw new UsageError(`--fail-on-change: unknown rule "${r}" (starttls-lost, tls-downgrade, cert-changed, verdict-worse[:kind], mx-changed, new-refusal, dane-broken, mta-sts-worse)`);
  }
  if (out.length === 0) throw new UsageError('--fail-on-change: no rule given');
  return out;
}

/** The rules a change violates. */
export function matchRules(c: Change, rules: readonly ChangeRule[]): ChangeRule[] {
  return rules.filter((r) => {
    switch (r.rule) {
      case 'starttls-lost':
        return c.kind === 'starttls-lost';
      case 'tls-downgrade':
        return c.kind === 'tls-downgrade';
      case 'cert-changed':
        return c.kind === 'cert-changed';
      case 'mx-changed':
        return c.kind === 'mx-changed';
      case 'verdict-worse':
        return c.kind === 'verdict-changed' && c.direction === 'worse' && (r.kind === null || c.identityKind === r.kind);
      case 'new-refusal':
        return (c.kind === 'verdict-changed' && c.newRefusal) || (c.kind === 'probe-failed' && c.status === 'connection-refused');
      case 'dane-broken':
        // A DANE sender that delivered (or fell back) would now defer the mail: RFC 7672 §2.2.
        return c.kind === 'dane-changed' && (c.after === 'dane-mismatch' || c.after === 'bogus') && c.before !== 'dane-mismatch' && c.before !== 'bogus';
      case 'mta-sts-worse':
        return (c.kind === 'mta-sts-changed' && c.direction === 'worse') || (c.kind === 'mta-sts-host-changed' && c.before === 'mta-sts-valid');
    }
  });
}

export function ruleName(r: ChangeRule): string {
  return r.rule === 'verdict-worse' && r.kind !== null ? `verdict-worse:${r.kind}` : r.rule;
}
