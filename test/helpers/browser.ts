/**
 * Launch the system's Debian chromium through playwright-core, never a downloaded browser.
 * Each launch gets a fresh --user-data-dir, removed on close.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Null when chromium is usable; otherwise why not (so a test can skip with the reason). */
export function chromiumUnavailable(): string | null {
  // Under CI=true (.ci/run installs chromium) a missing browser must fail the browser tests, not skip them.
  if (process.env['CI'] === 'true') return null;
  return existsSync(CHROMIUM_PATH) ? null : `${CHROMIUM_PATH} not installed (apt-get install chromium)`;
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport: { width: number; height: number } = { width: 1280, height: 900 }): Promise<LaunchedBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'mxprobe-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
