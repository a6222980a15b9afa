/**
 * TLS-RPT (RFC 8460 §3): the `_smtp._tls` TXT record, "v=TLSRPTv1; rua=mailto:…,https://…".
 * Pure. Records that do not begin with v=TLSRPTv1 are ignored; more than one is invalid (§3).
 */
import type { TlsRptResult } from '../results.js';

export function parseTlsRptRecord(text: string): { ok: true; rua: string[] } | { ok: false; error: string } {
  const fields = text.split(/[ \t]*;[ \t]*/);
  if (fields[fields.length - 1] === '') fields.pop();
  if (!/^v[ \t]*=[ \t]*TLSRPTv1$/.test(fields.shift() ?? '')) return { ok: false, error: 'does not begin with v=TLSRPTv1' };
  let rua: string[] | null = null;
  for (const f of fields) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})[ \t]*=[ \t]*(.*)$/.exec(f);
    if (!m || m[1] === undefined || m[2] === undefined) return { ok: false, error: `bad field "${f}"` };
    if (m[1] !== 'rua') continue;
    if (rua !== null) return { ok: false, error: 'rua given twice' };
    // §3: tlsrpt-rua = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri); URIs are mailto: or https:.
    rua = m[2].split(/[ \t]*,[ \t]*/);
    for (const u of rua) {
      if (!/^(mailto:[^\s,;@]+@[^\s,;@]+|https:\/\/[^\s,;]+)$/i.test(u)) return { ok: false, error: `rua "${u}" is not a mailto: or https: URI` };
    }
  }
  if (rua === null || rua.length === 0) return { ok: false, error: 'no rua field' };
  return { ok: true, rua };
}

export function tlsRptVerdict(txt: { kind: 'failed'; detail: string } | { kind: 'none' } | { kind: 'records'; records: string[] }): TlsRptResult {
  if (txt.kind === 'failed') return { status: 'indeterminate', rua: [], error: `TXT lookup failed: ${txt.detail}` };
  const recs = txt.kind === 'records' ? txt.records.filter((r) => /^v[ \t]*=[ \t]*TLSRPTv1/.test(r)) : [];
  if (recs.length === 0) return { status: 'absent', rua: [] };
  if (recs.length > 1) return { status: 'invalid', rua: [], error: `${recs.length} v=TLSRPTv1 records (exactly one is allowed, RFC 8460 §3)` };
  const p = parseTlsRptRecord(recs[0] ?? '');
  return p.ok ? { status: 'valid', rua: p.rua } : { status: 'invalid', rua: [], error: p.error };
}
