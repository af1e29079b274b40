// Test helper: Debian's headless Chromium driven by playwright-core, with a fresh profile that is removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The flags the tests use: no sandbox (containers), no GPU, no background traffic to Google. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A browser context on a fresh user-data dir; `close` ends the browser and deletes the dir. */
export async function openBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1500 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
