/**
 * The dashboard's ramp controls in a real headless Chromium: start, pause, resume, promote and abort a route's ramp
 * through the ramp API, each shown in the page and in the audit log. Waits are for DOM states, never for time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumMissing, collectConsoleErrors, launchBrowser, signIn, type Browser } from '../../testing/browser.js';
import { startEchoServer, type TestServer } from '../../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../../testing/figway.js';
import { defaultExtensions } from '../../proxy/extensions.js';

const missing = chromiumMissing();
const skip = missing !== undefined && process.env.CI !== 'true' ? missing : false;
let upstream: TestServer;
let figway: TestFigway;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

before(async () => {
  if (skip !== false) return;
  upstream = await startEchoServer('both');
  figway = await startTestFigway({
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    // Long steps: the ramp moves only when the test presses a button.
    routes: [{ name: 'api', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new', ramp: { steps: [0, 10, 50, 100], minStepMs: 3_600_000 } }],
  }, '# weights\nroutes:\n  api: 0\n', { extensions: defaultExtensions });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  collectConsoleErrors(page, consoleErrors);
  await signIn(page, figway.adminUrl!, TEST_ADMIN_TOKEN);
});

after(async () => {
  await browser?.close();
  await figway?.close();
  await upstream?.close();
});

async function press(action: string, state: string): Promise<void> {
  const card = '.route-card[data-route="api"]';
  await page.click(`${card} .ramp-controls button[data-action="${action}"]:not([disabled])`);
  await page.waitForSelector(`${card} .ramp-state[data-state="${state}"]`);
}

test('start, pause, resume, promote and abort a ramp from the overview, each through the ramp API and audited', { skip }, async () => {
  await page.waitForSelector('.route-card[data-route="api"] .ramp-controls button[data-action="start"]:not([disabled])');
  assert.equal(await page.locator('.route-card[data-route="api"] button[data-action="pause"]').isDisabled(), true, 'an idle ramp cannot be paused');
  await page.fill('.route-card[data-route="api"] .ramp-controls input[name=reason]', 'dashboard test');
  await press('start', 'running');
  await press('pause', 'paused');
  await press('resume', 'running');
  await press('promote', 'running');
  await page.waitForSelector('.route-card[data-route="api"] .weight[data-weight="10"]');
  assert.equal(figway.manager.snapshot().weights.get('api'), 10);
  await press('abort', 'idle');
  const actions = figway.audit.entries(50).map((entry) => entry.action);
  for (const action of ['start', 'pause', 'resume', 'promote', 'abort']) assert.ok(actions.some((a) => a.includes(action)), `${action} audited: ${actions.join(', ')}`);
  await page.click('nav a[href="#/audit"]');
  await page.waitForSelector('table.audit tbody tr');
  assert.match(await page.textContent('table.audit') ?? '', /abort/);
});

test('no console errors on the way', { skip }, () => {
  assert.deepEqual(consoleErrors, []);
});
