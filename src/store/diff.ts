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
  | { kind: 'cert-expiring'; notAfter: string; days: number }
  | { kind: 'verdict-changed'; identity: string; identityKind: string; before: string; after: string; direction: 'worse' | 'better' | 'other'; newRefusal: boolean }
  | { kind: 'alignment-changed'; check: string; before: string; after: string }
  | { kind: 'probe-failed'; identity: string; status: string; message: string };

export type ChangeKind = Change['kind'];

export interface DiffOptions {
  /** "Now", for certificate expiry. */
  now: Date;
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

/** Changes between two observations of the same host (same target, exchange, IP, port). */
export function diffHost(a: HostResult | null, b: HostResult | null, opts: DiffOptions): Change[] {
  if (a === null && b === null) return [];
  if (a === null) return [{ kind: 'host-appeared' }, ...expiry(b!, opts), ...failures(b!)];
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
  out.push(...expiry(b, opts));

  // Each identity's verdict: matched by kind, source (and name for custom identities).
  const before = new Map(a.probes.map((p) => [identityKey(p), p]));
  for (const pb of b.probes) {
    const pa = before.get(identityKey(pb));
    if (failed(pb)) {
      out.push(failure(pb));
      continue;
    }
    if (!pa || !judged(pb)) continue;
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
  return out;
}

function failure(p: ProbeResult): Change {
  return { kind: 'probe-failed', identity: identityLabel(p), status: p.status, message: p.error?.message ?? p.status };
}

function failures(h: HostResult): Change[] {
  return h.probes.filter(failed).map(failure);
}

function expiry(h: HostResult, opts: DiffOptions): Change[] {
  const c = certBrief(tlsProbe(h));
  if (!c) return [];
  const t = Date.parse(c.notAfter);
  if (Number.isNaN(t)) return [];
  const days = Math.floor((t - opts.now.getTime()) / 86_400_000);
  return days <= opts.expiryDays ? [{ kind: 'cert-expiring', notAfter: new Date(t).toISOString(), days }] : [];
}

function mxList(mx: MxEntry[]): string[] {
  return mx.map((m) => `${m.priority} ${m.exchange.toLowerCase()}`).sort();
}

/** Target-level changes: the MX set (RFC 5321 §5.1) and the DNS outcome. */
export function diffTarget(a: Omit<TargetResult, 'hosts'> | null, b: Omit<TargetResult, 'hosts'> | null): Change[] {
  if (a === null && b === null) return [];
  if (a === null) return [{ kind: 'target-added' }];
  if (b === null) return [{ kind: 'target-removed' }];
  const out: Change[] = [];
  if (a.dns.status !== b.dns.status) out.push({ kind: 'dns-changed', before: a.dns.status, after: b.dns.status });
  // Compare MX sets only when both lookups answered: a timeout is not "the MX set became empty".
  if (a.dns.status === 'ok' && b.dns.status === 'ok' && a.kind === 'domain') {
    const ma = mxList(a.mx);
    const mb = mxList(b.mx);
    if (ma.join(',') !== mb.join(',')) out.push({ kind: 'mx-changed', before: ma, after: mb });
  }
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
    case 'verdict-changed':
      return `${c.identity}: ${c.before} → ${c.after}`;
    case 'alignment-changed':
      return `alignment ${c.check}: ${c.before} → ${c.after}`;
    case 'probe-failed':
      return `${c.identity}: probe failed (${c.status}): inconclusive`;
  }
}

// ---- --fail-on-change rules ----

export type ChangeRule =
  | { rule: 'starttls-lost' }
  | { rule: 'tls-downgrade' }
  | { rule: 'cert-changed' }
  | { rule: 'verdict-worse'; kind: string | null }
  | { rule: 'mx-changed' }
  | { rule: 'new-refusal' };

const IDENTITY_KINDS = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic', 'custom'];

export function parseChangeRules(spec: string): ChangeRule[] {
  const out: ChangeRule[] = [];
  for (const raw of spec.split(',')) {
    const r = raw.trim();
    if (r === '') continue;
    if (r === 'starttls-lost' || r === 'tls-downgrade' || r === 'cert-changed' || r === 'mx-changed' || r === 'new-refusal') out.push({ rule: r });
    else if (r === 'verdict-worse') out.push({ rule: 'verdict-worse', kind: null });
    else if (r.startsWith('verdict-worse:')) {
      const kind = r.slice('verdict-worse:'.length);
      if (!IDENTITY_KINDS.includes(kind)) throw new UsageError(`--fail-on-change: unknown identity kind "${kind}" in "${r}" (one of ${IDENTITY_KINDS.join(', ')})`);
      out.push({ rule: 'verdict-worse', kind });
    } else throw new UsageError(`--fail-on-change: unknown rule "${r}" (starttls-lost, tls-downgrade, cert-changed, verdict-worse[:kind], mx-changed, new-refusal)`);
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
    }
  });
}

export function ruleName(r: ChangeRule): string {
  return r.rule === 'verdict-worse' && r.kind !== null ? `verdict-worse:${r.kind}` : r.rule;
}
