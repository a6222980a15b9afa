/**
 * `mxprobe logs --format html` in real headless Chromium (Debian's /usr/bin/chromium): the three
 * charts render with real geometry, hostile log text does not run, nothing is fetched, no console
 * errors, and the page fits a phone. Screenshot in test-artifacts/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, streamSource } from '../../src/logs/read.js';
import { analyseLogs } from '../../src/logs/run.js';
import { renderLogsHtml } from '../../src/report/logs-html.js';
import { chromiumUnavailable, launchChromium, type LaunchedBrowser } from '../helpers/browser.js';

declare const window: { __pwned?: unknown };
declare const document: { querySelectorAll(s: string): ArrayLike<{ getBBox(): { width: number; height: number } }>; documentElement: { scrollWidth: number }; title: string };

const missing = chromiumUnavailable();
if (missing !== null && process.env['CI'] === 'true') throw new Error(`browser tests must run in CI: ${missing}`);
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;
const FX = new URL('../fixtures/logs/', import.meta.url).pathname;
const EVIL =
  'Jan  1 02:00:00 relay3 postfix/smtp[9]: EV1: to=<x@evil.test>, relay=mx.evil.test[192.0.2.66]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (host mx.evil.test[192.0.2.66] said: 550 5.7.1 <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> no PTR for you (in reply to RCPT TO command))\n';

describe.skipIf(missing !== null)(`logs HTML report in headless Chromium${missing !== null ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: LaunchedBrowser;
  let dir = '';
  let url = '';
  beforeAll(async () => {
    const run = await analyseLogs([fileSource(join(FX, 'postfix-classic.txt'), '/'), fileSource(join(FX, 'exim-mainlog.txt'), '/'), fileSource(join(FX, 'rspamd.txt'), '/'), streamSource('evil', Readable.from([Buffer.from(EVIL)]))], {
      format: 'auto',
      relay: 'exim1',
      bucket: 'hour',
      since: null,
      until: null,
      year: 2027,
    });
    dir = await mkdtemp(join(tmpdir(), 'mxprobe-logs-html-'));
    const file = join(dir, 'logs.html');
    await writeFile(file, renderLogsHtml(run));
    url = pathToFileURL(file).href;
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders the three charts, runs nothing from the log, fetches nothing, fits a phone', async () => {
    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const page = await browser.context.newPage();
      await page.setViewportSize(viewport);
      const requests: string[] = [];
      const errors: string[] = [];
      await page.route('**/*', async (route) => {
        if (route.request().url() === url) return route.continue();
        requests.push(route.request().url());
        return route.abort();
      });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      const titles = await page.locator('svg.chart > title').allTextContents();
      expect(titles).toEqual(['Acceptance rate per hour', 'Refusal causes per relay (red: HELO or reverse DNS)', 'Top refusing destinations (red: a HELO or reverse-DNS cause among them)']);
      // Real geometry: the acceptance line has points, and the bars have width.
      expect(await page.locator('svg.chart circle').count()).toBeGreaterThan(1);
      const widths = await page.locator('svg.chart rect').evaluateAll((els) => els.map((e) => Number(e.getAttribute('width'))));
      expect(widths.filter((w) => w > 0).length).toBeGreaterThan(3);
      // The hostile reply is shown as text.
      expect(await page.locator('td:has-text("<script>")').count()).toBeGreaterThan(0);
      expect(await page.locator('main table').count()).toBeGreaterThan(5);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow).toBeLessThanOrEqual(viewport.width + 1);
      await page.screenshot({ path: join(ARTIFACTS, `logs-report-${viewport.width}.png`), fullPage: true });
      await page.close();
    }
  }, 60_000);
});
