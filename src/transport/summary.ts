/**
 * The one-line transport summary per target (pure): what a DANE-enforcing and an MTA-STS-enforcing
 * sender would do with each MX, e.g. "a DANE sender would deliver to 2/2 MX; an MTA-STS sender
 * (enforce) would refuse mx2.example (certificate name mismatch); TLS-RPT reports to mailto:…".
 */
import type { DaneStatus, TargetResult } from '../results.js';

const DANE_RANK: Record<DaneStatus, number> = {
  bogus: 0, 'dane-mismatch': 1, indeterminate: 2, 'not-checked': 3, 'tlsa-unusable': 4, insecure: 5, 'no-tlsa': 6, 'dane-valid': 7,
};

export function transportSummary(t: TargetResult): string {
  const parts: string[] = [];
  // One verdict per MX name: the worst over its addresses (a sender may pick any of them).
  const byMx = new Map<string, DaneStatus>();
  for (const h of t.hosts) {
    const s = h.transport?.dane?.status;
    if (!s) continue;
    const prev = byMx.get(h.exchange);
    if (prev === undefined || DANE_RANK[s] < DANE_RANK[prev]) byMx.set(h.exchange, s);
  }
  if (byMx.size > 0) {
    const all = [...byMx.entries()];
    const withTlsa = all.filter(([, s]) => s !== 'no-tlsa' && s !== 'insecure' && s !== 'tlsa-unusable');
    if (withTlsa.length === 0) {
      parts.push('no DANE (no DNSSEC-signed TLSA records)');
    } else {
      const ok = all.filter(([, s]) => s === 'dane-valid').length;
      const bad = all.filter(([, s]) => s === 'dane-mismatch' || s === 'bogus');
      const unknown = all.filter(([, s]) => s === 'indeterminate' || s === 'not-checked');
      const plain = all.filter(([, s]) => s === 'no-tlsa' || s === 'insecure' || s === 'tlsa-unusable');
      const named = (xs: Array<[string, DaneStatus]>) => xs.map(([mx, s]) => `${mx} (${s})`).join(', ');
      if (ok === 0 && bad.length === 0) {
        // Only failed lookups (and perhaps MX without DANE): nothing was judged, so no count of
        // MX a DANE sender "would deliver to" is stated: "0/1" read as a DANE failure when the
        // TLSA query had only timed out (RFC 7672 §2.1: a lookup failure is not a denial).
        let p = `DANE not judged: cannot tell for ${named(unknown)}`;
        if (plain.length) p += `; without DANE to ${named(plain)}`;
        parts.push(p);
      } else {
        let p = `a DANE sender would deliver to ${ok}/${all.length} MX`;
        if (plain.length) p += `, without DANE to ${named(plain)}`;
        if (bad.length) p += `, would refuse ${named(bad)}`;
        if (unknown.length) p += `, cannot tell for ${named(unknown)}`;
        parts.push(p);
      }
    }
  }
  const sts = t.transport?.mtaSts;
  if (sts) {
    const failing = (sts.hosts ?? []).filter((h) => h.status === 'mta-sts-mx-mismatch' || h.status === 'mta-sts-tls-fail');
    const list = failing.map((h) => `${h.exchange} (${h.detail})`).join(', ');
    switch (sts.status) {
      case 'mta-sts-valid':
        parts.push(`an MTA-STS sender (enforce) would deliver to all ${new Set((sts.hosts ?? []).map((h) => h.exchange)).size} MX`);
        break;
      case 'mta-sts-mx-mismatch':
      case 'mta-sts-tls-fail':
        parts.push(`an MTA-STS sender (enforce) would refuse ${list}`);
        break;
      case 'testing':
        parts.push(`MTA-STS in testing mode (senders report, do not refuse)${failing.length ? `: would fail ${list}` : ''}`);
        break;
      case 'mta-sts-fetch-fail':
        parts.push(`MTA-STS policy could not be fetched (${sts.error ?? 'unknown'})`);
        break;
      case 'mta-sts-invalid':
        parts.push(`MTA-STS invalid (${sts.error ?? 'unknown'})`);
        break;
      case 'no-mta-sts':
        parts.push(sts.mode === 'none' ? 'MTA-STS mode none' : 'no MTA-STS');
        break;
      case 'indeterminate':
        parts.push(`MTA-STS not judged (${sts.error ?? 'unknown'})`);
        break;
    }
  }
  const rpt = t.transport?.tlsRpt;
  if (rpt) {
    if (rpt.status === 'valid') parts.push(`TLS-RPT reports to ${rpt.rua.join(', ')}`);
    else if (rpt.status === 'absent') parts.push('no TLS-RPT');
    else parts.push(`TLS-RPT ${rpt.status} (${rpt.error ?? ''})`);
  }
  return parts.join('; ');
}
