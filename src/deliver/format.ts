/**
 * Text output for `mxprobe deliver` (pure: DeliverResult -> text). Server text is stripped of
 * terminal controls; the JSON form keeps it verbatim.
 */
import { stripControl } from '../report/sanitize.js';
import type { DeliverResult } from './deliver.js';

export function formatDeliverText(r: DeliverResult, opts: { transcript?: boolean } = {}): string {
  const s = (x: string): string => stripControl(x);
  const out: string[] = [];
  out.push(`from <${s(r.envelope.from)}> to <${s(r.envelope.to)}>  HELO ${s(r.helo)}  source ${s(r.source ?? 'system-chosen')}  TLS ${r.tls}`);
  if (r.dryRun) out.push('dry run: nothing was sent');
  r.messages.forEach((m, i) => {
    out.push('');
    out.push(`message ${i + 1}/${r.messages.length}  token ${m.token}  ${m.messageId}`);
    if (r.dryRun) return;
    for (const a of m.attempts) {
      out.push(`  ${s(a.exchange)} [${a.ip}]:${a.port}  ${a.status}${a.local ? `  (local ${a.local.address})` : ''}`);
      if (opts.transcript !== false) {
        for (const l of a.transcript) out.push(`    ${l.dir}: ${s(l.line)}`);
      }
      if (a.error && a.reply === null) out.push(`    error ${s(a.error.code)}: ${s(a.error.message)}`);
    }
    if (m.attempts.length === 0) out.push('  no host was tried');
    out.push(`  outcome ${m.outcome}${m.finalReply ? `: ${s(m.finalReply.split('\n').join(' | '))}` : ''}`);
    if (m.queueId) out.push(`  queue id ${s(m.queueId.id)} (${m.queueId.style})`);
  });
  return `${out.join('\n')}\n`;
}
