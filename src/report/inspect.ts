/**
 * Table output for `mxprobe inspect` (pure: InspectResult -> text). Every header-derived string is
 * passed through stripControl: a hostile Received: or spam header must not drive the terminal.
 */
import type { InspectResult } from '../analysis/inspect.js';
import type { ReceivedHop } from '../analysis/inspect/received.js';
import { stripControl } from './sanitize.js';

const MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', info: 'info' };

const s = (x: string | null | undefined): string => (x === null || x === undefined || x === '' ? '-' : stripControl(x));

function hopLine(h: ReceivedHop, entry: boolean): string[] {
  const f = h.from;
  const mark = entry ? '*' : ' ';
  const lines = [
    `${mark}${String(h.index).padStart(2)}  from HELO ${s(f?.helo)}  rDNS ${s(f?.rdns)}${f?.mayBeForged ? ' (may be forged)' : ''}  IP ${s(f?.ip)}`,
    `     by ${s(h.by)}  with ${s(h.with)}  id ${s(h.id)}${h.for ? `  for ${s(h.for)}` : ''}  [${h.style}${h.software ? `: ${s(h.software)}` : ''}]`,
  ];
  if (h.tls) lines.push(`     tls ${s(h.tls)}`);
  if (h.date) lines.push(`     date ${s(h.date)}`);
  return lines;
}

export function formatInspectTable(r: InspectResult): string {
  const out: string[] = [];
  out.push(`message ${r.selected} of ${r.messageCount}   token ${s(r.token)}`);
  if (r.receivedOmitted > 0) out.push(`note: ${r.receivedOmitted} more Received: field(s) not read (more than 100 hops is a loop, RFC 5321 §6.3)`);
  if (r.headerTruncated) out.push('note: the header block is longer than 1 MiB; only its first 1 MiB was read');
  out.push(`subject ${s(r.subject)}`);
  out.push(`HELO sent ${s(r.heloSent)}${r.heloSentFrom ? ` (from ${r.heloSentFrom})` : ''}   source ${s(r.sourceSent)}`);
  out.push('');
  out.push(`Received chain (${r.received.length} hop(s), most recent first; * = where the receiver took it from us):`);
  if (r.received.length === 0) out.push('  (none)');
  for (const h of r.received) out.push(...hopLine(h, h === r.entryHop));
  if (r.authenticationResults.length > 0) {
    out.push('');
    out.push('Authentication-Results:');
    for (const ar of r.authenticationResults) {
      for (const m of ar.results) {
        const props = Object.entries(m.props).map(([k, v]) => `${k}=${v}`).join(' ');
        out.push(`  ${s(ar.authservId || '(no authserv-id)')}: ${s(m.method)}=${s(m.result)}${props ? ` ${s(props)}` : ''}${m.reason ? ` reason="${s(m.reason)}"` : ''}`);
      }
    }
  }
  for (const v of r.spam) {
    out.push('');
    const verdict = v.isSpam === null ? 'verdict ?' : v.isSpam ? 'SPAM' : 'not spam';
    out.push(`${v.engine}: ${verdict} score ${v.score ?? '?'}${v.threshold !== null ? ` / ${v.threshold}` : ''}${v.action ? `  action ${s(v.action)}` : ''}`);
    const host = v.symbols.filter((x) => x.hostnameRelated);
    out.push(`  hostname symbols: ${host.length === 0 ? '(none)' : host.map((x) => `${s(x.name)}(${x.score ?? '?'})`).join(' ')}`);
    const others = v.symbols.filter((x) => !x.hostnameRelated);
    if (others.length > 0) out.push(`  other symbols: ${others.map((x) => `${s(x.name)}(${x.score ?? '?'})`).join(' ')}`);
  }
  out.push('');
  out.push('Findings:');
  const w = Math.max(5, ...r.findings.map((f) => f.id.length));
  for (const f of r.findings) out.push(`  ${(MARK[f.status] ?? f.status).padEnd(4)}  ${f.id.padEnd(w)}  ${s(f.detail)}`);
  return `${out.join('\n')}\n`;
}
