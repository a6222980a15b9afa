import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult, TargetResult } from '../../src/results.js';
import { CSV_COLUMN_DOCS, CSV_COLUMNS, csvHeader, csvRows, renderCsv } from '../../src/report/csv.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

/** A strict RFC 4180 reader: records end in CRLF, quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
          i++;
          break;
        }
        cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`bare quote at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') { i++; continue; }
    if (text.startsWith('\r\n', i)) { rows.push(row); row = []; i += 2; continue; }
    throw new Error(`expected , or CRLF at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
  }
  if (row.length > 0) throw new Error('last record not terminated by CRLF');
  return rows;
}

function records(): Array<Record<string, string>> {
  const rows = parseCsv(renderCsv(run.targets));
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? '<missing>'])));
}

describe('CSV columns', () => {
  it('has the documented, stable names in order', () => {
    expect(CSV_COLUMNS.slice(0, 10)).toEqual(['target', 'origin', 'dns_status', 'exchange', 'ip', 'port', 'identity_kind', 'identity_name', 'source', 'status']);
    for (const c of ['outcome', 'stage', 'code', 'enhanced', 'cause', 'banner', 'ehlo_command', 'starttls', 'tls_protocol', 'tls_cipher', 'cert_valid', 'cert_name_match', 'cert_expires', 'auth_plain', 'auth_tls', 'size', 'smtputf8', 'pipelining', 'chunking', 'requiretls']) {
      expect(CSV_COLUMNS).toContain(c);
    }
    expect(Object.keys(CSV_COLUMN_DOCS)).toEqual([...CSV_COLUMNS]);
    for (const c of CSV_COLUMNS) expect(c).toMatch(/^[a-z][a-z0-9_]*$/);
  });
  it('header is one CRLF-terminated record of the column names', () => {
    expect(csvHeader()).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('CSV rows', () => {
  const recs = records();

  it('one row per probe, plus one row for a target without hosts; every row has every column', () => {
    expect(recs).toHaveLength(9 + 1);
    const rows = parseCsv(renderCsv(run.targets));
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
  });

  it('records a well-behaved host faithfully', () => {
    const r = recs.find((x) => x['exchange'] === 'mx1.example.com' && x['identity_kind'] === 'primary');
    expect(r).toMatchObject({
      target: 'example.com', ip: '192.0.2.10', port: '25', status: 'success', outcome: 'accepted', stage: 'rcpt', code: '250', enhanced: '2.1.5', cause: 'none',
      banner: 'mx1.example.com ESMTP Postfix', ehlo_command: 'EHLO', ehlo_name: 'mx1.example.com', starttls: 'true', tls_protocol: 'TLSv1.3', tls_cipher: 'TLS_AES_256_GCM_SHA384',
      cert_valid: 'true', cert_name_match: 'true', cert_problems: 'valid', cert_expires: '2026-12-31T00:00:00.000Z', auth_plain: '', auth_tls: 'PLAIN LOGIN',
      size: '10240000', smtputf8: 'true', pipelining: 'true', chunking: 'true', requiretls: 'true', alignment_failed: '',
    });
  });

  it('records rejections, errors and skipped cells', () => {
    const bare = recs.find((x) => x['identity_kind'] === 'bare-ip');
    expect(bare).toMatchObject({ outcome: 'rejected', stage: 'ehlo', code: '501', enhanced: '5.5.4', cause: 'helo-syntax', starttls: '', tls_protocol: '' });
    expect(bare?.['remedy']).toContain('address literal');
    expect(recs.find((x) => x['identity_kind'] === 'localhost')).toMatchObject({ status: 'io-timeout', outcome: 'unknown', error: 'E_IO_TIMEOUT: no reply to EHLO within 30s' });
    expect(recs.find((x) => x['identity_kind'] === 'short')).toMatchObject({ status: 'not-tried', error: 'host answered 421 earlier' });
    expect(recs.find((x) => x['identity_kind'] === 'nxdomain')).toMatchObject({ alignment_failed: 'helo-resolves', outcome: 'deferred' });
    expect(recs.find((x) => x['target'] === 'broken.example')).toMatchObject({ dns_status: 'nxdomain', exchange: '', status: '', error: 'broken.example: NXDOMAIN' });
  });

  it('neutralises formulas and strips terminal controls from hostile server text', () => {
    const raw = renderCsv(run.targets);
    expect(raw).not.toMatch(/\u001b/);
    expect(raw).not.toContain('\u0007');
    const r = recs.find((x) => x['exchange'] === 'mx2.example.com' && x['identity_kind'] === 'primary');
    expect(r?.['ehlo_name']).toBe(`'=HYPERLINK("http://203.0.113.9/x","click")`);
    expect(r?.['cert_subject']).toBe('<script>window.__pwned=4</script>');
    expect(r?.['banner']).toContain('<script>window.__pwned=1</script>');
    expect(r?.['banner']).toContain('RED');
    expect(r?.['banner']).not.toContain('pwned-title'); // the OSC title sequence is removed whole
    expect(r).toMatchObject({ cert_valid: 'false', cert_name_match: 'false', cert_problems: 'self-signed name-mismatch', auth_plain: 'PLAIN LOGIN' });
    // No cell of any row starts with a formula trigger.
    for (const rec of recs) for (const v of Object.values(rec)) expect(v).not.toMatch(/^\s*[=+@\t\r]/);
  });

  it('streams: header + csvRows per target equals the whole render', () => {
    let out = csvHeader();
    for (const t of run.targets) out += csvRows(t);
    expect(out).toBe(renderCsv(run.targets));
  });

  it('quotes multi-line reply text as one cell', () => {
    const t = structuredClone(run.targets[0]) as TargetResult;
    const p = t.hosts[0]?.probes[0];
    if (p === undefined) throw new Error('fixture changed');
    p.verdict.text = 'line one\nline, two "quoted"';
    const rows = parseCsv(csvHeader() + csvRows(t));
    const idx = CSV_COLUMNS.indexOf('reply_text');
    expect(rows[1]?.[idx]).toBe('line one\nline, two "quoted"');
  });
});
