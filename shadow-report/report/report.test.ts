import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { listenTestServer, type TestServer } from '../../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../../testing/figway.js';
import { createComparisonExtensions } from '../../proxy/extensions.js';
import { createDashboardExtension } from '../dashboard/server.js';
import { parseDuration, runReportCommand } from './command.js';

const SCRIPT = '<script>alert(1)</script>';
let legacy: TestServer;
let rewrite: TestServer;
let figway: TestFigway;

before(async () => {
  legacy = await listenTestServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ name: SCRIPT, id: 1 })); });
  rewrite = await listenTestServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ Name: SCRIPT, id: '1' })); });
  figway = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: rewrite.url } },
    routes: [{ name: 'users', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new', mirror: { sampleRate: 1 } }],
  }, { users: 0 }, {
    extensions: ({ logger, metrics, manager }) => [
      ...createComparisonExtensions({ logger, metrics }, { mirror: { redactionKey: Buffer.from('report-test') } }).extensions,
      createDashboardExtension({ metrics, manager }),
    ],
  });
  for (let i = 0; i < 3; i++) await (await request(`${figway.gatewayUrl}/api/users/${1000 + i}`)).body.dump();
  for (let attempt = 0; attempt < 200; attempt++) {
    const diffs = await (await request(`${figway.adminUrl}/api/diffs`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.json() as { routes: Array<{ comparisons: number }> };
    if ((diffs.routes[0]?.comparisons ?? 0) >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});
after(async () => {
  await figway.close();
  await legacy.close();
  await rewrite.close();
});

async function run(args: string[], env: NodeJS.ProcessEnv = { FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, FIGWAY_ADMIN_URL: figway.adminUrl }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runReportCommand(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env });
  return { code, out, err };
}

test('durations read as s, m, h, d', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5d'), 129_600_000);
  assert.equal(parseDuration('1 hour'), undefined);
});

test('the Markdown report has the weight, totals, the patterns with an example, and a verdict line', async () => {
  const { code, out } = await run(['--route', 'users']);
  assert.equal(code, 0);
  assert.match(out, /^## Route users$/m);
  assert.match(out, /^Verdict: holding: 3 unexpected (key-casing|type) differences at body\.(name|id) \(GET \/api\/users\/\{id\}\), and 1 more pattern$/m);
  assert.match(out, /^Weight on new: 0%/m);
  assert.match(out, /\| compared \/ sampled \| 3 \/ 3 \(coverage 100%\) \|/);
  assert.match(out, /\| key-casing \| body\.name \| GET \/api\/users\/\{id\} \| 3 \|/);
  assert.match(out, /\| type \| body\.id \| GET \/api\/users\/\{id\} \| 3 \| 100% \|.*legacy 1, new "1"/);
});

test('json is the same data, and html is one self-contained file with every captured value escaped', async () => {
  const json = JSON.parse((await run(['--format', 'json'])).out) as { routes: Array<{ route: string; patterns: { unexpected: unknown[] } }> };
  assert.equal(json.routes[0]?.route, 'users');
  assert.equal(json.routes[0]?.patterns.unexpected.length, 2);
  const html = (await run(['--format', 'html', '--since', '30m'])).out;
  assert.match(html, /^<!doctype html>/);
  assert.ok(!/<script|src=|href=|@import|url\(/i.test(html), 'no script and nothing loaded from elsewhere');
  assert.match(html, /Route users/);
});

test('bad flags exit 2 with one line; an unreachable figway or a wrong token exit 1 with one line; --help and --version work', async () => {
  for (const args of [['--format', 'pdf'], ['--since', 'soon'], ['--bogus']]) {
    const { code, err } = await run(args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(err.trim().split('\n').length, 1);
  }
  const wrong = await run([], { FIGWAY_ADMIN_TOKEN: 'wrong-token-wrong-token', FIGWAY_ADMIN_URL: figway.adminUrl });
  assert.deepEqual([wrong.code, wrong.err.includes('refused the token')], [1, true]);
  const ghost = await run(['--route', 'ghost']);
  assert.deepEqual([ghost.code, ghost.err.trim()], [1, 'figway report: no route "ghost" (routes: users)']);
  assert.match((await run(['--help'])).out, /--format md\|json\|html/);
  assert.match((await run(['--version'])).out, /^figway \d+\.\d+\.\d+\n$/);
});
