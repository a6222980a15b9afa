/**
 * The HTML report in real headless Chromium (Debian's /usr/bin/chromium via playwright-core; never a
 * downloaded browser): hostile server text must not run, nothing may be fetched, the grid, chart
 * and <details> must work, and the page must fit a phone. Screenshots go to test-artifacts/.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/results.js';
import { renderHtml } from '../../src/report/html.js';
import { chromiumUnavailable, launchChromium, type LaunchedBrowser } from '../helpers/browser.js';

// The callbacks passed to page.evaluate run in the browser. tsconfig has no DOM lib (this is a
// Node project), so the few browser globals they touch are declared here, module-scoped.
declare const window: { __pwned?: unknown; dispatchEvent(e: unknown): boolean };
declare const document: { querySelectorAll(s: string): { forEach(f: (d: { open: boolean }) => void): void }; documentElement: { scrollWidth: number } };
declare function getComputedStyle(el: unknown): { opacity: string; backgroundColor: string };
declare const Event: new (type: string) => unknown;
interface SVGGraphicsElement { getBBox(): { width: number } }
interface HTMLDetailsElement { open: boolean }

const missing = chromiumUnavailable();
if (missing !== null && process.env['CI'] === 'true') {
  throw new Error(`browser tests must run in CI: ${missing}`);
}
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const run = JSON.parse(readFileSync(new URL('../fixtures/results/sample-run.json', import.meta.url), 'utf8')) as RunResult;

interface Watched {
  page: Page;
  requests: string[];
  consoleErrors: string[];
  dialogs: string[];
  pageErrors: string[];
}

describe.skipIf(missing !== null)(`HTML report in headless Chromium${missing !== null ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: LaunchedBrowser;
  let dir = '';
  let fileUrl = '';

  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-html-'));
    const file = join(dir, 'report.html');
    await writeFile(file, renderHtml(run));
    fileUrl = pathToFileURL(file).href;
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function open(viewport = { width: 1280, height: 900 }): Promise<Watched> {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    const w: Watched = { page, requests: [], consoleErrors: [], dialogs: [], pageErrors: [] };
    // Fail every request except the report file itself, and remember it: the page must need none.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url === fileUrl) return route.continue();
      w.requests.push(url);
      return route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') w.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => w.pageErrors.push(e.message));
    page.on('dialog', (d) => {
      w.dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(fileUrl, { waitUntil: 'load' });
    return w;
  }

  it('runs no script from server text, fetches nothing, logs no errors', async () => {
    const w = await open();
    const { page } = w;
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    // The hostile markup is on the page as text, not as elements.
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('body svg[onload], [onerror], [onload], [onclick]').count()).toBe(0);
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    expect(w.requests).toEqual([]);
  }, 60_000);

  it('escaping alone keeps server text inert (same page with its CSP removed)', async () => {
    // The CSP is defence in depth; this proves the escaping does not depend on it.
    const html = renderHtml(run).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    expect(html).not.toContain('Content-Security-Policy');
    const page = await browser.context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    await page.route('**/*', async (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows hostile text literally and keeps the page inert', async () => {
    const w = await open();
    const { page } = w;
    const banners = await page.locator('pre.banner').allTextContents();
    const hostile = banners.find((b) => b.includes('__pwned=1'));
    expect(hostile).toContain('<script>window.__pwned=1</script>');
    expect(hostile).toContain('<img src=x onerror="window.__pwned=2">');
    expect(hostile).toContain('"><svg onload="window.__pwned=3">');
    expect(hostile).not.toContain('pwned-title');
    // Open every details (runs nothing new) and interact, then check again.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    await page.locator('button[data-filter="rejected"]').click();
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.title()).not.toContain('pwned');
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    expect(w.requests).toEqual([]);
  }, 60_000);

  it('grid cells carry outcome colours, causes and remedies; the filter highlights one outcome', async () => {
    const { page } = await open();
    const cells = page.locator('table.matrix td.cell');
    expect(await cells.count()).toBeGreaterThan(9);
    const rejected = page.locator('table.matrix td.cell[data-outcome="rejected"]');
    expect(await rejected.count()).toBe(2);
    const first = rejected.first();
    expect(await first.getAttribute('title')).toContain('Remedy:');
    expect(await first.locator('.vh').textContent()).toMatch(/^Remedy: /);
    const bg = async (sel: string): Promise<string> => page.locator(sel).first().evaluate((el) => getComputedStyle(el).backgroundColor);
    const colours = new Set([await bg('td.cell.o-accepted'), await bg('td.cell.o-rejected'), await bg('td.cell.o-deferred'), await bg('td.cell.o-error')]);
    expect(colours.size).toBe(4);

    // Without a click, nothing is dimmed; after one, only the chosen outcome stays opaque.
    const opacity = (loc: ReturnType<Page['locator']>) => loc.evaluate((el) => getComputedStyle(el).opacity);
    expect(await opacity(page.locator('td.cell.o-accepted').first())).toBe('1');
    await page.locator('button[data-filter="rejected"]').click();
    expect(await page.locator('button[data-filter="rejected"]').getAttribute('aria-pressed')).toBe('true');
    expect(await opacity(page.locator('td.cell.o-accepted').first())).not.toBe('1');
    expect(await opacity(first)).toBe('1');
    await page.locator('button[data-filter="rejected"]').click();
    expect(await opacity(page.locator('td.cell.o-accepted').first())).toBe('1');
  }, 60_000);

  it('chart bars are drawn with widths proportional to the acceptance rate', async () => {
    const { page } = await open();
    const width = (kind: string) => page.locator(`svg.chart rect.bar[data-kind="${kind}"]`).evaluate((el) => (el as SVGGraphicsElement).getBBox().width);
    const track = await page.locator('svg.chart rect.track').first().evaluate((el) => (el as SVGGraphicsElement).getBBox().width);
    expect(await width('primary')).toBeCloseTo(track, 1);
    expect(await width('bare-ip')).toBe(0);
    const shown = await page.locator('svg.chart rect.bar[data-kind="primary"]').boundingBox();
    expect(shown?.width ?? 0).toBeGreaterThan(100);
  }, 60_000);

  it('<details> host sections open and close, and in-page links open their target', async () => {
    const { page } = await open();
    const host = page.locator('details.host').nth(1);
    const transcript = host.locator('pre.transcript').first();
    expect(await host.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await transcript.isVisible()).toBe(false);
    await host.locator('> summary').click();
    expect(await host.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await host.locator('details.probe > summary').first().click();
    expect(await transcript.isVisible()).toBe(true);
    expect(await transcript.textContent()).toContain('EHLO probe.example.org');
    await host.locator('> summary').click();
    expect(await transcript.isVisible()).toBe(false);
    // A matrix row link opens the host section it points to.
    await page.locator('table.matrix a[href="#host-3"]').click();
    expect(await page.locator('#host-3').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  }, 60_000);

  it('is usable at phone width: nothing widens the page, wide tables scroll in place', async () => {
    const w = await open({ width: 375, height: 812 });
    const { page } = w;
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(375);
    const tiles = await page.locator('.tile').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
    for (const r of tiles) expect(r).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(ARTIFACTS, 'report-phone.png'), fullPage: true });
    expect(w.requests).toEqual([]);
  }, 60_000);

  it('prints with every section expanded', async () => {
    const { page } = await open();
    await page.emulateMedia({ media: 'print' });
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    const closed = await page.locator('details:not([open])').count();
    expect(closed).toBe(0);
    expect(await page.locator('button[data-filter]').first().isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  }, 60_000);

  it('saves a desktop screenshot', async () => {
    const { page } = await open();
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
  }, 60_000);
});
