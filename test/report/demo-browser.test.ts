/**
 * The issue's "done when", as a user would do it: `mxprobe demo --format html -o demo.html`
 * through the built CLI, opened in Debian's Chromium. The grid, the chart and the audit table
 * must show what the lab did; the screenshot is kept in test-artifacts/demo.png.
 */
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../helpers/cli.js';
import { chromiumUnavailable, launchChromium, type LaunchedBrowser } from '../helpers/browser.js';

const missing = chromiumUnavailable();
if (missing !== null && process.env['CI'] === 'true') throw new Error(`browser tests must run in CI: ${missing}`);
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

describe.skipIf(missing !== null)(`demo HTML report in headless Chromium${missing !== null ? ` (skipped: ${missing})` : ''}`, () => {
  let browser: LaunchedBrowser;
  const file = `${ARTIFACTS}demo.html`;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const r = await runCliProcess(['demo', '--format', 'html', '-o', file, '--quiet']);
    expect(r.code).toBe(0);
    browser = await launchChromium({ width: 1400, height: 1000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the identity grid, the acceptance chart and the audit table for every lab receiver', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    await page.route('**/*', async (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);

    // 7 receivers × 8 identities, with real outcomes from the lab.
    expect(await page.locator('table.matrix tbody tr').count()).toBe(7);
    expect(await page.locator('table.matrix td.cell').count()).toBe(56);
    expect(await page.locator('table.matrix td.cell[data-outcome="rejected"]').count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator('table.matrix td.cell[data-outcome="accepted"]').count()).toBeGreaterThanOrEqual(20);
    const rejectedTitle = await page.locator('table.matrix td.cell[data-outcome="rejected"]').first().getAttribute('title');
    expect(rejectedTitle).toMatch(/rejected/);
    expect(rejectedTitle).toMatch(/Remedy|remedy/);
    expect(await page.locator('svg.chart rect.bar').count()).toBe(8);
    expect(await page.locator('table.caps tbody tr').count()).toBe(7);
    const caps = await page.locator('table.caps').textContent();
    expect(caps).toContain('mx.secure.demo.test');
    expect(caps).toContain('TLSv1.3');
    // Broken STARTTLS is "broken", never a green "yes" (issue 12 B2).
    const brokenRow = page.locator('table.caps tbody tr[data-host="mx.brokentls.demo.test"]');
    expect(await brokenRow.locator('td').nth(1).textContent()).toMatch(/broken.*refused 454/);
    expect(await brokenRow.locator('td').nth(1).locator('.yes').count()).toBe(0);
    // Issue 12 polish: no summary card overflows its box (the alignment-failures card did).
    const overflowing = await page.locator('.tile').evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.getAttribute('data-tile')));
    expect(overflowing).toEqual([]);
    // Greylisted cells say what the retry answered, as the acceptance bar counts it.
    expect(await page.locator('table.matrix td.cell .retry').first().textContent()).toMatch(/→ accepted on retry after \d+ s/);
    // The options are folded into a readable run box (no JSON brackets, no camelCase).
    expect(await page.locator('details.run').getAttribute('open')).toBeNull();
    const runBox = (await page.locator('details.run').textContent()) ?? '';
    expect(runBox).toMatch(/stop after\s*rcpt/);
    expect(runBox).not.toMatch(/[[\]"]/);
    // SIZE in binary units.
    expect(await page.locator('table.caps').textContent()).toMatch(/9\.8 MiB/);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}demo.png`, fullPage: true });
    await page.close();
  });
});
