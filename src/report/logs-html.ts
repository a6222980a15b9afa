/**
 * `mxprobe logs --format html`: one self-contained page in the probe report's style (REPORT_CSS from
 * html.ts), with three inline SVG charts: acceptance over time, causes per relay, top refusing
 * destinations. No script at all, and a Content-Security-Policy that forbids every fetch, so a
 * hostile reply text, even if an escaping mistake let it through, could neither run nor phone home.
 * Every log-derived string goes through escapeHtml (controls stripped, & < > " ' escaped).
 */
import { HELO_PTR_CAUSES } from '../logs/aggregate.js';
import type { LogRun } from '../logs/run.js';
import { heloPtrTargets } from '../logs/targets.js';
import { VERSION } from '../version.js';
import { REPORT_CSS } from './html.js';
import { escapeHtml, truncate } from './sanitize.js';

const esc = (s: string): string => escapeHtml(s);
const cut = (s: string, n: number): string => esc(truncate(s, n));
const pct = (r: number | null): string => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
const num = (n: number): string => n.toLocaleString('en-US');
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const EXTRA_CSS = `
svg.chart .def{fill:#d4a72c}svg.chart .rej{fill:#cf222e}svg.chart .acc{fill:#2da44e}svg.chart .line{fill:none;stroke:#0550ae;stroke-width:2}
svg.chart .axis{stroke:var(--line)}svg.chart .c-hp{fill:#cf222e}svg.chart .c-other{fill:#8c959f}
.hp{font-weight:600;color:var(--rej-fg)}
svg.chart.wide{max-width:900px}`;

/** Acceptance per time bucket: a line over 0–100%, one point per bucket that had final outcomes. */
function acceptanceChart(run: LogRun): string {
  const series = run.summary.time.series.slice(-200);
  const pts = series.map((b, i) => ({ i, r: b.acceptanceRate, label: b.start }));
  const known = pts.filter((p) => p.r !== null);
  if (known.length === 0) return '<p class="muted">No delivered or bounced message with a time stamp: no acceptance trend to draw.</p>';
  const W = 860;
  const H = 220;
  const L = 44;
  const B = 30;
  const step = pts.length > 1 ? (W - L - 10) / (pts.length - 1) : 0;
  const x = (i: number): number => L + i * step + (pts.length === 1 ? (W - L) / 2 : 0);
  const y = (r: number): number => 10 + (1 - r) * (H - B - 10);
  const path = known.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.i).toFixed(1)},${y(p.r as number).toFixed(1)}`).join(' ');
  const dots = known.map((p) => `<circle cx="${x(p.i).toFixed(1)}" cy="${y(p.r as number).toFixed(1)}" r="3" class="acc"><title>${esc(p.label)}: ${pct(p.r)}</title></circle>`).join('');
  const grid = [0, 0.5, 1].map((r) => `<line class="axis" x1="${L}" x2="${W - 5}" y1="${y(r)}" y2="${y(r)}"/><text x="2" y="${y(r) + 4}">${r * 100}%</text>`).join('');
  const first = series[0]?.start ?? '';
  const last = series[series.length - 1]?.start ?? '';
  return `<svg class="chart wide" role="img" aria-labelledby="ch-acc" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg"><title id="ch-acc">Acceptance rate per ${esc(run.summary.time.bucket)}</title>${grid}<path class="line" d="${path}"/>${dots}<text x="${L}" y="${H - 8}">${esc(first)}</text><text x="${W - 5}" y="${H - 8}" text-anchor="end">${esc(last)}</text></svg>`;
}

/** Stacked bar per relay: refusals split into HELO/reverse-DNS causes and the rest. */
function relayCausesChart(run: LogRun): string {
  const relays = run.summary.relays.filter((r) => Object.keys(r.causes).length > 0).slice(0, 20);
  if (relays.length === 0) return '<p class="muted">No outbound refusal in these logs.</p>';
  const rowH = 26;
  const labelW = 160;
  const barW = 380;
  const max = Math.max(...relays.map((r) => Object.values(r.causes).reduce((a, b) => a + b, 0)));
  const rows = relays
    .map((r, i) => {
      const hp = Object.entries(r.causes).filter(([c]) => HELO_PTR_CAUSES.has(c as never)).reduce((a, [, v]) => a + v, 0);
      const all = Object.values(r.causes).reduce((a, b) => a + b, 0);
      const wHp = (hp / max) * barW;
      const wOther = ((all - hp) / max) * barW;
      const yy = i * rowH;
      const detail = Object.entries(r.causes).map(([c, v]) => `${c} ${v}`).join(', ');
      return `<g><title>${cut(r.relay, 80)}: ${esc(detail)}</title><text x="0" y="${yy + 17}">${cut(r.relay, 22)}</text><rect class="c-hp" x="${labelW}" y="${yy + 4}" width="${wHp.toFixed(1)}" height="18"/><rect class="c-other" x="${(labelW + wHp).toFixed(1)}" y="${yy + 4}" width="${wOther.toFixed(1)}" height="18"/><text x="${(labelW + wHp + wOther + 6).toFixed(1)}" y="${yy + 17}">${hp} HELO/PTR · ${all - hp} other</text></g>`;
    })
    .join('');
  return `<svg class="chart" role="img" aria-labelledby="ch-rel" viewBox="0 0 ${labelW + barW + 160} ${relays.length * rowH + 6}" xmlns="http://www.w3.org/2000/svg"><title id="ch-rel">Refusal causes per relay (red: HELO or reverse DNS)</title>${rows}</svg>`;
}

/** Top destinations by refusals (deferrals + bounces). */
function topRefusersChart(run: LogRun): string {
  const d = run.summary.destinations
    .map((x) => ({ domain: x.domain, n: x.deferrals + x.bounced, hp: Object.keys(x.causes).some((c) => HELO_PTR_CAUSES.has(c as never)) }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)
    .slice(0, 15);
  if (d.length === 0) return '<p class="muted">No destination refused or deferred a message.</p>';
  const rowH = 26;
  const labelW = 200;
  const barW = 340;
  const max = Math.max(...d.map((x) => x.n));
  const rows = d
    .map((x, i) => `<g><title>${cut(x.domain, 120)}: ${x.n} refusals</title><text x="0" y="${i * rowH + 17}">${cut(x.domain || '(none)', 28)}</text><rect class="${x.hp ? 'c-hp' : 'c-other'}" x="${labelW}" y="${i * rowH + 4}" width="${((x.n / max) * barW).toFixed(1)}" height="18"/><text x="${(labelW + (x.n / max) * barW + 6).toFixed(1)}" y="${i * rowH + 17}">${num(x.n)}</text></g>`)
    .join('');
  return `<svg class="chart" role="img" aria-labelledby="ch-top" viewBox="0 0 ${labelW + barW + 80} ${d.length * rowH + 6}" xmlns="http://www.w3.org/2000/svg"><title id="ch-top">Top refusing destinations (red: a HELO or reverse-DNS cause among them)</title>${rows}</svg>`;
}

function causeList(c: Record<string, number>): string {
  const e = Object.entries(c);
  if (e.length === 0) return '–';
  return e.map(([k, v]) => `<span class="${HELO_PTR_CAUSES.has(k as never) ? 'hp' : ''}">${esc(k)}</span> ${v}`).join(', ');
}

function tbl(head: string[], rows: string[][], cls = ''): string {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

export function renderLogsHtml(run: LogRun, opts: { top?: number; targetsFile?: string | null } = {}): string {
  const top = opts.top ?? 50;
  const s = run.summary;
  const T = s.totals;
  const tile = (label: string, value: number, sub = '', bad = false): string => `<div class="tile${bad ? ' bad' : ''}"><div class="label">${esc(label)}</div><div class="value">${num(value)}</div><div class="sub">${sub}</div></div>`;
  const errors = run.files.filter((f) => f.error).map((f) => `<li>${cut(f.error?.message ?? '', 300)}</li>`);
  const targets = heloPtrTargets(s);
  const parts: string[] = [];
  parts.push(`<header><h1>mxprobe logs</h1><dl class="meta"><dt>Sources</dt><dd>${run.files.map((f) => `<span class="mono">${cut(f.file, 120)}</span> (${num(f.lines)} lines${f.gzip ? ', gzip' : ''})`).join(', ')}</dd><dt>Time range</dt><dd>${esc(s.time.first ?? '–')} … ${esc(s.time.last ?? '–')}</dd><dt>Lines</dt><dd>${num(s.lines.total)} read, ${num(s.unparsed.count)} unparsed</dd></dl>${errors.length > 0 ? `<div class="notes" role="alert"><ul>${errors.join('')}</ul></div>` : ''}</header>`);
  parts.push(`<section aria-labelledby="h-tot"><h2 id="h-tot">Totals</h2><div class="tiles">${tile('received', T.received)}${tile('delivered', T.delivered, `${num(T.deliveredAfterDeferral)} after a deferral`)}${tile('deferred', T.deferred, `${num(T.deferrals)} deferrals`)}${tile('bounced', T.bounced, '', T.bounced > 0)}${tile('rejected (inbound)', T.rejected)}</div></section>`);
  parts.push(`<section aria-labelledby="h-charts"><h2 id="h-charts">Charts</h2><h3>Acceptance over time (per ${esc(s.time.bucket)})</h3>${acceptanceChart(run)}<h3>Causes per relay</h3>${relayCausesChart(run)}<h3>Top refusing destinations</h3>${topRefusersChart(run)}</section>`);
  parts.push(
    `<section aria-labelledby="h-rel"><h2 id="h-rel">Outbound by relay</h2>${tbl(
      ['Relay', 'Sent', 'Deferred', 'Deferrals', 'Bounced', 'After deferral', 'Acceptance', 'Causes'],
      s.relays.filter((r) => r.sent + r.deferrals + r.bounced > 0).map((r) => [`<span class="mono">${cut(r.relay, 80)}</span>`, num(r.sent), num(r.deferred), num(r.deferrals), num(r.bounced), num(r.deliveredAfterDeferral), pct(r.acceptanceRate), causeList(r.causes)]),
    )}<h3>Refusals by relay, destination and cause</h3>${tbl(
      ['Relay', 'Destination', 'Cause', 'Deferrals', 'Bounced'],
      s.refusals.slice(0, top).map((r) => [`<span class="mono">${cut(r.relay, 80)}</span>`, `<span class="mono">${cut(r.domain, 120)}</span>`, `<span class="${r.heloOrPtr ? 'hp' : ''}">${esc(r.cause)}</span>`, num(r.deferrals), num(r.bounced)]),
    )}</section>`,
  );
  const drows: string[][] = [];
  for (const d of s.destinations.filter((x) => x.sent + x.deferrals + x.bounced > 0).slice(0, top)) {
    drows.push([`<strong class="mono">${cut(d.domain || '(none)', 120)}</strong>`, num(d.sent), num(d.deferred), num(d.deferrals), num(d.bounced), pct(d.acceptanceRate), causeList(d.causes)]);
    for (const m of d.mx.slice(0, 8)) drows.push([`<span class="mono">&nbsp;&nbsp;${cut(m.host ?? '?', 80)}${m.ip ? ` [${cut(m.ip, 45)}]` : ''}</span>`, num(m.sent), num(m.deferred), num(m.deferrals), num(m.bounced), pct(m.acceptanceRate), '']);
  }
  parts.push(`<section aria-labelledby="h-dst"><h2 id="h-dst">Destinations and MX hosts</h2>${tbl(['Destination / MX', 'Sent', 'Deferred', 'Deferrals', 'Bounced', 'Acceptance', 'Causes'], drows)}</section>`);
  parts.push(
    `<section aria-labelledby="h-rep"><h2 id="h-rep">Refusal replies</h2><p class="muted">Full texts, with queue ids, addresses, IPs and tokens normalised so identical refusals group.</p>${tbl(
      ['Count', 'Cause', 'Stage', 'Reply'],
      s.replies.slice(0, top).map((r) => [num(r.count), `<span class="${HELO_PTR_CAUSES.has(r.cause) ? 'hp' : ''}">${esc(r.cause)}</span>`, esc(r.stage ?? '–'), `<span class="mono">${cut(`${r.code ?? ''} ${r.text}`.trim(), 400)}</span>`]),
    )}</section>`,
  );
  const I = s.inbound;
  parts.push(
    `<section aria-labelledby="h-in"><h2 id="h-in">Inbound: HELO checks</h2>${tbl(['Check', 'Rejections'], Object.entries(I.rejects).map(([k, v]) => [`<span class="mono">${esc(k)}</span>`, num(v)]))}<h3>HELO names seen</h3>${tbl(
      ['HELO', 'Count', 'Form'],
      I.heloNames.slice(0, top).map((h) => [`<span class="mono">${cut(h.name, 120)}</span>`, num(h.count), esc(h.form)]),
    )}<h3>Share that would fail each rule</h3>${tbl(['Rule', 'Failing', 'Observed', 'Share'], I.heloRules.map((r) => [`<span class="mono">${esc(r.rule)}</span>`, num(r.failing), num(r.observed), pct(r.share)]))}</section>`,
  );
  parts.push(
    `<section aria-labelledby="h-spam"><h2 id="h-spam">Spam filter: hostname-related symbols</h2><p class="muted">${num(s.spam.scanned.rspamd)} Rspamd and ${num(s.spam.scanned.spamassassin)} SpamAssassin verdicts.</p>${tbl(
      ['Symbol', 'Fired', 'Score added'],
      Object.entries(s.spam.symbols).slice(0, top).map(([k, v]) => [`<span class="mono">${cut(k, 60)}</span>`, num(v.count), v.score === null ? 'not logged' : esc(String(v.score))]),
    )}</section>`,
  );
  if (s.unparsed.count > 0) parts.push(`<section aria-labelledby="h-unp"><h2 id="h-unp">Unparsed lines: ${num(s.unparsed.count)}</h2><pre>${s.unparsed.examples.map((e) => esc(truncate(e, 300))).join('\n')}</pre></section>`);
  if (targets.length > 0) {
    parts.push(`<section aria-labelledby="h-next"><h2 id="h-next">Next: probe the destinations that refused us for HELO or reverse DNS</h2><p>${targets.slice(0, top).map((t) => `<span class="mono">${cut(t.domain, 120)}</span>`).join(', ')}</p><pre>mxprobe logs … --emit-targets ${esc(opts.targetsFile ?? 'FILE')}\nmxprobe probe -f ${esc(opts.targetsFile ?? 'FILE')} --identities all</pre></section>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="mxprobe ${esc(VERSION)}">
<title>mxprobe logs</title>
<style>${REPORT_CSS}${EXTRA_CSS}</style></head>
<body><main>
${parts.join('\n')}
<footer>Generated by mxprobe ${esc(VERSION)} logs. Log text is shown escaped and stripped of control characters.</footer>
</main></body></html>
`;
}
