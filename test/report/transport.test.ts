/**
 * Transport results in every format, with hostile text from DNS and policy files: escaped in the
 * table and HTML, neutralised in CSV, verbatim (JSON-escaped) in JSON; and the audit rules.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { RunResult, TargetResult } from '../../src/results.js';
import { renderTable } from '../../src/report/table.js';
import { renderHtml } from '../../src/report/html.js';
import { csvHeader, csvRows } from '../../src/report/csv.js';
import { evaluateTargetPolicy, parsePolicy } from '../../src/analysis/policy.js';
import { transportSummary } from '../../src/transport/summary.js';

const sample = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
const HOSTILE = '\x1b[31m<script>alert(1)</script>\x07=HYPERLINK("x")';

function withTransport(): RunResult {
  const run = structuredClone(sample);
  const t = run.targets[0] as TargetResult;
  const [h1, h2] = t.hosts;
  if (!h1) throw new Error('fixture has no host');
  h1.transport = {
    dane: { status: 'dane-mismatch', dnssec: 'secure', name: '_25._tcp.x', records: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32), usable: true }, { usage: 9, selector: 1, matchingType: 1, data: '00', usable: false, problem: 'unknown usage 9' }], matched: null, detail: HOSTILE },
  };
  if (h2) h2.transport = { dane: { status: 'dane-valid', dnssec: 'secure', name: '_25._tcp.y', records: [], matched: null } };
  t.transport = {
    mtaSts: { status: 'mta-sts-invalid', mode: null, id: null, mx: [], maxAge: null, error: `policy: ${HOSTILE}` },
    tlsRpt: { status: 'invalid', rua: [], error: HOSTILE },
    summary: '',
  };
  t.transport.summary = transportSummary(t);
  return run;
}

describe('transport results in the reports', () => {
  it('table: a transport block, no terminal controls', () => {
    const out = renderTable(withTransport());
    expect(out).toMatch(/Transport security \(DANE, MTA-STS, TLS-RPT\):/);
    expect(out).toMatch(/DANE dane-mismatch \(dnssec secure, 2 TLSA\)/);
    expect(out).toMatch(/MTA-STS mta-sts-invalid/);
    expect(out).not.toMatch(/[\x1b\x07]/);
  });
  it('html: a transport-security section per domain with the summary line, escaped', () => {
    const out = renderHtml(withTransport());
    expect(out).toMatch(/<h2 id="h-transport">Transport security<\/h2>/);
    expect(out).toMatch(/class="summary-line">[^<]*would refuse/);
    expect(out).not.toContain('<script>alert(1)');
    expect(out).toContain('&lt;script&gt;alert(1)');
  });
  it('csv: dane, mta_sts and tls_rpt columns at the end', () => {
    const run = withTransport();
    const header = csvHeader().trim().split(',');
    expect(header.slice(-3)).toEqual(['dane', 'mta_sts', 'tls_rpt']);
    const rows = csvRows(run.targets[0] as TargetResult).trim().split('\r\n');
    expect(rows[0]?.endsWith(',dane-mismatch,mta-sts-invalid,invalid')).toBe(true);
  });
  it('json keeps the text verbatim', () => {
    const back = JSON.parse(JSON.stringify(withTransport())) as RunResult;
    expect(back.targets[0]?.transport?.tlsRpt?.error).toBe(HOSTILE);
  });
  it('a run without transport results renders as before (no block, no section)', () => {
    expect(renderTable(sample)).not.toMatch(/Transport security/);
    expect(renderHtml(sample)).not.toMatch(/h-transport/);
  });
});

describe('transport summary line', () => {
  const dane = (status: 'indeterminate' | 'no-tlsa' | 'dane-valid' | 'dane-mismatch') => ({ dane: { status, dnssec: status === 'no-tlsa' ? 'insecure' as const : status === 'indeterminate' ? 'indeterminate' as const : 'secure' as const, name: 'x', records: [], matched: null } });
  const target = (...statuses: Array<Parameters<typeof dane>[0]>): TargetResult => {
    const t = structuredClone(sample.targets[0]) as TargetResult;
    const h = t.hosts[0]!;
    t.hosts = statuses.map((s, i) => ({ ...structuredClone(h), exchange: `mx${i + 1}.example`, transport: dane(s) }));
    t.transport = { summary: '' };
    return t;
  };
  it('a TLSA lookup that failed for every MX states no delivery count (was "would deliver to 0/1 MX")', () => {
    expect(transportSummary(target('indeterminate'))).toBe('DANE not judged: cannot tell for mx1.example (indeterminate)');
    expect(transportSummary(target('no-tlsa', 'indeterminate'))).toBe('DANE not judged: cannot tell for mx2.example (indeterminate); without DANE to mx1.example (no-tlsa)');
  });
  it('control: once one MX is judged, the count stays, with the unknown ones named', () => {
    expect(transportSummary(target('dane-valid', 'indeterminate'))).toBe('a DANE sender would deliver to 1/2 MX, cannot tell for mx2.example (indeterminate)');
    expect(transportSummary(target('dane-mismatch', 'indeterminate'))).toBe('a DANE sender would deliver to 0/2 MX, would refuse mx1.example (dane-mismatch), cannot tell for mx2.example (indeterminate)');
    expect(transportSummary(target('no-tlsa'))).toBe('no DANE (no DNSSEC-signed TLSA records)');
  });
});

describe('transport audit rules', () => {
  it('parse, and fire on the recorded verdicts only', () => {
    const t = withTransport().targets[0] as TargetResult;
    const v = evaluateTargetPolicy(t, parsePolicy('dane-mismatch,dane-bogus,mta-sts-invalid,no-tls-rpt,no-mta-sts'));
    expect(v.map((x) => x.rule).sort()).toEqual(['dane-mismatch', 'mta-sts-invalid', 'no-tls-rpt']);
    expect(v.find((x) => x.rule === 'dane-mismatch')?.detail).not.toMatch(/\x1b/);
  });
  it('no-dane and the MTA-STS host rules', () => {
    const t = withTransport().targets[0] as TargetResult;
    const h = t.hosts[0]!;
    h.transport = { dane: { status: 'no-tlsa', dnssec: 'insecure', name: 'x', records: [], matched: null } };
    t.transport = { summary: '', mtaSts: { status: 'mta-sts-tls-fail', mode: 'enforce', id: '1', mx: ['*.x'], maxAge: 1, hosts: [{ exchange: h.exchange, ip: h.ip, status: 'mta-sts-tls-fail', detail: 'certificate name mismatch' }] } };
    const v = evaluateTargetPolicy(t, parsePolicy('no-dane mta-sts-tls-fail mta-sts-mx-mismatch'));
    expect(v.map((x) => x.rule).sort()).toEqual(['mta-sts-tls-fail', 'no-dane']);
  });
  it('rules take no argument', () => {
    expect(() => parsePolicy('dane-mismatch:1')).toThrow(/takes no argument/);
  });
});
