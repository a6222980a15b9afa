/**
 * MTA-STS (RFC 8461), the pure part: the `_mta-sts` TXT record (§3.1), the policy file (§3.2),
 * MX pattern matching (§4.1) and the verdict per domain and per MX host (§4.2, §5).
 */
import type { MtaStsHostStatus, MtaStsResult, TlsDetails } from '../results.js';

export type TxtParse = { ok: true; id: string; extensions: Record<string, string> } | { ok: false; error: string };

const WSP = '[ \\t]*';

/**
 * RFC 8461 §3.1 ABNF: sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim],
 * sts-version = "v" *WSP "=" *WSP "STSv1", sts-id = "id" *WSP "=" *WSP 1*32(ALPHA / DIGIT),
 * extension names (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."), values %x21-3A / %x3C / %x3E-7E.
 */
export function parseStsTxt(text: string): TxtParse {
  const fields = text.split(new RegExp(`${WSP};${WSP}`));
  if (fields[fields.length - 1] === '') fields.pop();
  const head = fields.shift() ?? '';
  if (!new RegExp(`^v${WSP}=${WSP}STSv1$`).test(head)) return { ok: false, error: 'does not begin with v=STSv1' };
  let id: string | null = null;
  const extensions: Record<string, string> = {};
  for (const f of fields) {
    const m = new RegExp(`^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})${WSP}=${WSP}(.*)$`).exec(f);
    if (!m || m[1] === undefined || m[2] === undefined) return { ok: false, error: `bad field "${f}"` };
    if (m[1] === 'id') {
      if (!/^[A-Za-z0-9]{1,32}$/.test(m[2])) return { ok: false, error: `bad id "${m[2]}" (1-32 letters or digits)` };
      if (id !== null) return { ok: false, error: 'id given twice' };
      id = m[2];
    } else {
      if (!/^[\x21-\x3a\x3c\x3e-\x7e]+$/.test(m[2])) return { ok: false, error: `bad value for ${m[1]}` };
      extensions[m[1]] = m[2];
    }
  }
  if (id === null) return { ok: false, error: 'no id field' };
  return { ok: true, id, extensions };
}

/**
 * §3.1: records that do not begin with "v=STSv1;" are discarded; if the number left is not one,
 * or it is invalid, the domain has no usable policy. We report which.
 */
export function pickStsTxt(records: readonly string[]): { kind: 'none' } | { kind: 'invalid'; error: string } | { kind: 'ok'; id: string } {
  const sts = records.filter((r) => /^v=STSv1;/.test(r) || /^v\s*=\s*STSv1\s*(;|$)/.test(r));
  if (sts.length === 0) return { kind: 'none' };
  if (sts.length > 1) return { kind: 'invalid', error: `${sts.length} v=STSv1 TXT records (exactly one is allowed, RFC 8461 §3.1)` };
  const p = parseStsTxt(sts[0] ?? '');
  return p.ok ? { kind: 'ok', id: p.id } : { kind: 'invalid', error: `TXT record: ${p.error}` };
}

export interface StsPolicy {
  version: 'STSv1';
  mode: 'enforce' | 'testing' | 'none';
  maxAge: number;
  mx: string[];
}

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (one year). */
export const MAX_AGE_LIMIT = 31_557_600;

/**
 * The policy body (§3.2): "key: value" lines ended by LF or CRLF (sts-policy-term), the last one
 * possibly unterminated. version, mode and max_age once each; mx repeatable; unknown keys ignored.
 */
export function parseStsPolicy(body: string): { ok: true; policy: StsPolicy; warnings: string[] } | { ok: false; error: string } {
  const lines = body.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const seen = new Map<string, string>();
  const mx: string[] = [];
  const warnings: string[] = [];
  for (const [i, raw] of lines.entries()) {
    if (raw.includes('\r')) return { ok: false, error: `line ${i + 1}: stray CR` };
    const m = /^([A-Za-z0-9_.-]{1,32}):[ \t]*(.*?)[ \t]*$/.exec(raw);
    if (!m || m[1] === undefined || m[2] === undefined) return { ok: false, error: `line ${i + 1}: not "key: value"` };
    const key = m[1];
    const value = m[2];
    if (key === 'mx') {
      mx.push(value);
      continue;
    }
    if (seen.has(key)) {
      if (key === 'version' || key === 'mode' || key === 'max_age') return { ok: false, error: `line ${i + 1}: ${key} given twice` };
      continue;
    }
    seen.set(key, value);
  }
  const version = seen.get('version');
  if (version !== 'STSv1') return { ok: false, error: version === undefined ? 'no version field' : `version "${version}" is not STSv1` };
  const mode = seen.get('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { ok: false, error: mode === undefined ? 'no mode field' : `mode "${mode}" is not enforce, testing or none` };
  const maxAgeText = seen.get('max_age');
  if (maxAgeText === undefined || !/^[0-9]{1,10}$/.test(maxAgeText)) return { ok: false, error: maxAgeText === undefined ? 'no max_age field' : `max_age "${maxAgeText}" is not 1-10 digits` };
  let maxAge = Number(maxAgeText);
  if (maxAge > MAX_AGE_LIMIT) {
    warnings.push(`max_age ${maxAge} exceeds ${MAX_AGE_LIMIT}; senders cap it`);
    maxAge = MAX_AGE_LIMIT;
  }
  for (const p of mx) {
    if (!isValidPattern(p)) return { ok: false, error: `mx pattern "${p}" is not a host name or *.domain` };
  }
  if (mx.length === 0 && mode !== 'none') return { ok: false, error: 'no mx field (required unless mode is none)' };
  return { ok: true, policy: { version: 'STSv1', mode, maxAge, mx }, warnings };
}

function isValidPattern(p: string): boolean {
  const name = p.startsWith('*.') ? p.slice(2) : p;
  return /^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/.test(name);
}

/**
 * §4.1: a pattern is a fully qualified name, or "*." and a name, where the wildcard stands for
 * exactly one leftmost label ("*.example.com" matches "mx.example.com", not "a.b.example.com"
 * nor "example.com"). Case-insensitive; a trailing dot is ignored.
 */
export function mxMatchesPattern(mx: string, pattern: string): boolean {
  const host = mx.toLowerCase().replace(/\.$/, '');
  const pat = pattern.toLowerCase().replace(/\.$/, '');
  if (pat.startsWith('*.')) {
    const dot = host.indexOf('.');
    return dot > 0 && host.slice(dot + 1) === pat.slice(2);
  }
  return host === pat;
}

export interface HostTlsFacts {
  exchange: string;
  ip: string;
  /** TLS facts of the host's probe that completed TLS; null when none did. */
  tls: TlsDetails | null;
  /** The chain validates against the system CAs plus --ca-file (null: not known). */
  pkixValid: boolean | null;
  pkixDetail: string;
  /** Why there is no TLS (STARTTLS not offered, failed, connection refused, …). */
  noTlsReason: string | null;
}

/** §5: what a sender that applies this policy does with one MX host. */
export function judgeHost(policy: StsPolicy, h: HostTlsFacts): { status: MtaStsHostStatus; detail: string } {
  if (!policy.mx.some((p) => mxMatchesPattern(h.exchange, p))) {
    return { status: 'mta-sts-mx-mismatch', detail: `${h.exchange} matches no mx pattern of the policy (RFC 8461 §4.1)` };
  }
  if (!h.tls) {
    if (h.noTlsReason?.startsWith('not judged')) return { status: 'not-judged', detail: h.noTlsReason };
    return { status: 'mta-sts-tls-fail', detail: h.noTlsReason ?? 'no TLS session' };
  }
  if (h.tls.nameMatches !== true) return { status: 'mta-sts-tls-fail', detail: `certificate name mismatch${h.tls.nameError ? `: ${h.tls.nameError}` : ''}` };
  if (h.pkixValid !== true) return { status: 'mta-sts-tls-fail', detail: `certificate not trusted: ${h.pkixDetail}` };
  return { status: 'mta-sts-valid', detail: 'matches a pattern; STARTTLS with a trusted certificate for the MX name' };
}

export type PolicyFetch = { ok: true; body: string } | { ok: false; error: string };

export interface MtaStsInput {
  txt: { kind: 'failed'; detail: string } | { kind: 'records'; records: string[] } | { kind: 'none' };
  /** Called only when the TXT record is valid (a sender fetches only then, §3.3). */
  fetched: PolicyFetch | null;
  hosts: HostTlsFacts[];
}

/** The per-domain verdict; the worst host decides in enforce mode. */
export function mtaStsVerdict(input: MtaStsInput): MtaStsResult {
  const empty = { mode: null, id: null, mx: [] as string[], maxAge: null };
  if (input.txt.kind === 'failed') return { status: 'indeterminate', ...empty, error: `TXT lookup failed: ${input.txt.detail}` };
  const txt = input.txt.kind === 'none' ? ({ kind: 'none' } as const) : pickStsTxt(input.txt.records);
  if (txt.kind === 'none') return { status: 'no-mta-sts', ...empty };
  if (txt.kind === 'invalid') return { status: 'mta-sts-invalid', ...empty, error: txt.error };
  const fetched = input.fetched;
  if (!fetched) return { status: 'mta-sts-fetch-fail', ...empty, id: txt.id, error: 'policy not fetched' };
  if (!fetched.ok) return { status: 'mta-sts-fetch-fail', ...empty, id: txt.id, error: fetched.error };
  const parsed = parseStsPolicy(fetched.body);
  if (!parsed.ok) return { status: 'mta-sts-invalid', ...empty, id: txt.id, error: `policy: ${parsed.error}` };
  const { policy } = parsed;
  const base = { mode: policy.mode, id: txt.id, mx: policy.mx, maxAge: policy.maxAge, ...(parsed.warnings.length ? { error: parsed.warnings.join('; ') } : {}) };
  if (policy.mode === 'none') return { status: 'no-mta-sts', ...base };
  const hosts = input.hosts.map((h) => ({ exchange: h.exchange, ip: h.ip, ...judgeHost(policy, h) }));
  if (policy.mode === 'testing') return { status: 'testing', ...base, hosts };
  if (hosts.some((h) => h.status === 'mta-sts-mx-mismatch')) return { status: 'mta-sts-mx-mismatch', ...base, hosts };
  if (hosts.some((h) => h.status === 'mta-sts-tls-fail')) return { status: 'mta-sts-tls-fail', ...base, hosts };
  if (hosts.length === 0 || hosts.some((h) => h.status === 'not-judged')) {
    return { status: 'indeterminate', ...base, hosts, error: hosts.length === 0 ? 'no MX host was probed' : 'some MX hosts were not judged' };
  }
  return { status: 'mta-sts-valid', ...base, hosts };
}
