/**
 * A real headless Chromium for dashboard tests and screenshots: Debian's `chromium` (or $FIGWAY_CHROMIUM) driven by
 * playwright-core, with a fresh profile directory per launch. Never downloads a browser. When it cannot start, the
 * error says so and how to install it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** CHROMIUM_PATH is the browser binary used. */
export const CHROMIUM_PATH = process.env.FIGWAY_CHROMIUM ?? '/usr/bin/chromium';

/** CHROMIUM_FLAGS keep the browser quiet, offline and reproducible (no sandbox: tests run as root in CI). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Browser is a launched Chromium with its own profile directory. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** chromiumMissing explains why Chromium cannot be used here, or returns undefined when the binary exists. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (.ci/run does) or set FIGWAY_CHROMIUM`;
}

/** launchBrowser starts Chromium with a fresh --user-data-dir (playwright passes it for a persistent context). */
export async function launchBrowser(options: { width?: number; height?: number } = {}): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  const profile = await mkdtemp(join(tmpdir(), 'figway-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000,
      viewport: { width: options.width ?? 1400, height: options.height ?? 900 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`cannot start Chromium at ${CHROMIUM_PATH} with ${CHROMIUM_FLAGS.join(' ')}: ${(error as Error).message.split('\n')[0]}`);
  }
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** signIn signs a page in to the dashboard through its form and waits for the overview. */
export async function signIn(page: Page, adminUrl: string, token: string): Promise<void> {
  await page.goto(`${adminUrl}/dashboard/`);
  await page.waitForSelector('form[action="/auth/sign-in"]');
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('.route-card .verdict');
}

/** collectConsoleErrors records a page's console errors and uncaught exceptions into `into`. */
export function collectConsoleErrors(page: Page, into: string[]): void {
  page.on('console', (message) => { if (message.type() === 'error') into.push(`${page.url()}: ${message.text()}`); });
  page.on('pageerror', (error) => into.push(`${page.url()}: ${error.message}`));
}
