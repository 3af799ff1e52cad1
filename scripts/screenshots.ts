/**
 * `npm run screenshots`: starts the demo with the `token-casing` regression, sends paced Pesto traffic (raising the
 * auth weight half-way, so the plots have a step), signs in to the dashboard in headless Chromium and saves the
 * overview, the registration route view and the key-casing sample view as the README's screenshots.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { parseCommandLine, usageError, type CommandLine } from '../proxy/command-line.js';
import { launchBrowser } from '../testing/browser.js';
import { dashboardUrl, startDemo, type Demo } from './demo.js';
import { runPestoTraffic } from './pesto-traffic.js';

const COMMAND: CommandLine = {
  name: 'screenshots',
  help: 'npm run screenshots -- --help',
  usage: `npm run screenshots — refresh the README's dashboard screenshots from the demo

Usage:
  npm run screenshots [-- --out docs/screenshots] [--seconds 20]

Options:
  --out DIR      where overview.png, route.png and sample.png go (default docs/screenshots)
  --seconds N    traffic before the pictures are taken (default 20)
`,
};

async function admin(demo: Demo, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> {
  const response = await request(`${demo.figway.adminUrl}${path}`, {
    method, headers: { authorization: `Bearer ${demo.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.body.json();
}

async function traffic(demo: Demo, seconds: number, seed: number): Promise<void> {
  await runPestoTraffic({ authUrl: demo.urls.auth, registrationUrl: demo.urls.registration, maxRequests: 40 * seconds, maxDurationMs: seconds * 1000, clients: 20, seed, concurrency: 1 });
}

/** takeScreenshots runs the whole thing and returns the files written. */
export async function takeScreenshots(out: string, seconds: number): Promise<string[]> {
  const directory = await mkdtemp(join(tmpdir(), 'figway-screenshots-'));
  const demo = await startDemo({ regressions: ['token-casing'], gatewayPort: 0, adminPort: 0, directory, logLevel: 'silent', evidenceIntervalMs: 1000 });
  const browser = await launchBrowser({ width: 1440, height: 1000 }).catch(async (error: unknown) => { await demo.stop(); throw error; });
  try {
    await traffic(demo, seconds / 2, 11);
    await admin(demo, 'PUT', '/api/routes/auth/weight', { weight: 75 });
    await traffic(demo, seconds / 2, 12);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(dashboardUrl(demo));
    await page.fill('#token', demo.adminToken);
    await page.click('button[type=submit]');
    await page.waitForSelector('.route-card[data-route="auth"] .chart canvas');
    await page.waitForSelector('.route-card[data-route="registration"] .chart canvas');
    await mkdir(out, { recursive: true });
    const files = [join(out, 'overview.png'), join(out, 'route.png'), join(out, 'sample.png')];
    await page.screenshot({ path: files[0]!, fullPage: true });
    await page.goto(`${dashboardUrl(demo)}#/route/registration`);
    const row = '[data-section="unexpected"] tr.pattern[data-class="key-casing"]';
    await page.waitForSelector(row);
    await page.screenshot({ path: files[1]!, fullPage: true });
    await page.click(`${row} a.example`);
    await page.waitForSelector('.redis-values .diff');
    await page.screenshot({ path: files[2]!, fullPage: true });
    return files;
  } finally {
    await browser.close();
    await demo.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const parsed = parseCommandLine(COMMAND, { args: process.argv.slice(2), options: { out: { type: 'string' }, seconds: { type: 'string' } } });
  if (typeof parsed === 'number') { process.exitCode = parsed; return; }
  const seconds = Number(parsed.values.seconds ?? 20);
  if (!(Number.isInteger(seconds) && seconds >= 2 && seconds <= 600)) {
    process.exitCode = usageError(COMMAND, `--seconds must be a whole number from 2 to 600, not "${parsed.values.seconds}"`);
    return;
  }
  try {
    const files = await takeScreenshots(resolve(parsed.values.out ?? 'docs/screenshots'), seconds);
    process.stdout.write(`wrote ${files.join(', ')}\n`);
  } catch (error) {
    process.stderr.write(`screenshots: ${(error as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
