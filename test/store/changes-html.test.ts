/**
 * The diff/history renderers cut long server text in HTML as table and markdown do (escaped as
 * before, with the full length said); JSON keeps it whole. A 1 MB banner made a 1 MB page (qa10).
 */
import { describe, expect, it } from 'vitest';
import { changeRenderer } from '../../src/report/changes.js';

const huge = `<script>x</script>${'A'.repeat(1_000_000)}\u{1F600}end`;
const row = { when: '2026-12-01T10:00:00.000Z', where: 'example.com mx1.example.com 192.0.2.1:25', change: { kind: 'banner-changed' as const, before: 'mx ESMTP', after: huge }, violates: [] };

describe('a 1 MB banner in a change row', () => {
  it('html: cut to about as much as the table shows, escaped, with the full length said', () => {
    const out = changeRenderer('html').row(row);
    expect(out.length).toBeLessThan(2000);
    expect(out).toContain('&lt;script&gt;x&lt;/script&gt;AAA');
    expect(out).not.toContain('<script>');
    // "banner changed: mx ESMTP → " + the banner: the whole cell's length in code points.
    expect(out).toMatch(/… <small>\(cut: 10000\d\d characters in all\)<\/small><\/td>/);
    const table = changeRenderer('table').row(row);
    expect(table.length).toBeLessThan(2000);
  });

  it('html: short text is as before, no note', () => {
    const out = changeRenderer('html').row({ ...row, change: { ...row.change, after: 'mx2 <ESMTP> & co' } });
    expect(out).toContain('mx2 &lt;ESMTP&gt; &amp; co</td>');
    expect(out).not.toContain('<small>');
  });

  it('json keeps the text whole', () => {
    const out = changeRenderer('json').row(row);
    expect(JSON.parse(out)).toMatchObject({ after: huge });
  });

  it('html header: a 1 MB title or info value is cut too', () => {
    const out = changeRenderer('html').header({ title: `mxprobe history: ${huge}`, info: { store: huge } });
    expect(out.length).toBeLessThan(4000);
    expect(out.match(/characters in all/g)).toHaveLength(2);
  });
});
