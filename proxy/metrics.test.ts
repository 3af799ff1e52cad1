/**
 * The metrics conventions pass (issue #10): `promtool check metrics` accepts real /metrics output; weights are ratios;
 * process_* and nodejs_* keep their standard names; error, failover and 5xx series exist at 0 from the start; in-flight
 * requests are counted per route; an answer cut mid-body is counted and logged as an error, not as a plain 200.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { listenTestServer, startEchoServer } from '../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { createLogger } from './log.js';
import { defaultExtensions } from './extensions.js';

async function scrape(figway: TestFigway): Promise<string> {
  const response = await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  return response.body.text();
}

test('every route\'s error, failover and 5xx series exist at 0 from the start; weights are ratios; process metrics keep their names', async () => {
  const upstream = await startEchoServer('legacy');
  const figway = await startTestFigway({
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new' }],
  }, { api: 12.5 });
  try {
    const metrics = await scrape(figway);
    for (const side of ['legacy', 'new']) {
      assert.match(metrics, new RegExp(`figway_requests_total\\{route="api",side="${side}",status_class="5xx"\\} 0`));
      assert.match(metrics, new RegExp(`figway_upstream_errors_total\\{route="api",side="${side}",code="ECONNREFUSED"\\} 0`));
      assert.match(metrics, new RegExp(`figway_responses_truncated_total\\{route="api",side="${side}"\\} 0`));
    }
    assert.match(metrics, /figway_failovers_total\{route="api",from="new",to="legacy"\} 0/);
    assert.match(metrics, /figway_requests_in_flight\{route="api"\} 0/);
    assert.match(metrics, /figway_rejected_requests_total\{code="PROXY_NO_ROUTE"\} 0/);
    assert.match(metrics, /figway_route_weight_ratio\{route="api"\} 0.125\n/);
    assert.match(metrics, /\nprocess_cpu_seconds_total /);
    assert.match(metrics, /\nnodejs_eventloop_lag_seconds /);
    assert.doesNotMatch(metrics, /figway_(process|nodejs)_|_percent/);
  } finally {
    await figway.close();
    await upstream.close();
  }
});

test('in-flight requests are counted per route', async () => {
  let release: (() => void) | undefined;
  const slow = await listenTestServer((req, res) => {
    req.resume();
    release = () => { res.writeHead(200); res.end('done'); };
  });
  const figway = await startTestFigway({
    upstreams: { slow: { url: slow.url } },
    routes: [{ name: 'slow', legacy: 'slow', new: 'slow', match: { pathPrefix: '/slow' } }, { name: 'other', legacy: 'slow', new: 'slow' }],
  }, { slow: 0, other: 0 });
  try {
    const pending = request(`${figway.gatewayUrl}/slow`);
    for (let i = 0; i < 200 && release === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const during = await scrape(figway);
    assert.match(during, /figway_requests_in_flight\{route="slow"\} 1/);
    assert.match(during, /figway_requests_in_flight\{route="other"\} 0/);
    release!();
    await (await pending).body.text();
    assert.match(await scrape(figway), /figway_requests_in_flight\{route="slow"\} 0/);
  } finally {
    await figway.close();
    await slow.close();
  }
});

test('an answer cut mid-body is counted and logged as an error, not as a plain 200', async () => {
  const cutting = await listenTestServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
    res.write('only the start');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const figway = await startTestFigway({
    log: { level: 'info', access: true },
    upstreams: { cut: { url: cutting.url } },
    routes: [{ name: 'cut', legacy: 'cut', new: 'cut' }],
  }, { cut: 0 }, { logger: createLogger('info', sink) });
  try {
    const response = await request(`${figway.gatewayUrl}/`);
    assert.equal(response.statusCode, 200);
    await assert.rejects(response.body.text());
    for (let i = 0; i < 100 && !lines.some((line) => line.truncated === true); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const logged = lines.find((line) => line.truncated === true);
    assert.ok(logged !== undefined, 'the cut answer is logged');
    assert.equal(logged.level, 40, 'as a warning');
    assert.equal(typeof logged.error, 'string');
    assert.equal(lines.some((line) => line.msg === 'request' && line.route === 'cut'), false, 'never as a plain request line');
    assert.match(await scrape(figway), /figway_responses_truncated_total\{route="cut",side="legacy"\} 1/);
  } finally {
    await figway.close();
    await cutting.close();
  }
});

test('promtool check metrics accepts the real /metrics output of a mirroring, ramping figway', async (t) => {
  if (spawnSync('promtool', ['--version']).error !== undefined) {
    t.skip('promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it)');
    return;
  }
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  const figway = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', mirror: { sampleRate: 1 }, ramp: {} }],
  }, { api: 10 }, { extensions: defaultExtensions });
  try {
    for (let i = 0; i < 5; i++) await (await request(`${figway.gatewayUrl}/api/x${i}`)).body.text();
    await (await request(`${figway.gatewayUrl}/api/x`, { method: 'POST', body: 'x' })).body.text();
    const metrics = await scrape(figway);
    assert.match(metrics, /figway_ramp_state\{route="api",state="idle"\} 1/);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'promtool has nothing to say');
    assert.equal(checked.status, 0);
  } finally {
    await figway.close();
    await legacy.close();
    await fresh.close();
  }
});
