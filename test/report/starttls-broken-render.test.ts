/**
 * Issue 12 B2 and B7 in the renderers: a host whose STARTTLS is broken is never a green "yes"
 * next to TLS "–", and ENETUNREACH is its own status in table, summary and CSV.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProbeResult, RunResult } from '../../src/results.js';
import { renderHtml } from '../../src/report/html.js';
import { renderTable } from '../../src/report/table.js';
import { csvHeader, renderCsv } from '../../src/report/csv.js';
import { hostFacts, summarize } from '../../src/report/summary.js';
import { evaluatePolicy, parsePolicy } from '../../src/analysis/policy.js';

const load = (): RunResult => JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

/** mx1.example.com as if its key were broken: STARTTLS advertised, 454, no TLS. */
function brokenRun(): RunResult {
  const run = load();
  const host = run.targets[0]!.hosts[0]!;
  for (const p of host.probes) {
    p.tls = null;
    p.capabilities.tls = null;
    if (p.capabilities.plain?.starttls) {
      p.starttlsFailure = { kind: 'refused', reply: { code: 454, enhanced: '4.7.0', lines: ['454 4.7.0 TLS not available due to local problem'], text: '4.7.0 TLS not available due to local problem', bareLf: false }, fallback: 'same-session' };
    }
  }
  run.summary = summarize(run.targets);
  return run;
}

/** The HTML capabilities row of one host. */
function capsRow(html: string, exchange: string): string {
  const m = new RegExp(`<tr data-host="${exchange.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(html);
  if (!m) throw new Error(`no caps row for ${exchange}`);
  return m[1] ?? '';
}

describe('broken STARTTLS in the reports (B2)', () => {
  it('hostFacts carries the failure', () => {
    expect(hostFacts(brokenRun().targets[0]!.hosts[0]!).starttlsFailure).toMatchObject({ kind: 'refused', reply: { code: 454 } });
  });

  it('HTML: STARTTLS says "broken" with the reply, not a green "yes" beside TLS "–"', () => {
    // Cells after the host header: greeting, STARTTLS, TLS, ...
    const cells = (exchange: string) => capsRow(renderHtml(brokenRun()), exchange).split('<td').slice(1);
    const [, starttls, tls] = cells('mx1.example.com');
    expect(starttls).toContain('broken');
    expect(starttls).toContain('refused 454');
    expect(starttls).not.toContain('class="yes"');
    expect(tls).toContain('none (plaintext)');
    // The healthy host next to it is unchanged.
    expect(cells('mx2.example.com')[1]).toContain('<span class="yes">yes</span>');
  });

  it('table: the STARTTLS column says broken', () => {
    // One identity per host: the capability table (a matrix has no STARTTLS column).
    const run = brokenRun();
    for (const t of run.targets) for (const h of t.hosts) h.probes = h.probes.filter((p) => p.identity.kind === 'primary');
    const text = renderTable(run, { color: false });
    const line = text.split('\n').find((l) => l.includes('mx1.example.com') && /primary|ok|accepted/.test(l)) ?? '';
    expect(line).toMatch(/\bbroken\b/);
  });

  it('CSV: starttls_failure names the refusal', () => {
    const csv = renderCsv(brokenRun().targets);
    const header = csvHeader().trim().split(',');
    const col = header.indexOf('starttls_failure');
    expect(col).toBeGreaterThan(-1);
    expect(csv).toContain('refused 454 4.7.0 TLS not available due to local problem');
  });

  it('--fail-on starttls-broken and no-starttls both fire on the saved results (the README CI policy)', () => {
    const run = brokenRun();
    expect(evaluatePolicy(run, parsePolicy('starttls-broken')).map((v) => v.exchange)).toEqual(['mx1.example.com']);
    expect(evaluatePolicy(run, parsePolicy('no-starttls')).filter((v) => v.exchange === 'mx1.example.com')).toHaveLength(1);
    expect(evaluatePolicy(load(), parsePolicy('no-starttls')).filter((v) => v.exchange === 'mx1.example.com')).toEqual([]);
  });
});

describe('network-unreachable (B7)', () => {
  const unreachable = (): RunResult => {
    const run = load();
    const p = run.targets[3]!.hosts[0]!.probes[0] as ProbeResult;
    p.status = 'network-unreachable';
    p.error = { code: 'ENETUNREACH', message: 'connect ENETUNREACH 203.0.113.5:2525' };
    run.summary = summarize(run.targets);
    return run;
  };
  it('table, summary and CSV say network-unreachable, never connection-refused', () => {
    const run = unreachable();
    expect(run.summary.status['network-unreachable']).toBe(1);
    expect(run.summary.status['connection-refused'] ?? 0).toBe(0);
    const table = renderTable(run, { color: false });
    expect(table).toMatch(/network-unreachable/);
    expect(table).not.toMatch(/connection-refused/);
    expect(renderCsv(run.targets)).toMatch(/,network-unreachable,ENETUNREACH: connect ENETUNREACH/);
  });
});
