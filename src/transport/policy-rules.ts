/**
 * Audit rules over the transport results (`--fail-on`, `--policy`; wired in analysis/policy.ts).
 * They read only the recorded results. A rule about a check that was not run finds nothing.
 */
import type { TargetResult } from '../results.js';
import { stripControl } from '../report/sanitize.js';

export const TRANSPORT_RULES = ['dane-mismatch', 'dane-bogus', 'no-dane', 'mta-sts-invalid', 'mta-sts-mx-mismatch', 'mta-sts-tls-fail', 'no-mta-sts', 'no-tls-rpt'] as const;
export type TransportRule = (typeof TRANSPORT_RULES)[number];

export const TRANSPORT_RULES_HELP: readonly string[] = [
  'dane-mismatch                no DNSSEC-signed TLSA record matches the MX certificate (RFC 7672)',
  'dane-bogus                   the TLSA (or MX) answer failed DNSSEC validation',
  'no-dane                      MX host without usable signed TLSA records (no-tlsa, insecure, tlsa-unusable)',
  'mta-sts-invalid              bad _mta-sts TXT record or policy file (RFC 8461)',
  'mta-sts-mx-mismatch          an MX matches no mx pattern of the MTA-STS policy',
  'mta-sts-tls-fail             an MX fails MTA-STS TLS requirements (STARTTLS, trusted cert for its name)',
  'no-mta-sts                   domain publishes no MTA-STS policy (or mode none)',
  'no-tls-rpt                   domain publishes no valid TLS-RPT record (RFC 8460)',
];

export function isTransportRule(name: string): name is TransportRule {
  return (TRANSPORT_RULES as readonly string[]).includes(name);
}

export interface TransportViolation {
  rule: string;
  target: string;
  exchange: string | null;
  ip: string | null;
  detail: string;
}

export function evaluateTransportRule(rule: TransportRule, t: TargetResult, out: TransportViolation[]): void {
  const target = t.input;
  const sts = t.transport?.mtaSts;
  switch (rule) {
    case 'dane-mismatch':
    case 'dane-bogus':
    case 'no-dane':
      for (const h of t.hosts) {
        const d = h.transport?.dane;
        if (!d) continue;
        const hit =
          rule === 'dane-mismatch' ? d.status === 'dane-mismatch' : rule === 'dane-bogus' ? d.status === 'bogus' : d.status === 'no-tlsa' || d.status === 'insecure' || d.status === 'tlsa-unusable';
        if (hit) out.push({ rule, target, exchange: h.exchange, ip: h.ip, detail: `DANE ${d.status}${d.detail ? `: ${stripControl(d.detail)}` : ''}` });
      }
      return;
    case 'mta-sts-invalid':
      if (sts?.status === 'mta-sts-invalid') out.push({ rule, target, exchange: null, ip: null, detail: stripControl(sts.error ?? 'invalid') });
      return;
    case 'no-mta-sts':
      if (sts?.status === 'no-mta-sts') out.push({ rule, target, exchange: null, ip: null, detail: sts.mode === 'none' ? 'policy mode is none' : 'no _mta-sts TXT record' });
      return;
    case 'mta-sts-mx-mismatch':
    case 'mta-sts-tls-fail':
      // Judged in enforce and testing mode alike: a testing policy is the rehearsal for enforce.
      for (const h of sts?.hosts ?? []) {
        if (h.status === rule) out.push({ rule, target, exchange: h.exchange, ip: h.ip, detail: stripControl(h.detail) });
      }
      return;
    case 'no-tls-rpt': {
      const r = t.transport?.tlsRpt;
      if (r && (r.status === 'absent' || r.status === 'invalid')) out.push({ rule, target, exchange: null, ip: null, detail: r.status === 'absent' ? 'no _smtp._tls TXT record' : `invalid: ${stripControl(r.error ?? '')}` });
      return;
    }
  }
}
