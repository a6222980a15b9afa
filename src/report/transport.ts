/**
 * Transport security (DANE, MTA-STS, TLS-RPT) in the table and HTML reports (pure). Every value
 * that came from DNS or a policy file is hostile until escaped: stripControl for the terminal,
 * escapeHtml for the page.
 */
import type { TargetResult } from '../results.js';
import { escapeHtml, stripControl, truncate } from './sanitize.js';

function hasTransport(t: TargetResult): boolean {
  return t.transport !== undefined || t.hosts.some((h) => h.transport?.dane !== undefined);
}

/** The plain-text block under the table: one summary line per target, one DANE line per host. */
export const TRANSPORT_HEADING = 'Transport security (DANE, MTA-STS, TLS-RPT):';

/** One target's transport-security lines (none when nothing was checked), for the table. */
export function transportTextLines(t: TargetResult): string[] {
  if (!hasTransport(t)) return [];
  const lines: string[] = [];
  const label = stripControl(t.displayDomain ?? t.domain ?? t.input);
  lines.push(`  ${label}: ${stripControl(t.transport?.summary ?? '')}`);
  const sts = t.transport?.mtaSts;
  if (sts) lines.push(`    MTA-STS ${sts.status}${sts.mode ? ` mode=${sts.mode}` : ''}${sts.id ? ` id=${stripControl(sts.id)}` : ''}${sts.mx.length ? ` mx=${stripControl(sts.mx.join(','))}` : ''}${sts.error ? ` (${truncate(stripControl(sts.error), 120)})` : ''}`);
  const rpt = t.transport?.tlsRpt;
  if (rpt) lines.push(`    TLS-RPT ${rpt.status}${rpt.rua.length ? ` rua=${stripControl(rpt.rua.join(','))}` : ''}${rpt.error ? ` (${truncate(stripControl(rpt.error), 120)})` : ''}`);
  for (const h of t.hosts) {
    const d = h.transport?.dane;
    if (!d) continue;
    const m = d.matched ? ` matched ${d.matched.usage} ${d.matched.selector} ${d.matched.matchingType}` : '';
    lines.push(`    ${stripControl(h.exchange)} ${h.ip}: DANE ${d.status} (dnssec ${d.dnssec}, ${d.records.length} TLSA)${m}${d.detail ? `: ${truncate(stripControl(d.detail), 120)}` : ''}`);
  }
  return lines;
}

export function renderTransportText(targets: readonly TargetResult[]): string {
  const lines = targets.flatMap(transportTextLines);
  return lines.length ? `${TRANSPORT_HEADING}\n${lines.join('\n')}` : '';
}

const esc = escapeHtml;

/** The HTML section: per domain, the summary line, then MTA-STS, TLS-RPT and a DANE row per host. */
export function renderTransportHtml(targets: readonly TargetResult[]): string {
  const parts: string[] = [];
  for (const t of targets) {
    if (!hasTransport(t)) continue;
    const label = t.displayDomain ?? t.domain ?? t.input;
    const sts = t.transport?.mtaSts;
    const rpt = t.transport?.tlsRpt;
    const rows = t.hosts
      .filter((h) => h.transport?.dane)
      .map((h) => {
        const d = h.transport?.dane;
        if (!d) return '';
        const recs = d.records.map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${truncate(r.data, 24)}${r.usable ? '' : ` (unusable: ${r.problem ?? ''})`}`).join('<br>');
        const sh = sts?.hosts?.find((x) => x.ip === h.ip && x.exchange === h.exchange);
        return `<tr><td class="mono">${esc(h.exchange)}</td><td class="mono">${esc(h.ip)}</td><td>${esc(d.status)}</td><td>${esc(d.dnssec)}</td><td class="mono">${recs
          .split('<br>')
          .map(esc)
          .join('<br>')}</td><td>${esc(d.detail ?? '')}</td><td>${sh ? `${esc(sh.status)}: ${esc(sh.detail)}` : ''}</td></tr>`;
      })
      .join('');
    parts.push(`<h3>${esc(label)}</h3>
<p class="summary-line">${esc(t.transport?.summary ?? '')}</p>
${sts ? `<p>MTA-STS: <strong>${esc(sts.status)}</strong>${sts.mode ? `, mode ${esc(sts.mode)}` : ''}${sts.id ? `, id ${esc(sts.id)}` : ''}${sts.maxAge !== null ? `, max_age ${esc(String(sts.maxAge))}` : ''}${sts.mx.length ? `, mx ${esc(sts.mx.join(', '))}` : ''}${sts.error ? ` — ${esc(sts.error)}` : ''}</p>` : ''}
${rpt ? `<p>TLS-RPT: <strong>${esc(rpt.status)}</strong>${rpt.rua.length ? ` — reports to ${esc(rpt.rua.join(', '))}` : ''}${rpt.error ? ` — ${esc(rpt.error)}` : ''}</p>` : ''}
${rows ? `<div class="scroll"><table><thead><tr><th>MX</th><th>IP</th><th>DANE</th><th>DNSSEC</th><th>TLSA records</th><th>detail</th><th>MTA-STS</th></tr></thead><tbody>${rows}</tbody></table></div>` : ''}`);
  }
  if (parts.length === 0) return '';
  return `<section aria-labelledby="h-transport"><h2 id="h-transport">Transport security</h2>
<p class="muted">DANE (RFC 7672) per MX host, MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) per domain. DNSSEC status comes from the resolver's AD bit: it needs a validating resolver.</p>
${parts.join('\n')}</section>`;
}
