/**
 * From logs to probes: the destinations that refused or deferred us for a HELO or reverse-DNS
 * cause, as a targets file for `mxprobe probe -f FILE --identities all` (targets/parse.ts reads
 * one domain per line and `#` comments).
 */
import { byCodeUnits, HELO_PTR_CAUSES, type LogSummary } from './aggregate.js';

export interface HeloPtrTarget {
  domain: string;
  causes: string[];
  refusals: number;
}

export function heloPtrTargets(s: LogSummary): HeloPtrTarget[] {
  const out: HeloPtrTarget[] = [];
  for (const d of s.destinations) {
    if (d.domain === '' || d.domain.startsWith('(')) continue;
    const causes = Object.keys(d.causes).filter((c) => HELO_PTR_CAUSES.has(c as never));
    if (causes.length === 0) continue;
    out.push({ domain: d.domain, causes, refusals: causes.reduce((n, c) => n + (d.causes[c] ?? 0), 0) });
  }
  return out.sort((a, b) => b.refusals - a.refusals || byCodeUnits(a.domain, b.domain));
}

/** The targets file text: a comment per domain says why it is there. Domains are safe: they came through the log parser's address split. */
export function targetsFileText(targets: readonly HeloPtrTarget[]): string {
  const lines = ['# mxprobe logs --emit-targets: destinations that refused or deferred us for HELO or reverse-DNS reasons', '# next: mxprobe probe -f <this file> --identities all'];
  for (const t of targets) {
    // A domain from a log is untrusted text: keep only what a domain name can hold.
    if (!/^[A-Za-z0-9._-]{1,253}$/.test(t.domain)) continue;
    lines.push(`${t.domain}  # ${t.causes.join(', ')} (${t.refusals} refusal${t.refusals === 1 ? '' : 's'})`);
  }
  return `${lines.join('\n')}\n`;
}
