/**
 * Audit policy (`--fail-on`, `--policy file`): rules a CI job can enforce over saved results.
 *
 * Rules read only what the probe recorded (results contract); they never probe again. Host-level
 * rules fold over a host's probes with the same `hostFacts` the reports use, so a report and a
 * policy verdict cannot disagree about what a host offered.
 */
import { UsageError } from '../errors.js';
import type { AlignmentCheck, HostResult, IdentityKind, RunResult, TargetResult } from '../results.js';
import { hostFacts } from '../report/summary.js';
import { stripControl } from '../report/sanitize.js';
import { evaluateTransportRule, isTransportRule, TRANSPORT_RULES_HELP, type TransportRule } from '../transport/policy-rules.js';

export type TlsVersion = '1.0' | '1.1' | '1.2' | '1.3';

export type PolicyRule =
  | { rule: 'no-starttls' }
  | { rule: 'starttls-broken' }
  | { rule: 'tls-below'; version: TlsVersion }
  | { rule: 'cert-invalid' }
  | { rule: 'cert-name-mismatch' }
  | { rule: 'cert-expires-within'; days: number }
  | { rule: 'auth-before-tls' }
  | { rule: 'no-ptr' }
  | { rule: 'fcrdns-fail' }
  | { rule: 'banner-mismatch' }
  | { rule: 'identity-rejected'; kind: string }
  | { rule: 'acceptance-below'; kind: string; percent: number }
  | { rule: TransportRule };

export interface Violation {
  rule: string;
  target: string;
  exchange: string | null;
  ip: string | null;
  /**
   * The local source address the violating probe(s) came from, when the run bound one (--source):
   * with several sources, a sender-side or per-identity verdict can differ by source. Host-level
   * facts folded over probes from several sources list them all ("a, b").
   */
  source?: string;
  detail: string;
}

const IDENTITY_KINDS: readonly IdentityKind[] = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic', 'custom'];
const TLS_VERSIONS: readonly TlsVersion[] = ['1.0', '1.1', '1.2', '1.3'];

/** One line per rule, for `--help` and error messages. */
export const POLICY_RULES_HELP: readonly string[] = [
  'no-starttls                  host answered EHLO without offering working STARTTLS (RFC 3207; broken counts)',
  'starttls-broken              STARTTLS offered, but refused (e.g. 454) or the handshake failed',
  'tls-below:<1.0|1.1|1.2|1.3>  negotiated TLS version lower than given',
  'cert-invalid                 certificate chain did not verify',
  'cert-name-mismatch           certificate does not cover the MX name',
  'cert-expires-within:<N>d     certificate expires within N days (or already expired)',
  'auth-before-tls              AUTH offered on the plaintext session (RFC 4954 §4)',
  'no-ptr                       receiver or sender IP has no PTR (ptr-exists check failed)',
  'fcrdns-fail                  forward-confirmed reverse DNS failed (fcrdns check)',
  'banner-mismatch              banner name is not the IP\'s PTR name (banner-name check warns or fails)',
  'identity-rejected:<kind>     a probe with this identity kind was rejected',
  'acceptance-below:<kind>:<P>  a target accepted fewer than P% of decided probes of this kind',
  ...TRANSPORT_RULES_HELP,
];

function usage(message: string): UsageError {
  return new UsageError(`${message}\nknown rules:\n  ${POLICY_RULES_HELP.join('\n  ')}`);
}

function parseKind(raw: string | undefined, rule: string): string {
  if (raw === undefined || raw === '') throw usage(`${rule} needs an identity kind (${rule}:<kind>)`);
  if (!(IDENTITY_KINDS as readonly string[]).includes(raw)) {
    throw usage(`${rule}: unknown identity kind ${JSON.stringify(raw)} (one of ${IDENTITY_KINDS.join(', ')})`);
  }
  return raw;
}

function noArgs(name: string, args: string[]): void {
  if (args.length > 0) throw usage(`${name} takes no argument (got ${JSON.stringify(args.join(':'))})`);
}

/** Parse one rule token such as "tls-below:1.2". */
export function parseRule(token: string): PolicyRule {
  const [name = '', ...args] = token.trim().split(':').map((s) => s.trim());
  switch (name) {
    case 'no-starttls':
    case 'starttls-broken':
    case 'cert-invalid':
    case 'cert-name-mismatch':
    case 'auth-before-tls':
    case 'no-ptr':
    case 'fcrdns-fail':
    case 'banner-mismatch':
      noArgs(name, args);
      return { rule: name };
    case 'tls-below': {
      const v = args[0]?.replace(/^tlsv?/i, '');
      if (args.length !== 1 || v === undefined || !(TLS_VERSIONS as readonly string[]).includes(v)) {
        throw usage(`tls-below needs a version 1.0, 1.1, 1.2 or 1.3 (got ${JSON.stringify(args.join(':'))})`);
      }
      return { rule: 'tls-below', version: v as TlsVersion };
    }
    case 'cert-expires-within': {
      const m = args.length === 1 ? /^(\d{1,5})d?$/.exec(args[0] ?? '') : null;
      if (m === null) throw usage(`cert-expires-within needs a number of days like 14d (got ${JSON.stringify(args.join(':'))})`);
      return { rule: 'cert-expires-within', days: Number(m[1]) };
    }
    case 'identity-rejected': {
      if (args.length !== 1) throw usage('identity-rejected takes exactly one identity kind (identity-rejected:<kind>)');
      return { rule: 'identity-rejected', kind: parseKind(args[0], name) };
    }
    case 'acceptance-below': {
      if (args.length !== 2) throw usage('acceptance-below needs a kind and a percentage (acceptance-below:<kind>:<percent>)');
      const kind = parseKind(args[0], name);
      const m = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(args[1] ?? '');
      const percent = m === null ? NaN : Number(m[1]);
      if (!(percent >= 0 && percent <= 100)) throw usage(`acceptance-below: percentage must be 0-100 (got ${JSON.stringify(args[1])})`);
      return { rule: 'acceptance-below', kind, percent };
    }
    case '':
      throw usage('empty rule');
    default:
      if (isTransportRule(name)) {
        noArgs(name, args);
        return { rule: name };
      }
      throw usage(`unknown rule ${JSON.stringify(name)}`);
  }
}

/** "no-starttls,tls-below:1.2,cert-expires-within:14d" (commas or whitespace separate rules). */
export function parsePolicy(spec: string): PolicyRule[] {
  const tokens = spec.split(/[,\s]+/).filter((t) => t !== '');
  if (tokens.length === 0) throw usage('empty policy');
  return tokens.map(parseRule);
}

/**
 * One rule per line (several per line, comma-separated, also accepted); `#` starts a comment.
 * Every bad line is reported, each as `source:line: reason`, in one UsageError.
 */
export function parsePolicyFile(text: string, source: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    for (const token of line.split(/[,\s]+/).filter((t) => t !== '')) {
      try {
        rules.push(parseRule(token));
      } catch (e) {
        const first = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
        problems.push(`${source}:${i + 1}: ${first}`);
      }
    }
  });
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return rules;
}

/** "TLSv1.2" → 1.2; null when unrecognised (e.g. "unknown"). */
function tlsNumber(protocol: string | null): number | null {
  if (protocol === null) return null;
  const m = /^TLSv(1(?:\.[0-3])?)$/.exec(protocol);
  if (m === null) return /^SSLv/.test(protocol) ? 0 : null;
  return m[1] === '1' ? 1.0 : Number(m[1]);
}

const DAY_MS = 86_400_000;

function targetName(t: TargetResult): string {
  return t.input;
}

/** `{ source }` for a probe that had one, else nothing (exactOptionalPropertyTypes). */
function sourceOf(src: string | null | undefined): { source?: string } {
  return src !== null && src !== undefined && src !== '' ? { source: src } : {};
}

/** The distinct sources of a host's probes, for a host-level fact folded over all of them. */
function hostSources(h: HostResult): { source?: string } {
  const seen = new Set<string>();
  for (const p of h.probes) if (p.identity.source !== null) seen.add(p.identity.source);
  return seen.size > 0 ? { source: [...seen].join(', ') } : {};
}

function failed(checks: readonly AlignmentCheck[] | undefined, id: string, orWarn = false): AlignmentCheck[] {
  return (checks ?? []).filter((c) => c.id === id && (c.status === 'fail' || (orWarn && c.status === 'warn')));
}

/** Receiver-side check on the host, and the same check on each distinct sender source (deduplicated by detail). */
function alignmentViolations(rule: string, id: string, t: TargetResult, h: HostResult, out: Violation[], receiverOnly = false, orWarn = false): void {
  const base = { rule, target: targetName(t), exchange: h.exchange, ip: h.ip };
  for (const c of failed(h.alignment?.checks, id, orWarn)) out.push({ ...base, detail: `receiver ${id}: ${stripControl(c.detail)}` });
  if (receiverOnly) return;
  const seen = new Set<string>();
  for (const p of h.probes) {
    for (const c of failed(p.alignment?.checks, id)) {
      const key = `${p.identity.source ?? ''}\u0000${c.detail}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...base, ...sourceOf(p.identity.source), detail: `sender ${id} (HELO ${stripControl(p.identity.name)}): ${stripControl(c.detail)}` });
    }
  }
}

function evaluateHost(rule: PolicyRule, t: TargetResult, h: HostResult, now: Date, out: Violation[]): void {
  const f = hostFacts(h);
  const base = { rule: rule.rule, target: targetName(t), exchange: h.exchange, ip: h.ip, ...hostSources(h) };
  const probeBase = { rule: rule.rule, target: targetName(t), exchange: h.exchange, ip: h.ip };
  const implicit = f.tls?.mode === 'implicit';
  switch (rule.rule) {
    case 'no-starttls':
      // Only a host that answered EHLO can be said to lack STARTTLS; implicit TLS (RFC 8314) needs none.
      if (!implicit && f.starttls === false) out.push({ ...base, detail: 'EHLO reply did not offer STARTTLS' });
      else if (!implicit && f.starttls === null && f.helo) out.push({ ...base, detail: 'host only speaks HELO, so STARTTLS cannot be offered' });
      // Offered but refused or failed: every opportunistic sender delivers in plaintext, exactly
      // as if it were not offered, so a CI policy written as no-starttls must not pass it.
      else if (!implicit && f.tls === null && f.starttlsFailure !== null) out.push({ ...base, detail: `STARTTLS offered but it does not work (${f.starttlsFailure.kind === 'refused' ? `refused ${f.starttlsFailure.reply.code}` : 'handshake failed'}); see starttls-broken` });
      return;
    case 'starttls-broken': {
      // RFC 3207 §4: a server that advertises STARTTLS and then cannot do it leaves every
      // opportunistic sender in plaintext. One line per distinct failure, not per identity.
      const seen = new Set<string>();
      for (const p of h.probes) {
        const fail = p.starttlsFailure;
        if (fail === undefined) continue;
        const detail =
          fail.kind === 'refused'
            ? `STARTTLS offered but refused: ${fail.reply.code} ${stripControl(fail.reply.text)}`
            : `STARTTLS offered but the TLS handshake failed: ${stripControl(fail.error.message)}`;
        const key = `${p.identity.source ?? ''}\u0000${detail}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ...probeBase, ...sourceOf(p.identity.source), detail });
      }
      return;
    }
    case 'tls-below': {
      const got = tlsNumber(f.tls?.protocol ?? null);
      if (got !== null && got < Number(rule.version)) {
        out.push({ ...base, detail: `negotiated ${stripControl(f.tls?.protocol ?? '')}, below TLS ${rule.version}` });
      }
      return;
    }
    case 'cert-invalid':
      if (f.tls !== null && f.tls.certificate !== null && !f.tls.authorized) {
        out.push({ ...base, detail: `certificate did not verify: ${stripControl(f.tls.authorizationError ?? 'unknown error')}` });
      }
      return;
    case 'cert-name-mismatch':
      if (f.tls !== null && f.tls.nameMatches === false) {
        out.push({ ...base, detail: `certificate does not cover ${stripControl(f.tls.servername ?? h.exchange)}${f.tls.nameError !== null ? `: ${stripControl(f.tls.nameError)}` : ''}` });
      }
      return;
    case 'cert-expires-within': {
      const validTo = f.tls?.certificate?.validTo;
      if (validTo === undefined) return;
      // The chain check's own verdict is authoritative when it says expired.
      if (f.tls?.authorizationError === 'CERT_HAS_EXPIRED') {
        out.push({ ...base, detail: `certificate expired (CERT_HAS_EXPIRED; notAfter ${stripControl(validTo)})` });
        return;
      }
      const at = Date.parse(validTo);
      if (Number.isNaN(at)) {
        out.push({ ...base, detail: `certificate expiry unreadable: ${stripControl(validTo)}` });
        return;
      }
      const days = (at - now.getTime()) / DAY_MS;
      if (days < 0) out.push({ ...base, detail: `certificate expired ${validTo} (${Math.ceil(-days)} days ago)` });
      else if (days <= rule.days) out.push({ ...base, detail: `certificate expires ${validTo} (in ${Math.floor(days)} days, limit ${rule.days})` });
      return;
    }
    case 'auth-before-tls': {
      // RFC 4954 §4 / RFC 3207 §4: credentials must not cross the wire in clear; offering AUTH
      // before STARTTLS invites clients to do exactly that.
      if (implicit) return;
      const seen = new Set<string>();
      for (const p of h.probes) for (const m of p.capabilities.plain?.auth ?? []) seen.add(m.toUpperCase());
      if (seen.size > 0) out.push({ ...base, detail: `AUTH ${stripControl([...seen].join(' '))} offered before TLS` });
      return;
    }
    case 'no-ptr':
      alignmentViolations(rule.rule, 'ptr-exists', t, h, out);
      return;
    case 'fcrdns-fail':
      alignmentViolations(rule.rule, 'fcrdns', t, h, out);
      return;
    case 'banner-mismatch':
      // receiver-alignment.ts never fails banner-name: nothing refuses mail over it, so a mismatch
      // is a warning there. The rule exists to make that warning a CI failure, so it takes both
      // (it never fired on a real run before: only a hand-made 'fail' fixture triggered it).
      alignmentViolations(rule.rule, 'banner-name', t, h, out, true, true);
      return;
    case 'identity-rejected':
      for (const p of h.probes) {
        if (p.identity.kind !== rule.kind || p.verdict.outcome !== 'rejected') continue;
        const v = p.verdict;
        const reply = [v.code, v.text !== null ? stripControl(v.text) : null].filter((x) => x !== null).join(' ');
        out.push({ ...probeBase, ...sourceOf(p.identity.source), detail: `HELO ${stripControl(p.identity.name)} rejected at ${v.stage ?? '?'} (${v.cause})${reply !== '' ? `: ${reply}` : ''}` });
      }
      return;
    case 'acceptance-below':
      return; // target-level, see evaluateTarget
    default:
      return; // transport rules are target-level, see evaluateTarget
  }
}

function evaluateTarget(rule: PolicyRule, t: TargetResult, out: Violation[]): void {
  if (isTransportRule(rule.rule)) return evaluateTransportRule(rule.rule, t, out);
  if (rule.rule !== 'acceptance-below') return;
  let accepted = 0;
  let decided = 0;
  for (const h of t.hosts) {
    for (const p of h.probes) {
      if (p.identity.kind !== rule.kind) continue;
      const o = p.verdict.outcome;
      if (o === 'accepted') accepted++;
      if (o === 'accepted' || o === 'rejected' || o === 'deferred') decided++;
    }
  }
  // Nothing decided (all errors or skipped): no rate to judge; connection failures are reported elsewhere.
  if (decided === 0) return;
  const percent = (accepted / decided) * 100;
  if (percent < rule.percent) {
    out.push({ rule: rule.rule, target: targetName(t), exchange: null, ip: null, detail: `${rule.kind}: ${accepted}/${decided} accepted (${percent.toFixed(1)}%), below ${rule.percent}%` });
  }
}

/**
 * The violations of one target (every rule is judged per host or per target), so a streaming run
 * can apply the policy as each target finishes and keep only the violations.
 */
export function evaluateTargetPolicy(t: TargetResult, rules: PolicyRule[], now: Date = new Date()): Violation[] {
  const out: Violation[] = [];
  for (const h of t.hosts) for (const r of rules) evaluateHost(r, t, h, now, out);
  for (const r of rules) evaluateTarget(r, t, out);
  return out;
}

/**
 * The DNS rules (no-ptr, fcrdns-fail, banner-mismatch) that could not be judged on a target
 * because the lookup they need failed (timeout, SERVFAIL, REFUSED: the check is then `warn` with
 * "temporary DNS failure", or skipped for an unknown PTR). Without this a dead resolver made
 * `--fail-on no-ptr` pass with exit 0: nothing was judged, and the audit said nothing.
 * Same shape as a violation; the caller reports them apart and exits non-zero (1), never 0.
 */
export function unjudgedTargetPolicy(t: TargetResult, rules: PolicyRule[]): Violation[] {
  const out: Violation[] = unjudgedIdentityPolicy(t, rules);
  const wanted = new Set(rules.map((r) => r.rule));
  for (const h of t.hosts) {
    const base = { target: targetName(t), exchange: h.exchange, ip: h.ip };
    const rc = h.alignment?.checks ?? [];
    const ptrTemp = rc.find((c) => c.id === 'ptr-exists' && c.status === 'warn');
    const receiver = (rule: string, c: AlignmentCheck | undefined) => {
      if (c) out.push({ ...base, rule, detail: `DNS lookup failed: receiver ${c.id}: ${stripControl(c.detail)}` });
    };
    if (wanted.has('no-ptr')) receiver('no-ptr', ptrTemp);
    if (wanted.has('fcrdns-fail')) receiver('fcrdns-fail', rc.find((c) => c.id === 'fcrdns' && c.status === 'warn') ?? ptrTemp);
    if (wanted.has('banner-mismatch') && ptrTemp && rc.some((c) => c.id === 'banner-name' && c.status === 'skip' && !c.detail.includes('carried no host name'))) receiver('banner-mismatch', ptrTemp);
    // Sender side: the same two checks on each distinct source (alignment.ts: `warn` only for a
    // temporary failure of the source IP's PTR or of its names' forward lookups).
    const seen = new Set<string>();
    for (const p of h.probes) {
      for (const c of p.alignment?.checks ?? []) {
        const rule = c.id === 'ptr-exists' ? 'no-ptr' : c.id === 'fcrdns' ? 'fcrdns-fail' : null;
        if (rule === null || c.status !== 'warn' || !wanted.has(rule)) continue;
        const key = `${rule}\u0000${p.identity.source ?? ''}\u0000${c.detail}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ...base, rule, ...sourceOf(p.identity.source), detail: `DNS lookup failed: sender ${c.id} (HELO ${stripControl(p.identity.name)}): ${stripControl(c.detail)}` });
      }
    }
  }
  return out;
}

/**
 * identity-rejected:<kind> and acceptance-below:<kind>:<P> over a kind the run does not probe can
 * never fire: `--fail-on identity-rejected:localhost` without `--identities localhost` passed every
 * run with exit 0. Refused before anything is probed, like a transport rule whose check is off.
 */
export function assertIdentityRulesCheckable(rules: readonly PolicyRule[], kinds: readonly string[]): void {
  for (const r of rules) {
    if (r.rule !== 'identity-rejected' && r.rule !== 'acceptance-below') continue;
    if (kinds.includes(r.kind)) continue;
    const how = r.kind === 'custom' ? '--identity NAME' : `--identities ${r.kind} (or all)`;
    throw new UsageError(`${r.rule}:${r.kind}: this run probes no ${r.kind} identity (identities: ${kinds.join(', ')}), so the rule could never fire; add ${how}`);
  }
}

/** What a run is set to observe, for the rules that can only fire on what it observed. */
export interface RuleReach {
  stopAfter: string;
  starttls: boolean;
  implicitTls: boolean;
  alignment: boolean;
}

/**
 * Host rules over a fact the run will never see could never fire, and the audit would pass with
 * exit 0: `--no-starttls --fail-on cert-invalid` on a host with a self-signed certificate, or
 * `--no-alignment --fail-on no-ptr`. Refused before anything is probed (usage error), as the
 * transport rules are (cli/transport-options.ts assertTransportRulesCheckable).
 */
export function assertHostRulesCheckable(rules: readonly PolicyRule[], reach: RuleReach): void {
  const tls = reach.implicitTls || (reach.starttls && reach.stopAfter !== 'banner' && reach.stopAfter !== 'ehlo');
  for (const r of rules) {
    switch (r.rule) {
      case 'tls-below':
      case 'cert-invalid':
      case 'cert-name-mismatch':
      case 'cert-expires-within':
        if (!tls) throw new UsageError(`${r.rule} needs a TLS session: the run must go as far as STARTTLS (not --stop-after banner/ehlo or --no-starttls), or use --implicit-tls`);
        break;
      case 'starttls-broken':
        if (!tls || reach.implicitTls) throw new UsageError('starttls-broken needs STARTTLS to be tried (not --stop-after banner/ehlo, --no-starttls or --implicit-tls)');
        break;
      case 'no-starttls':
      case 'auth-before-tls':
        if (reach.stopAfter === 'banner') throw new UsageError(`${r.rule} needs the EHLO reply: not --stop-after banner`);
        break;
      case 'no-ptr':
      case 'fcrdns-fail':
      case 'banner-mismatch':
        if (!reach.alignment) throw new UsageError(`${r.rule} needs the DNS alignment checks: leave out --no-alignment`);
        break;
      default:
        break;
    }
  }
}

/**
 * identity-rejected / acceptance-below cells the receiver never judged (`not-judged`: the run
 * stopped before RCPT, where most receivers decide on the HELO). When no cell of the rule's kind
 * on a target was decided, the rule said nothing and the run passed: it is reported as not judged.
 */
export function unjudgedIdentityPolicy(t: TargetResult, rules: readonly PolicyRule[]): Violation[] {
  const out: Violation[] = [];
  for (const r of rules) {
    if (r.rule !== 'identity-rejected' && r.rule !== 'acceptance-below') continue;
    let decided = 0;
    let notJudged = 0;
    for (const h of t.hosts) {
      for (const p of h.probes) {
        if (p.identity.kind !== r.kind) continue;
        const o = p.verdict.outcome;
        if (o === 'accepted' || o === 'rejected' || o === 'deferred') decided++;
        else if (o === 'not-judged') notJudged++;
      }
    }
    if (decided === 0 && notJudged > 0) {
      out.push({ rule: r.rule, target: targetName(t), exchange: null, ip: null, detail: `${r.kind}: ${notJudged} probe(s) stopped before the receiver judged the HELO (not-judged; --stop-after rcpt judges it)` });
    }
  }
  return out;
}

/** "policy rule: not judged: …" lines for unjudgedTargetPolicy's results, terminal-safe. */
export function formatUnjudged(unjudged: readonly Violation[]): string {
  return formatViolations(unjudged).replace(/^policy ([^:]+): /gm, 'policy $1: not judged: ');
}

/** All violations, in target order, then host order, then rule order. `now` is for cert expiry. */
export function evaluatePolicy(run: RunResult, rules: PolicyRule[], now: Date = new Date()): Violation[] {
  return run.targets.flatMap((t) => evaluateTargetPolicy(t, rules, now));
}

/** "policy rule: target exchange [ip] from source: detail", one per line, terminal-safe. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => {
      const where = v.exchange !== null ? ` ${stripControl(v.exchange)}${v.ip !== null ? ` [${stripControl(v.ip)}]` : ''}` : '';
      // The source IP the probe came from: a verdict from one of several sources is about that source.
      const from = v.source !== undefined ? ` from ${stripControl(v.source)}` : '';
      return `policy ${v.rule}: ${stripControl(v.target)}${where}${from}: ${stripControl(v.detail)}`;
    })
    .join('\n') + (violations.length > 0 ? '\n' : '');
}
