import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { renderHtml } from '../../src/report/html.js';

const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;
const html = renderHtml(run);

describe('renderHtml: self-contained and safe', () => {
  it('is one complete document with inline CSS and exactly one (constant) script', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html.match(/<script\b/gi)).toHaveLength(1);
    expect(html.match(/<style\b/gi)).toHaveLength(1);
  });

  it('references no external asset', () => {
    expect(html).not.toMatch(/<link\b/i);
    // Only real markup counts (escaped server text may say "src=x"): tags, with attribute values blanked.
    for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\s(src|srcset|action|background|poster|data)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    // The only absolute URL is the SVG namespace name (never fetched); hrefs are in-page anchors.
    const urls = html.match(/https?:\/\/[^\s"'<)&]+/g) ?? [];
    for (const u of urls) expect(['http://www.w3.org/2000/svg', 'http://203.0.113.9/x']).toContain(u);
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#host-\d+$/);
  });

  it('carries a CSP that forbids every fetch and only allows its own hashed script', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });

  it('escapes every piece of hostile server text (banner, EHLO, cert, replies, options)', () => {
    // The raw markup must not appear anywhere...
    expect(html).not.toContain('<script>window');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<svg onload');
    // No element carries an inline handler: look at tag markup with the (escaped) attribute values removed.
    for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toContain('<b>there</b>');
    // ...but it is shown, escaped.
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
    expect(html).toContain('&quot;&gt;&lt;svg onload=&quot;window.__pwned=3&quot;&gt;');
    expect(html).toContain('&lt;script&gt;window.__pwned=4&lt;/script&gt;'); // cert subject
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=5&quot;&gt;'); // rcpt reply in transcript
    expect(html).toContain('&lt;script&gt;window.__pwned=6&lt;/script&gt;'); // option value
    expect(html).toContain('=HYPERLINK(&quot;http://203.0.113.9/x&quot;,&quot;click&quot;)');
  });

  it('strips terminal escapes', () => {
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    expect(html).not.toContain('pwned-title');
    expect(html).toContain('RED');
  });

  it('is deterministic', () => {
    expect(renderHtml(structuredClone(run))).toBe(html);
  });
});

describe('renderHtml: content', () => {
  it('has a header with the run time and options', () => {
    expect(html).toContain('2026-02-01T10:00:00.000Z');
    expect(html).toContain('(42.5 s)');
    // Folded into a readable run box: words, not camelCase.
    expect(html).toMatch(/<details class="run"><summary>Run options<\/summary>.*<dt>stop after<\/dt><dd class="mono">rcpt<\/dd>/s);
  });

  it('has the summary tiles', () => {
    for (const key of ['targets', 'hosts', 'starttls', 'tls', 'certs', 'alignment']) expect(html).toContain(`data-tile="${key}"`);
    expect(html).toMatch(/data-tile="starttls"><div class="label">STARTTLS offered<\/div><div class="value">2 \/ 4<\/div>/);
    expect(html).toMatch(/data-tile="certs"><div class="label">Certificate problems<\/div><div class="value">2<\/div>/);
  });

  it('has the identity matrix with outcome, cause and remedy per cell', () => {
    const cells = [...html.matchAll(/<td class="cell o-([a-z-]+)" data-outcome="([a-z-]+)"/g)];
    const counts: Record<string, number> = {};
    for (const c of cells) counts[c[1] ?? ''] = (counts[c[1] ?? ''] ?? 0) + 1;
    expect(counts).toMatchObject({ accepted: 3, rejected: 2, deferred: 1, error: 2, 'not-tried': 1 });
    const rejected = /<td class="cell o-rejected"[^>]*title="([^"]*)">(.*?)<\/td>/.exec(html);
    expect(rejected?.[1]).toContain('Remedy: Send a domain name or an address literal');
    expect(rejected?.[2]).toContain('<span class="cause">helo-syntax</span>');
    expect(rejected?.[2]).toContain('<span class="vh">Remedy: Send a domain name');
  });

  it('has an acceptance bar per identity, sized by the rate', () => {
    const bars = [...html.matchAll(/<rect class="bar" data-kind="([^"]+)" data-rate="([^"]*)" x="\d+" y="[\d.]+" width="([\d.]+)"/g)];
    const byKind = Object.fromEntries(bars.map((b) => [b[1], { rate: b[2], width: Number(b[3]) }]));
    expect(Object.keys(byKind).sort()).toEqual(['bare-ip', 'literal', 'localhost', 'nxdomain', 'primary', 'short']);
    expect(byKind['primary']).toEqual({ rate: '1', width: 250 });
    expect(byKind['bare-ip']).toEqual({ rate: '0', width: 0 });
    expect(byKind['short']).toEqual({ rate: '', width: 0 });
  });

  it('has a capability audit row per host and flags AUTH before TLS', () => {
    const rows = [...html.matchAll(/<tr data-host="([^"]+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(['mx1.example.com', 'mx2.example.com', 'legacy.example.net', '203.0.113.5']);
    expect(rows[1]?.[2]).toContain('class="flag"');
    expect(rows[1]?.[2]).toContain('self-signed, name-mismatch');
    expect(rows[0]?.[2]).not.toContain('class="flag"');
    expect(rows[0]?.[2]).toContain('TLSv1.3');
    expect(rows[2]?.[2]).toContain('<td>HELO</td>');
  });

  it('has receiver and sender alignment tables and collapsible host details with transcripts', () => {
    expect(html).toContain('<table class="align-receiver">');
    expect(html).toContain('<table class="align-sender">');
    expect(html.match(/<details class="host" id="host-\d+">/g)).toHaveLength(4);
    expect(html.match(/<details class="probe">/g)).toHaveLength(9);
    expect(html).toContain('<pre class="transcript"');
    expect(html).toContain('broken.example');
  });

  it('shows notes (interrupted run) escaped', () => {
    const out = renderHtml(run, { notes: ['Interrupted <run>'] });
    expect(out).toContain('<div class="notes" role="note">Interrupted &lt;run&gt;</div>');
  });

  it('renders an empty run without throwing', () => {
    const empty = renderHtml({ ...run, targets: [], summary: { ...run.summary, identities: {} } });
    expect(empty).toContain('No probes were made.');
  });
});
