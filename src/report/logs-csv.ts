/**
 * `mxprobe logs --format csv`: one flat RFC 4180 table, one row per counter, with a `section`
 * column (totals, relay, destination, mx, refusal, reply, reject, helo, symbol, bucket) so a
 * spreadsheet can filter it. Every cell goes through csvCell (formula neutralising, quoting).
 */
import type { LogRun } from '../logs/run.js';
import { csvCell } from './sanitize.js';

export const LOGS_CSV_COLUMNS = ['section', 'relay', 'domain', 'mx', 'ip', 'cause', 'check', 'name', 'count', 'sent', 'deferred', 'deferrals', 'bounced', 'acceptanceRate', 'score', 'text'] as const;
type Col = (typeof LOGS_CSV_COLUMNS)[number];
type Row = Partial<Record<Col, string | number | null>>;

export function renderLogsCsv(run: LogRun): string {
  const s = run.summary;
  const rows: Row[] = [];
  for (const [k, v] of Object.entries(s.totals)) rows.push({ section: 'totals', name: k, count: v });
  for (const r of s.relays) rows.push({ section: 'relay', relay: r.relay, sent: r.sent, deferred: r.deferred, deferrals: r.deferrals, bounced: r.bounced, acceptanceRate: r.acceptanceRate, count: r.rejected, name: 'inbound-rejected' });
  for (const d of s.destinations) {
    rows.push({ section: 'destination', domain: d.domain, sent: d.sent, deferred: d.deferred, deferrals: d.deferrals, bounced: d.bounced, acceptanceRate: d.acceptanceRate });
    for (const m of d.mx) rows.push({ section: 'mx', domain: d.domain, mx: m.host, ip: m.ip, sent: m.sent, deferred: m.deferred, deferrals: m.deferrals, bounced: m.bounced, acceptanceRate: m.acceptanceRate });
  }
  for (const r of s.refusals) rows.push({ section: 'refusal', relay: r.relay, domain: r.domain, cause: r.cause, deferrals: r.deferrals, bounced: r.bounced });
  for (const r of s.replies) rows.push({ section: 'reply', cause: r.cause, name: r.stage, count: r.count, text: `${r.code ?? ''} ${r.text}`.trim() });
  for (const b of s.inbound.byService) rows.push({ section: 'reject', relay: b.relay, name: b.service, check: b.check, count: b.count });
  for (const h of s.inbound.heloNames) rows.push({ section: 'helo', name: h.name, count: h.count, text: h.form });
  for (const r of s.inbound.heloRules) rows.push({ section: 'helo-rule', check: r.rule, count: r.failing, text: `${r.failing}/${r.observed}` });
  for (const [n, v] of Object.entries(s.spam.symbols)) rows.push({ section: 'symbol', name: n, count: v.count, score: v.score });
  for (const b of s.time.series) rows.push({ section: 'bucket', name: b.start, count: b.received, sent: b.delivered, deferrals: b.deferrals, bounced: b.bounced, acceptanceRate: b.acceptanceRate, text: `rejected=${b.rejected}` });
  rows.push({ section: 'unparsed', count: s.unparsed.count });
  const lines = [LOGS_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push(LOGS_CSV_COLUMNS.map((c) => csvCell(r[c] ?? null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
