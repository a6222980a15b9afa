/**
 * `mxprobe logs` table output: the sections a mail admin reads top-down. Every log-derived string
 * goes through stripControl + truncate (a reply text could carry terminal escapes).
 */
import { HELO_PTR_CAUSES } from '../logs/aggregate.js';
import type { LogRun } from '../logs/run.js';
import { heloPtrTargets } from '../logs/targets.js';
import { stripControl, truncate } from './sanitize.js';

export interface LogsTableOptions {
  top?: number;
  targetsFile?: string | null;
}

const t = (s: string, n: number): string => truncate(stripControl(s), n);
const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const num = (n: number): string => n.toLocaleString('en-US');

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] ?? 0))).join('  ')}`.trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

function causes(c: Record<string, number>, n = 3): string {
  const e = Object.entries(c).slice(0, n);
  return e.length === 0 ? '-' : e.map(([k, v]) => `${k}${HELO_PTR_CAUSES.has(k as never) ? '*' : ''} ${v}`).join(', ');
}

export function renderLogsTable(run: LogRun, opts: LogsTableOptions = {}): string {
  const top = opts.top ?? 20;
  const s = run.summary;
  const out: string[] = [];
  const range = s.time.first !== null ? `, ${s.time.first} .. ${s.time.last}` : '';
  out.push(`mxprobe logs: ${run.files.length} source(s), ${num(s.lines.total)} lines (${num(s.unparsed.count)} unparsed${s.lines.outOfRange > 0 ? `, ${num(s.lines.outOfRange)} outside --since/--until` : ''}${s.lines.capped > 0 ? `, ${num(s.lines.capped)} over-long cut` : ''})${range}`);
  for (const f of run.files) if (f.error) out.push(`  ! ${t(f.error.message, 200)}`);
  const T = s.totals;
  out.push('', 'Totals (messages, counted as pflogsumm counts them)');
  out.push(`  received ${num(T.received)}   delivered ${num(T.delivered)}   deferred ${num(T.deferred)} (${num(T.deferrals)} deferrals)   bounced ${num(T.bounced)}   rejected ${num(T.rejected)}`);
  out.push(`  delivered after a deferral ${num(T.deliveredAfterDeferral)}   forwarded ${num(T.forwarded)}   expired ${num(T.expired)}`);

  if (s.relays.some((r) => r.sent + r.deferrals + r.bounced > 0)) {
    out.push('', 'Outbound by relay (acceptance = sent / (sent + bounced); * = HELO or reverse-DNS cause)');
    out.push(
      table(
        ['RELAY', 'SENT', 'DEFERRED', 'DEFERRALS', 'BOUNCED', 'AFTER-DEFER', 'ACCEPT', 'CAUSES'],
        s.relays.filter((r) => r.sent + r.deferrals + r.bounced > 0).map((r) => [t(r.relay, 40), num(r.sent), num(r.deferred), num(r.deferrals), num(r.bounced), num(r.deliveredAfterDeferral), pct(r.acceptanceRate), causes(r.causes)]),
      ),
    );
  }
  if (s.refusals.length > 0) {
    out.push('', 'Refusals by relay, destination and cause (HELO/reverse-DNS first)');
    out.push(table(['RELAY', 'DESTINATION', 'CAUSE', 'DEFERRALS', 'BOUNCED'], s.refusals.slice(0, top).map((r) => [t(r.relay, 40), t(r.domain, 50), `${r.cause}${r.heloOrPtr ? '*' : ''}`, num(r.deferrals), num(r.bounced)])));
    if (s.refusals.length > top) out.push(`  … ${s.refusals.length - top} more (--top N, or --format json)`);
  }
  const dests = s.destinations.filter((d) => d.sent + d.deferrals + d.bounced > 0);
  if (dests.length > 0) {
    out.push('', `Destinations (top ${Math.min(top, dests.length)} of ${dests.length}, with MX hosts)`);
    const rows: string[][] = [];
    for (const d of dests.slice(0, top)) {
      rows.push([t(d.domain || '(local part only)', 50), num(d.sent), num(d.deferred), num(d.deferrals), num(d.bounced), num(d.deliveredAfterDeferral), pct(d.acceptanceRate), causes(d.causes)]);
      for (const m of d.mx.slice(0, 5)) rows.push([`  ${t(m.host ?? '?', 40)}${m.ip ? `[${t(m.ip, 45)}]` : ''}`, num(m.sent), num(m.deferred), num(m.deferrals), num(m.bounced), '', pct(m.acceptanceRate), '']);
    }
    out.push(table(['DESTINATION / MX', 'SENT', 'DEFERRED', 'DEFERRALS', 'BOUNCED', 'AFTER-DEFER', 'ACCEPT', 'CAUSES'], rows));
  }
  if (s.replies.length > 0) {
    out.push('', 'Refusal replies (queue ids, addresses, IPs and tokens normalised; full text, not cut to 65 characters)');
    out.push(table(['COUNT', 'CAUSE', 'STAGE', 'REPLY'], s.replies.slice(0, top).map((r) => [num(r.count), `${r.cause}${HELO_PTR_CAUSES.has(r.cause) ? '*' : ''}`, r.stage ?? '-', t(`${r.code ?? ''} ${r.text}`.trim(), 160)])));
  }
  const I = s.inbound;
  if (I.rejected + I.warnings + I.heloObserved > 0) {
    out.push('', `Inbound: rejections by check (${num(I.rejected)} rejected${I.warnings > 0 ? `, ${num(I.warnings)} reject_warning not counted` : ''})`);
    const checks = Object.entries(I.rejects);
    if (checks.length > 0) out.push(table(['CHECK', 'COUNT'], checks.map(([k, v]) => [k, num(v)])));
    if (I.heloObserved > 0) {
      out.push('', `Inbound: HELO names seen (${num(I.heloObserved)} logged sessions with helo=; top ${Math.min(top, I.heloNames.length)})`);
      out.push(table(['HELO', 'COUNT', 'FORM'], I.heloNames.slice(0, top).map((h) => [t(h.name, 60), num(h.count), h.form])));
      out.push('', '  Share of those that would fail each HELO rule (reject_unknown_helo_hostname needs DNS: see the rejects above)');
      for (const r of I.heloRules) out.push(`  ${r.rule.padEnd(32)} ${num(r.failing)} of ${num(r.observed)} (${pct(r.share)})`);
    }
  }
  const sym = Object.entries(s.spam.symbols);
  if (s.spam.scanned.rspamd + s.spam.scanned.spamassassin > 0) {
    out.push('', `Spam filter: hostname-related symbols (${num(s.spam.scanned.rspamd)} Rspamd, ${num(s.spam.scanned.spamassassin)} SpamAssassin verdicts)`);
    if (sym.length === 0) out.push('  none fired');
    else out.push(table(['SYMBOL', 'FIRED', 'SCORE ADDED'], sym.slice(0, top).map(([k, v]) => [t(k, 40), num(v.count), v.score === null ? 'n/a (spamd logs no scores)' : String(v.score)])));
  }
  if (s.time.series.length > 0) {
    const series = s.time.series.length > 48 ? s.time.series.slice(-48) : s.time.series;
    out.push('', `Trend per ${s.time.bucket}${series.length < s.time.series.length ? ` (last 48 of ${s.time.series.length})` : ''}`);
    out.push(table(['START', 'RECEIVED', 'DELIVERED', 'DEFERRALS', 'BOUNCED', 'REJECTED', 'ACCEPT'], series.map((b) => [b.start.slice(0, s.time.bucket === 'hour' ? 16 : 10), num(b.received), num(b.delivered), num(b.deferrals), num(b.bounced), num(b.rejected), pct(b.acceptanceRate)])));
  }
  if (s.unparsed.count > 0) {
    out.push('', `Unparsed lines: ${num(s.unparsed.count)} (first ${s.unparsed.examples.length}):`);
    for (const e of s.unparsed.examples) out.push(`  ${t(e, 160)}`);
  }
  const L = s.limits;
  const lim = Object.entries(L).filter(([, v]) => v > 0);
  if (lim.length > 0) out.push('', `Bounded memory: caps reached (${lim.map(([k, v]) => `${k} ${num(v)}`).join(', ')}); counts past a cap are approximate as described in the README`);
  const targets = heloPtrTargets(s);
  if (targets.length > 0) {
    out.push('', `Next: ${targets.length} destination(s) refused us for HELO or reverse-DNS reasons (${targets.slice(0, 5).map((x) => t(x.domain, 40)).join(', ')}${targets.length > 5 ? ', …' : ''}).`);
    out.push(opts.targetsFile ? `  mxprobe probe -f ${opts.targetsFile} --identities all` : '  Write them with --emit-targets FILE, then: mxprobe probe -f FILE --identities all');
  }
  return `${out.join('\n')}\n`;
}
