/**
 * Self-contained HTML report: one file, inline CSS and SVG, no external assets, no network at view
 * time, readable at phone width and on paper.
 *
 * Safety: every string that came from a server or from the results file (banner, EHLO lines, reply
 * texts, transcript, certificate fields, even target names and option values) goes through `esc`
 * (escapeHtml: strips terminal controls, then escapes & < > " '). Attribute values are always
 * double-quoted. Nothing from data reaches a script, an event handler, a URL or a style; the one
 * inline script is a constant, allowed by a hash in a Content-Security-Policy that also forbids
 * every fetch, so even an escaping mistake could neither run code nor phone home. The page is fully
 * usable without the script (it only adds matrix filtering and opens <details> for printing).
 */
import { createHash } from 'node:crypto';
import type { AlignmentCheck, HostResult, IdentityKind, ProbeResult, RunResult, SmtpReply, Summary, TargetResult, TlsDetails } from '../results.js';
import { escapeHtml } from './sanitize.js';
import { cellOutcome, hostFacts, type CellOutcome, type HostFacts } from './summary.js';
import { renderTransportHtml } from './transport.js';
import { byCodeUnits } from './order.js';

export interface HtmlOptions {
  /** Notes shown under the header (e.g. "interrupted run" warnings from loadResultsDetailed). */
  notes?: readonly string[];
}

const esc = (s: string): string => escapeHtml(s);

const CELL_OUTCOMES: readonly CellOutcome[] = ['accepted', 'rejected', 'deferred', 'not-judged', 'error', 'not-tried'];
const KIND_ORDER: readonly IdentityKind[] = ['primary', 'literal', 'bare-ip', 'short', 'localhost', 'nxdomain', 'mismatch', 'dynamic', 'custom'];
const RECEIVER_CHECKS = ['mx-address', 'mx-cname', 'ptr-exists', 'fcrdns', 'banner-name', 'ehlo-name', 'cert-name'];
const SENDER_CHECKS = ['helo-syntax', 'helo-fqdn', 'helo-resolves', 'helo-addresses-include-ip', 'ptr-exists', 'ptr-matches-helo', 'fcrdns', 'literal-matches-ip', 'helo-generic', 'spf-helo'];

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;--link:#0550ae;
--acc-bg:#d2f4dc;--acc-fg:#0f5323;--rej-bg:#ffdcd7;--rej-fg:#86061d;--def-bg:#fff1b3;--def-fg:#6a4300;
--err-bg:#eddcff;--err-fg:#512a97;--nt-bg:#eef1f4;--nt-fg:#59636e}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;color:var(--fg);background:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1400px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.15rem;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:16px 0 6px}
a{color:var(--link)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted{color:var(--muted)}
.vh{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0;font-size:13px}
.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.notes{background:var(--def-bg);color:var(--def-fg);border-radius:6px;padding:8px 12px;margin:8px 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;margin:12px 0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;break-inside:avoid}
.tile .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.tile .value{font-size:1.6rem;font-weight:600;line-height:1.2}
.tile .sub{font-size:12px;color:var(--muted);overflow-wrap:anywhere;word-break:break-word}
.tile{min-width:0}
.tile .sub .nw{white-space:normal}
.cell .retry{display:block;font-size:12px;font-weight:600}
details.run>summary{font-weight:400;color:var(--muted)}
.nw{white-space:nowrap}
.tile.bad .value{color:var(--rej-fg)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%;position:relative}
/* position:relative above: the visually-hidden spans are absolutely positioned and would otherwise escape the scroll box and widen the page. */
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:var(--card);position:sticky;top:0}
th[scope=row]{background:#fff;font-weight:500;min-width:9rem}
table.caps td{max-width:13rem}table.caps .mono{overflow-wrap:anywhere}
table.caps td:nth-child(4),table.caps td:nth-child(5){min-width:10rem}.num{white-space:nowrap}
.matrix td.cell{min-width:7.5rem;max-width:14rem}
.cell .o{display:block;font-weight:600}
.cell .cause,.cell .code{display:block;font-size:12px;overflow-wrap:anywhere}
.o-accepted{background:var(--acc-bg);color:var(--acc-fg)}
.o-rejected{background:var(--rej-bg);color:var(--rej-fg)}
.o-deferred{background:var(--def-bg);color:var(--def-fg)}
.o-error{background:var(--err-bg);color:var(--err-fg)}
.o-not-judged{background:var(--nt-bg);color:var(--nt-fg)}
.o-not-tried{background:repeating-linear-gradient(135deg,var(--nt-bg) 0 6px,#fff 6px 12px);color:var(--nt-fg)}
.o-empty{background:#fff;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0;padding:0;list-style:none}
.legend li,.legend button{font:inherit;font-size:12px;border:1px solid var(--line);border-radius:999px;padding:2px 10px}
.legend button{cursor:pointer}.legend button[aria-pressed=true]{outline:2px solid var(--fg)}
.matrix.filtered td.cell:not(.hit){opacity:.18}
.pill{display:inline-block;border-radius:999px;padding:0 8px;font-size:12px;font-weight:600}
.s-pass{background:var(--acc-bg);color:var(--acc-fg)}.s-fail{background:var(--rej-bg);color:var(--rej-fg)}
.s-warn{background:var(--def-bg);color:var(--def-fg)}.s-skip{background:var(--nt-bg);color:var(--nt-fg)}
.flag{background:var(--rej-bg);color:var(--rej-fg);font-weight:600}
.yes{color:var(--acc-fg)}.no{color:var(--rej-fg)}
svg.chart{width:100%;max-width:540px;height:auto;display:block}
svg.chart text{font:13px system-ui,sans-serif;fill:var(--fg)}
svg.chart .track{fill:var(--nt-bg)}svg.chart .bar{fill:#2da44e}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 10px;break-inside:avoid-page}
details>summary{cursor:pointer;padding:8px 0;font-weight:600;overflow-wrap:anywhere}
details details{border-radius:6px;margin:6px 0}
details details>summary{font-weight:500}
pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
.transcript .S{color:#0b3d91}.transcript .C{color:#1a7f37}.transcript .I{color:var(--muted);font-style:italic}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 10px}
.kv dt{color:var(--muted)}.kv dd{margin:0;overflow-wrap:anywhere}
footer{margin:32px 0 8px;color:var(--muted);font-size:12px}
@media (max-width:600px){main{padding:10px}h1{font-size:1.25rem}.tile .value{font-size:1.3rem}
.meta,.kv{grid-template-columns:1fr}.meta dd,.kv dd{margin-bottom:4px}
svg.chart text{font-size:15px}}
@media print{body{font-size:11px}main{max-width:none;padding:0}.legend button,.noprint{display:none}
.scroll{overflow:visible}thead th{position:static}a{color:inherit;text-decoration:none}
.tile,tr,pre{break-inside:avoid}h2{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@media print{ul.legend[hidden]{display:flex!important}}
@media print{details::details-content{content-visibility:visible;display:block}}
`;

/**
 * The only script. Constant text, no data: toggles a highlight filter on the identity matrix and
 * opens every <details> before printing (closed ones would print as a bare summary line).
 */
const SCRIPT = `(function(){
var m=document.querySelector('table.matrix');var lg=document.querySelector('ul.legend');if(lg)lg.hidden=true;var bs=document.querySelectorAll('button[data-filter]');
for(var i=0;i<bs.length;i++){bs[i].hidden=false;bs[i].addEventListener('click',function(ev){
var b=ev.currentTarget;var on=b.getAttribute('aria-pressed')!=='true';
for(var j=0;j<bs.length;j++)bs[j].setAttribute('aria-pressed','false');
var cs=m?m.querySelectorAll('td.cell'):[];
for(var k=0;k<cs.length;k++)cs[k].classList.toggle('hit',on&&cs[k].getAttribute('data-outcome')===b.getAttribute('data-filter'));
if(m)m.classList.toggle('filtered',on);b.setAttribute('aria-pressed',on?'true':'false');});}
function openHash(){var id=location.hash.slice(1);var el=id?document.getElementById(id):null;if(el&&el.tagName==='DETAILS')el.open=true;}
window.addEventListener('hashchange',openHash);openHash();
window.addEventListener('beforeprint',function(){var ds=document.querySelectorAll('details');for(var i=0;i<ds.length;i++)ds[i].open=true;});
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT, 'utf8').digest('base64');
/** default-src 'none' blocks every fetch (images, fonts, frames, connect); only our hashed script runs. */
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

function fmtInt(n: number): string {
  return String(Math.round(n));
}

function pct(rate: number | null): string {
  return rate === null ? 'n/a' : `${Math.round(rate * 1000) / 10}%`;
}

function yesNo(v: boolean | null | undefined, yes = 'yes', no = 'no'): string {
  if (v === null || v === undefined) return '<span class="muted">–</span>';
  return v ? `<span class="yes">${yes}</span>` : `<span class="no">${no}</span>`;
}

function hostLabel(h: HostResult): string {
  return h.exchange === h.ip ? `${h.ip}:${h.port}` : `${h.exchange} [${h.ip}]:${h.port}`;
}

function replyText(r: SmtpReply | null): string {
  return r === null ? '' : r.lines.join('\n');
}

interface HostRef {
  t: TargetResult;
  h: HostResult;
  anchor: string;
  facts: HostFacts;
}

/** "key n" items, largest first, each kept on one line (escaped HTML). */
function histogramHtml(rec: Record<string, number | undefined>): string {
  const e = Object.entries(rec).filter((x): x is [string, number] => typeof x[1] === 'number' && x[1] > 0);
  e.sort((a, b) => b[1] - a[1] || byCodeUnits(a[0], b[0]));
  return e.map(([k, v]) => `<span class="nw">${esc(k)} ${v}</span>`).join(' · ');
}

function sumValues(rec: Record<string, number | undefined>, skip?: string): number {
  let n = 0;
  for (const [k, v] of Object.entries(rec)) if (k !== skip && typeof v === 'number') n += v;
  return n;
}

/** "stopAfter" → "stop after": option names read as words, not camelCase. */
function optionLabel(k: string): string {
  return k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/Ms$/, ' (ms)').replace(/Sec$/, ' (s)').toLowerCase();
}

/** An option value as text: lists comma-separated, null as "default", no JSON brackets or quotes. */
function optionValue(v: unknown): string {
  if (v === null || v === undefined) return 'default';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map((x) => (x === null ? 'default' : typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function renderHeader(run: RunResult, opts: HtmlOptions): string {
  const started = Date.parse(run.startedAt);
  const finished = Date.parse(run.finishedAt);
  const dur = Number.isFinite(started) && Number.isFinite(finished) ? `${((finished - started) / 1000).toFixed(1)} s` : 'unknown';
  // The options are folded into a "run" box: the first screen belongs to the results.
  const optRows = `<details class="run"><summary>Run options</summary><dl class="meta">${Object.entries(run.options)
    .map(([k, v]) => `<dt>${esc(optionLabel(k))}</dt><dd class="mono">${esc(optionValue(v))}</dd>`)
    .join('')}</dl></details>`;
  const notes = (opts.notes ?? []).map((n) => `<div class="notes" role="note">${esc(n)}</div>`).join('');
  return `<header>
<h1>mxprobe report</h1>
<dl class="meta"><dt>tool</dt><dd>${esc(run.tool.name)} ${esc(run.tool.version)}</dd>
<dt>started</dt><dd><time datetime="${esc(run.startedAt)}">${esc(run.startedAt)}</time></dd>
<dt>finished</dt><dd><time datetime="${esc(run.finishedAt)}">${esc(run.finishedAt)}</time> (${esc(dur)})</dd>
</dl>${optRows}${notes}
</header>`;
}

/** `subHtml` must already be escaped (built by histogramHtml or from constants via esc). */
function tile(label: string, value: string, subHtml: string, bad = false, key = ''): string {
  return `<div class="tile${bad ? ' bad' : ''}" data-tile="${esc(key)}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="sub">${subHtml}</div></div>`;
}

function renderTiles(s: Summary): string {
  const certProblems = sumValues(s.certificates, 'valid');
  const alignFails = sumValues(s.alignmentFailures);
  const accepted = s.outcomes.accepted ?? 0;
  return `<section aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2><div class="tiles">
${tile('Targets', fmtInt(s.targets), esc(`${s.targetErrors} could not be probed`), s.targetErrors > 0, 'targets')}
${tile('Hosts probed', fmtInt(s.hosts), esc(`${s.probes} probes · EHLO ${s.hostsEhlo} · HELO ${s.hostsHelo}`), false, 'hosts')}
${tile('STARTTLS offered', `${s.hostsStarttls} / ${s.hosts}`, esc(`TLS completed on ${s.hostsTls}`), s.hostsStarttls < s.hosts, 'starttls')}
${tile('TLS versions', fmtInt(sumValues(s.tlsVersions)), histogramHtml(s.tlsVersions) || 'no TLS session', false, 'tls')}
${tile('Certificate problems', fmtInt(certProblems), histogramHtml(s.certificates) || 'no certificate seen', certProblems > 0, 'certs')}
${tile('Alignment failures', fmtInt(alignFails), histogramHtml(s.alignmentFailures) || 'none', alignFails > 0, 'alignment')}
${tile('Probes accepted', `${accepted} / ${s.probes}`, histogramHtml(s.outcomes), false, 'accepted')}
</div></section>`;
}

interface Column {
  key: string;
  kind: string;
  source: string | null;
}

function columnKey(p: ProbeResult): string {
  return `${p.identity.kind}\u0000${p.identity.source ?? ''}`;
}

function matrixColumns(refs: readonly HostRef[]): Column[] {
  const cols = new Map<string, Column>();
  for (const { h } of refs) for (const p of h.probes) if (!cols.has(columnKey(p))) cols.set(columnKey(p), { key: columnKey(p), kind: p.identity.kind, source: p.identity.source });
  const rank = (k: string): number => {
    const i = (KIND_ORDER as readonly string[]).indexOf(k);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return [...cols.values()].sort((a, b) => rank(a.kind) - rank(b.kind) || byCodeUnits(a.kind, b.kind) || byCodeUnits(a.source ?? '', b.source ?? ''));
}

function cellEntry(p: ProbeResult): string {
  const o = cellOutcome(p);
  const v = p.verdict;
  const cause = o === 'not-tried' ? (p.notTried?.reason ?? 'not tried') : o === 'error' ? p.status : o === 'not-judged' ? 'stopped before the receiver judged it' : v.cause;
  const code = [v.code !== null ? String(v.code) : '', v.enhanced ?? '', v.stage !== null ? `at ${v.stage}` : ''].filter((x) => x !== '').join(' ');
  const remedy = v.remedy ?? '';
  // Greylisting: the retry's answer is the one the acceptance bar counts, so the cell says it too.
  const r = p.greylistRetry;
  const retry = r !== undefined ? `<span class="retry">→ ${esc(r.verdict.outcome === 'unknown' ? r.status : r.verdict.outcome)} on retry after ${esc(String(r.afterSeconds))} s</span>` : '';
  return `<span class="o">${esc(o)}</span>${retry}<span class="cause">${esc(cause)}</span>${code !== '' ? `<span class="code mono">${esc(code)}</span>` : ''}${remedy !== '' ? `<span class="vh">Remedy: ${esc(remedy)}</span>` : ''}`;
}

function renderCell(probes: readonly ProbeResult[], col: Column): string {
  if (probes.length === 0) return `<td class="cell o-empty" data-outcome="none" data-kind="${esc(col.kind)}"><span class="muted">–</span><span class="vh">not probed</span></td>`;
  // Several probes in one cell (e.g. two custom names): the worst outcome colours the cell.
  const severity: Record<CellOutcome, number> = { rejected: 5, error: 4, deferred: 3, 'not-judged': 2, 'not-tried': 1, accepted: 0 };
  const outcomes = probes.map(cellOutcome);
  const worst = outcomes.reduce((a, b) => (severity[b] > severity[a] ? b : a));
  const title = probes
    .map((p) => {
      const v = p.verdict;
      const parts = [`HELO ${p.identity.name}: ${cellOutcome(p)}`];
      if (v.text !== null) parts.push(`${v.code ?? ''} ${v.text}`.trim());
      if (p.error !== undefined) parts.push(`${p.error.code}: ${p.error.message}`);
      if (v.remedy !== undefined) parts.push(`Remedy: ${v.remedy}`);
      return parts.join('\n');
    })
    .join('\n\n');
  const body = probes.map(cellEntry).join('<hr>');
  return `<td class="cell o-${worst}" data-outcome="${worst}" data-kind="${esc(col.kind)}" title="${esc(title)}">${body}</td>`;
}

function renderMatrix(refs: readonly HostRef[]): string {
  const cols = matrixColumns(refs);
  if (cols.length === 0) return `<section aria-labelledby="h-matrix"><h2 id="h-matrix">Identity matrix</h2><p class="muted">No probes were made.</p></section>`;
  const anySource = cols.some((c) => c.source !== null);
  const head = cols
    .map((c) => `<th scope="col" data-kind="${esc(c.kind)}">${esc(c.kind)}${anySource ? `<br><span class="muted mono">${esc(c.source ?? 'default source')}</span>` : ''}</th>`)
    .join('');
  const rows = refs
    .filter(({ h }) => h.probes.length > 0)
    .map(({ t, h, anchor }) => {
      const cells = cols.map((c) => renderCell(h.probes.filter((p) => columnKey(p) === c.key), c)).join('');
      return `<tr><th scope="row"><a href="#${anchor}">${esc(h.exchange)}</a><br><span class="muted mono">${esc(h.ip)}:${esc(String(h.port))}</span>${t.kind !== 'ip' && t.input !== h.exchange ? `<br><span class="muted">${esc(t.input)}</span>` : ''}</th>${cells}</tr>`;
    })
    .join('\n');
  const legend = CELL_OUTCOMES.map((o) => `<li class="o-${o}">${o}</li>`).join('');
  const filters = CELL_OUTCOMES.map((o) => `<button type="button" class="o-${o}" data-filter="${o}" aria-pressed="false" hidden>${o}</button>`).join('');
  return `<section aria-labelledby="h-matrix"><h2 id="h-matrix">Identity matrix</h2>
<p class="muted">How each host treated each HELO identity. Hover a cell (or read it with a screen reader) for the server's reply and the remedy.</p>
<ul class="legend" aria-label="Legend">${legend}</ul>
<div class="legend noprint" role="group" aria-label="Highlight cells by outcome">${filters}</div>
<div class="scroll"><table class="matrix"><thead><tr><th scope="col">host</th>${head}</tr></thead><tbody>
${rows}
</tbody></table></div></section>`;
}

function renderChart(s: Summary): string {
  const kinds = Object.keys(s.identities).sort((a, b) => {
    const ra = (KIND_ORDER as readonly string[]).indexOf(a);
    const rb = (KIND_ORDER as readonly string[]).indexOf(b);
    return (ra === -1 ? 99 : ra) - (rb === -1 ? 99 : rb) || byCodeUnits(a, b);
  });
  if (kinds.length === 0) return '';
  const rowH = 30;
  const labelW = 90;
  const barW = 250;
  const h = kinds.length * rowH + 10;
  const rows = kinds
    .map((k, i) => {
      const c = s.identities[k];
      if (c === undefined) return '';
      const y = 5 + i * rowH;
      const decided = c.accepted + c.rejected + c.deferred;
      const w = c.acceptanceRate === null ? 0 : Math.round(c.acceptanceRate * barW * 10) / 10;
      const desc = `${k}: ${pct(c.acceptanceRate)} accepted (${c.accepted} of ${decided} decided; ${c.rejected} rejected, ${c.deferred} deferred, ${c.errors} errors, ${c.notTried} not tried)`;
      return `<g class="row" data-kind="${esc(k)}"><title>${esc(desc)}</title>
<text x="${labelW - 8}" y="${y + 18}" text-anchor="end">${esc(k)}</text>
<rect class="track" x="${labelW}" y="${y + 4}" width="${barW}" height="18" rx="3"/>
<rect class="bar" data-kind="${esc(k)}" data-rate="${esc(String(c.acceptanceRate ?? ''))}" x="${labelW}" y="${y + 4}" width="${w}" height="18" rx="3"/>
<text x="${labelW + barW + 8}" y="${y + 18}">${esc(pct(c.acceptanceRate))} <tspan class="muted" style="fill:#59636e">(${esc(String(c.accepted))}/${esc(String(decided))})</tspan></text></g>`;
    })
    .join('\n');
  return `<section aria-labelledby="h-chart"><h2 id="h-chart">Acceptance rate per identity</h2>
<p class="muted">accepted ÷ (accepted + rejected + deferred); errors and skipped cells are not counted.</p>
<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${labelW + barW + 100} ${h}" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Acceptance rate per HELO identity kind</title>
${rows}</svg></section>`;
}

function tlsCell(tls: TlsDetails | null): string {
  if (tls === null) return '<span class="muted">–</span>';
  // The OpenSSL name is the short one; the IANA name is in the tooltip and the host details.
  const cipher = tls.cipher?.name ?? '';
  return `${esc(tls.protocol ?? 'unknown')}${tls.mode === 'implicit' ? ' <span class="muted">(implicit)</span>' : ''}<br><span class="muted mono" title="${esc(tls.cipher?.standardName ?? '')}">${esc(cipher)}</span>`;
}

/**
 * STARTTLS offered but broken is not a green "yes" (issue 12 B2): it says "broken" and why, since
 * every opportunistic sender then delivers in plaintext.
 */
function starttlsCell(f: HostFacts): string {
  const fail = f.starttlsFailure;
  if (fail === null) return yesNo(f.starttls);
  const why = fail.kind === 'refused' ? `refused: ${fail.reply.code} ${fail.reply.text}` : `handshake failed: ${fail.error.message}`;
  return `<span class="no" title="${esc(why)}">broken</span><br><span class="muted">${esc(fail.kind === 'refused' ? `refused ${fail.reply.code}` : 'handshake failed')}</span>`;
}

/** OpenSSL/Node verification codes in words; the code itself stays beside it. */
const CERT_ERRORS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (private CA)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted here, or the server does not send its intermediate',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate not found',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'incomplete chain: the server does not send its intermediate',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not valid yet',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'bad certificate signature',
  CERT_UNTRUSTED: 'certificate not trusted',
  INVALID_CA: 'invalid CA certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not cover the host name',
};

export function explainCertError(code: string): string {
  const words = CERT_ERRORS[code];
  return words === undefined ? code : `${words} (${code})`;
}

/** SIZE (RFC 1870) in binary units, the exact byte count in the tooltip. */
export function humanSize(n: number): string {
  if (n === 0) return 'no limit';
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MiB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${n} B`;
}

function certCell(f: HostFacts): string {
  if (f.tls === null) return '<span class="muted">–</span>';
  if (f.cert.length === 1 && f.cert[0] === 'valid') return '<span class="yes">valid</span>';
  const err = f.tls.authorizationError !== null ? `<br><span class="muted">${esc(explainCertError(f.tls.authorizationError))}</span>` : '';
  return `<span class="no">${esc(f.cert.join(', ') || 'unknown')}</span>${err}`;
}

function renderCapabilities(refs: readonly HostRef[]): string {
  const rows = refs
    .map(({ h, anchor, facts: f }) => {
      const caps = f.afterTls ?? f.plain;
      const authPlain = f.plain?.auth ?? [];
      const implicit = f.tls?.mode === 'implicit';
      const authBefore =
        authPlain.length > 0 && !implicit
          ? `<td class="flag" title="AUTH offered before TLS: credentials could cross the wire in clear (RFC 4954 §4)">${esc(authPlain.join(' '))} <span class="vh">(flagged: offered before TLS)</span>⚠</td>`
          : `<td>${f.plain !== null ? '<span class="muted">none</span>' : '<span class="muted">–</span>'}</td>`;
      const authAfter = f.afterTls !== null ? esc(f.afterTls.auth.join(' ') || 'none') : '<span class="muted">–</span>';
      const flag = (b: boolean | undefined): string => (caps === null ? '<span class="muted">–</span>' : yesNo(b ?? null));
      const name = f.tls === null ? '<span class="muted">–</span>' : yesNo(f.tls.nameMatches, 'match', 'mismatch');
      return `<tr data-host="${esc(h.exchange)}"><th scope="row"><a href="#${anchor}">${esc(hostLabel(h))}</a></th>
<td>${f.greeting !== null && f.greeting !== undefined ? esc(String(f.greeting)) : '<span class="muted">–</span>'}</td><td>${implicit ? 'n/a' : starttlsCell(f)}</td><td>${f.tls === null && f.starttlsFailure !== null ? '<span class="no">none (plaintext)</span>' : tlsCell(f.tls)}</td><td>${certCell(f)}</td><td>${name}</td>
${authBefore}<td>${authAfter}</td><td class="num">${caps?.size !== null && caps?.size !== undefined ? `<span title="${esc(String(caps.size))} bytes">${esc(humanSize(caps.size))}</span>` : '<span class="muted">–</span>'}</td>
<td>${flag(caps?.smtpUtf8)}</td><td>${flag(caps?.pipelining)}</td><td>${flag(caps?.chunking)}</td><td>${flag(caps?.requireTls)}</td></tr>`;
    })
    .join('\n');
  return `<section aria-labelledby="h-caps"><h2 id="h-caps">Capability audit</h2>
<div class="scroll"><table class="caps"><thead><tr><th scope="col">host</th><th scope="col">greeting</th><th scope="col">STARTTLS</th><th scope="col">TLS</th><th scope="col">certificate</th><th scope="col">cert name</th><th scope="col">AUTH before TLS</th><th scope="col">AUTH after TLS</th><th scope="col">SIZE</th><th scope="col">SMTPUTF8</th><th scope="col">PIPELINING</th><th scope="col">CHUNKING</th><th scope="col">REQUIRETLS</th></tr></thead><tbody>
${rows || '<tr><td colspan="13" class="muted">No hosts.</td></tr>'}
</tbody></table></div></section>`;
}

function checkIds(known: readonly string[], checks: Iterable<AlignmentCheck>): string[] {
  const seen = new Set<string>();
  for (const c of checks) seen.add(c.id);
  return [...known.filter((k) => seen.has(k)), ...[...seen].filter((k) => !known.includes(k)).sort()];
}

function checkCell(c: AlignmentCheck | undefined): string {
  if (c === undefined) return '<td><span class="muted">–</span></td>';
  return `<td title="${esc(c.detail)}"><span class="pill s-${esc(c.status)}">${esc(c.status)}</span><span class="vh"> ${esc(c.detail)}</span></td>`;
}

function renderAlignment(refs: readonly HostRef[]): string {
  const withChecks = refs.filter(({ h }) => (h.alignment?.checks.length ?? 0) > 0);
  const rIds = checkIds(RECEIVER_CHECKS, withChecks.flatMap(({ h }) => h.alignment?.checks ?? []));
  const receiver =
    withChecks.length === 0
      ? '<p class="muted">No receiver-side checks recorded.</p>'
      : `<div class="scroll"><table class="align-receiver"><thead><tr><th scope="col">host</th>${rIds.map((id) => `<th scope="col">${esc(id)}</th>`).join('')}</tr></thead><tbody>
${withChecks.map(({ h, anchor }) => `<tr><th scope="row"><a href="#${anchor}">${esc(hostLabel(h))}</a></th>${rIds.map((id) => checkCell(h.alignment?.checks.find((c) => c.id === id))).join('')}</tr>`).join('\n')}
</tbody></table></div>`;

  // Sender-side checks depend on the identity and source, not on the receiving host: show each
  // distinct (kind, name, source) once, with the targets it was declared to.
  const senderRows: Array<{ label: string; targets: string[]; checks: AlignmentCheck[] }> = [];
  const byKey = new Map<string, { label: string; targets: string[]; checks: AlignmentCheck[] }>();
  for (const { t, h } of refs) {
    for (const p of h.probes) {
      const checks = p.alignment?.checks ?? [];
      if (checks.length === 0) continue;
      const key = `${p.identity.kind}\u0000${p.identity.name}\u0000${p.identity.source ?? ''}`;
      const row = byKey.get(key);
      if (row) {
        if (!row.targets.includes(t.input)) row.targets.push(t.input);
        continue;
      }
      const fresh = { targets: [t.input], label: `${p.identity.kind}: ${p.identity.name}${p.identity.source !== null ? ` from ${p.identity.source}` : ''}`, checks };
      byKey.set(key, fresh);
      senderRows.push(fresh);
    }
  }
  const sIds = checkIds(SENDER_CHECKS, senderRows.flatMap((r) => r.checks));
  const sender =
    senderRows.length === 0
      ? '<p class="muted">No sender-side checks recorded.</p>'
      : `<div class="scroll"><table class="align-sender"><thead><tr><th scope="col">identity</th><th scope="col">targets</th>${sIds.map((id) => `<th scope="col">${esc(id)}</th>`).join('')}</tr></thead><tbody>
${senderRows.map((r) => `<tr><th scope="row" class="mono">${esc(r.label)}</th><td>${esc(r.targets.length > 3 ? `${r.targets.slice(0, 3).join(', ')} +${r.targets.length - 3}` : r.targets.join(', '))}</td>${sIds.map((id) => checkCell(r.checks.find((c) => c.id === id))).join('')}</tr>`).join('\n')}
</tbody></table></div>`;
  return `<section aria-labelledby="h-align"><h2 id="h-align">Alignment</h2>
<h3>Receiver side (MX → address → PTR → forward-confirmed, banner/EHLO/certificate names)</h3>${receiver}
<h3>Sender side (our HELO identity and source address)</h3>${sender}</section>`;
}

function kv(pairs: ReadonlyArray<[string, string | null | undefined]>): string {
  const items = pairs.filter((p): p is [string, string] => p[1] !== null && p[1] !== undefined && p[1] !== '');
  if (items.length === 0) return '';
  return `<dl class="kv">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

function nameValue(rec: Record<string, string | string[]>): string {
  return Object.entries(rec)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function renderTls(tls: TlsDetails | null): string {
  if (tls === null) return '';
  const c = tls.certificate;
  return `<h4>TLS</h4>${kv([
    ['mode', tls.mode],
    ['SNI', tls.servername],
    ['protocol', tls.protocol],
    ['cipher', tls.cipher !== null ? `${tls.cipher.standardName} (${tls.cipher.name})` : null],
    ['chain', tls.authorized ? 'verified' : `not verified: ${explainCertError(tls.authorizationError ?? 'unknown')}`],
    ['name', tls.nameMatches === null ? 'not checked' : tls.nameMatches ? 'matches' : `mismatch: ${tls.nameError ?? ''}`],
    ['subject', c !== null ? nameValue(c.subject) : null],
    ['SAN', c !== null ? c.subjectAltNames.join(', ') : null],
    ['issuer', c !== null ? nameValue(c.issuer) : null],
    ['valid', c !== null ? `${c.validFrom} → ${c.validTo}` : null],
    ['self-signed', c !== null ? (c.selfSigned ? 'yes' : 'no') : null],
    ['SHA-256', c !== null ? c.fingerprint256 : null],
  ])}`;
}

function renderTranscript(p: ProbeResult): string {
  if (p.transcript.length === 0) return '<p class="muted">No transcript.</p>';
  const lines = p.transcript.map((l) => `<span class="${l.dir === 'S' || l.dir === 'C' || l.dir === 'I' ? l.dir : 'I'}">${esc(String(l.t).padStart(6))} ${esc(String(l.dir))}: ${esc(String(l.line))}</span>`).join('\n');
  return `<pre class="transcript" aria-label="SMTP transcript">${lines}</pre>`;
}

function renderProbe(p: ProbeResult): string {
  const o = cellOutcome(p);
  const v = p.verdict;
  const checks = p.alignment?.checks ?? [];
  return `<details class="probe"><summary><span class="pill o-${o}">${esc(o)}</span> ${esc(p.identity.kind)}: <span class="mono">${esc(p.identity.name)}</span>${p.identity.source !== null ? ` from ${esc(p.identity.source)}` : ''}</summary>
${kv([
  ['status', p.status],
  ['error', p.error !== undefined ? `${p.error.code}: ${p.error.message}` : null],
  ['not tried', p.notTried?.reason],
  ['verdict', `${v.outcome}${v.stage !== null ? ` at ${v.stage}` : ''}${v.code !== null ? ` (${v.code}${v.enhanced !== null ? ` ${v.enhanced}` : ''})` : ''}`],
  ['reply', v.text],
  ['cause', v.cause],
  ['remedy', v.remedy],
  ['reached', p.reached],
  ['local', p.local !== null ? `${p.local.address}:${p.local.port}` : null],
  ['server saw us as', p.observedClientIp],
  ['greylist retry', p.greylistRetry !== undefined ? `after ${p.greylistRetry.afterSeconds}s: ${p.greylistRetry.verdict.outcome} (${p.greylistRetry.status})` : null],
  ['sender checks', checks.map((c) => `${c.id} ${c.status}: ${c.detail}`).join('\n')],
  ['time', `${p.timings.total} ms`],
])}
${renderTranscript(p)}</details>`;
}

function renderHostDetails(refs: readonly HostRef[], targets: readonly TargetResult[]): string {
  const hostParts = refs.map(({ t, h, anchor, facts: f }) => {
    const counts = new Map<CellOutcome, number>();
    for (const p of h.probes) counts.set(cellOutcome(p), (counts.get(cellOutcome(p)) ?? 0) + 1);
    const countText = CELL_OUTCOMES.filter((o) => counts.has(o)).map((o) => `${counts.get(o)} ${o}`).join(', ');
    const rep = f.representative;
    const ehlo = rep?.greeting?.ehloReply ?? null;
    const rchecks = h.alignment?.checks ?? [];
    return `<details class="host" id="${anchor}"><summary>${esc(hostLabel(h))} <span class="muted">— ${esc(t.input)} — ${esc(countText || 'no probes')}</span></summary>
${kv([
  ['target', `${t.input} (${t.origin})`],
  ['MX', t.mx.length > 0 ? t.mx.map((m) => `${m.priority} ${m.exchange}${m.implicit ? ' (implicit)' : ''}`).join(', ') : null],
  ['family', `IPv${h.family}`],
])}
${rep?.banner ? `<h4>Banner</h4><pre class="banner">${esc(replyText(rep.banner))}</pre>` : ''}
${ehlo !== null ? `<h4>EHLO reply</h4><pre class="ehlo">${esc(replyText(ehlo))}</pre>` : ''}
${rep?.greeting?.command === 'HELO' ? `<h4>HELO reply</h4><pre>${esc(replyText(rep.greeting.reply))}</pre>` : ''}
${renderTls(f.tls)}
${rchecks.length > 0 ? `<h4>Receiver checks</h4><ul>${rchecks.map((c) => `<li><span class="pill s-${esc(c.status)}">${esc(c.status)}</span> ${esc(c.id)}: ${esc(c.detail)}</li>`).join('')}</ul>` : ''}
<h4>Probes</h4>
${h.probes.map(renderProbe).join('\n')}
</details>`;
  });
  const unprobed = targets.filter((t) => t.hosts.length === 0);
  // Exchangers whose address lookup failed beside probed ones (dns.unresolved): not probed either.
  // And those whose name has no address (dns.noAddress: a backup MX that does not exist).
  const unresolved = targets.flatMap((t) => [...(t.dns.unresolved ?? []), ...(t.dns.noAddress ?? [])].map((u) => ({ t, u })));
  const unprobedHtml =
    unprobed.length === 0 && unresolved.length === 0
      ? ''
      : `<h3>Targets not probed</h3><ul class="unprobed">${unprobed.map((t) => `<li><span class="mono">${esc(t.input)}</span> <span class="muted">(${esc(t.origin)})</span>: DNS ${esc(t.dns.status)}${t.dns.detail !== undefined ? ` — ${esc(t.dns.detail)}` : ''}</li>`).join('')}${unresolved.map(({ t, u }) => `<li><span class="mono">${esc(t.input)}</span> MX <span class="mono">${esc(u.exchange)}</span> <span class="muted">(${esc(t.origin)})</span>: DNS ${esc(u.status)}${u.detail !== undefined ? ` — ${esc(u.detail)}` : ''}</li>`).join('')}</ul>`;
  return `<section aria-labelledby="h-hosts"><h2 id="h-hosts">Hosts</h2>${hostParts.join('\n')}${unprobedHtml}</section>`;
}

/** One self-contained HTML document for a run. Pure: same input, same output. */
export function renderHtml(run: RunResult, opts: HtmlOptions = {}): string {
  const refs: HostRef[] = [];
  let n = 0;
  for (const t of run.targets) for (const h of t.hosts) refs.push({ t, h, anchor: `host-${++n}`, facts: hostFacts(h) });
  const title = run.targets.length === 1 && run.targets[0] !== undefined ? `mxprobe: ${run.targets[0].input}` : `mxprobe: ${run.targets.length} targets`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="mxprobe ${esc(run.tool.version)}">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body><main>
${renderHeader(run, opts)}
${renderTiles(run.summary)}
${renderMatrix(refs)}
${renderChart(run.summary)}
${renderCapabilities(refs)}
${renderAlignment(refs)}
${renderTransportHtml(run.targets)}
${renderHostDetails(refs, run.targets)}
<footer>Generated by ${esc(run.tool.name)} ${esc(run.tool.version)} from results schema v${esc(String(run.schemaVersion))}. Server text is shown escaped and stripped of control characters.</footer>
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
export { CSS as REPORT_CSS };
