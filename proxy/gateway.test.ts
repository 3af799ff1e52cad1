import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { readFile, writeFile } from 'node:fs/promises';
import { listenTestServer, startEchoServer, streamBytes, type TestServer } from '../testing/http-servers.js';
import { rawRequest, startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { freePort } from '../testing/redis-server.js';

/** STREAM_BYTES is the size of the streamed bodies: far above the RSS bound, so holding one cannot go unseen. */
const STREAM_BYTES = 150 * 1024 * 1024;
let legacy: Awaited<ReturnType<typeof startEchoServer>>;
let fresh: Awaited<ReturnType<typeof startEchoServer>>;
let slow: TestServer;
let streaming: TestServer;
let figway: TestFigway;
let closedPort: number;

function route(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, legacy: 'legacy', new: 'new', sticky: { header: 'X-Pesto-Token' }, ...extra };
}

before(async () => {
  legacy = await startEchoServer('legacy');
  fresh = await startEchoServer('new');
  slow = await listenTestServer((req, res) => {
    req.resume();
    // Never answers: the gateway's response timeout must fire.
    if (req.url?.startsWith('/hang')) return;
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('slow ok'); }, 50);
  });
  streaming = await listenTestServer((req, res) => {
    if (req.method === 'POST') {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ bytes })); });
      return;
    }
    streamBytes(res, STREAM_BYTES);
  });
  closedPort = await freePort();
  figway = await startTestFigway({
    maxHeaderBytes: 2048,
    upstreams: {
      legacy: { url: legacy.url },
      new: { url: fresh.url },
      slow: { url: slow.url },
      streaming: { url: streaming.url },
      dead: { url: `http://127.0.0.1:${closedPort}` },
    },
    routes: [
      route('limited', { match: { pathPrefix: '/limited' }, maxBodyBytes: 1000 }),
      route('slow', { match: { pathPrefix: '/slow' }, legacy: 'slow', new: 'slow', timeouts: { responseMs: 300 } }),
      route('hang', { match: { pathPrefix: '/hang' }, legacy: 'slow', new: 'slow', timeouts: { responseMs: 200 } }),
      route('stream', { match: { pathPrefix: '/stream' }, legacy: 'streaming', new: 'streaming', maxBodyBytes: STREAM_BYTES + 1024 }),
      route('failover', { match: { pathPrefix: '/failover' }, new: 'dead' }),
      route('nofailover', { match: { pathPrefix: '/nofailover' }, new: 'dead', failover: false }),
      route('pinned', { match: { pathPrefix: '/pinned' }, override: { enabled: true } }),
      route('api', { match: { pathPrefix: '/api', methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] } }),
      route('hosted', { match: { pathPrefix: '/', host: 'auth.pesto.local' } }),
      route('default', { match: { pathPrefix: '/' } }),
    ],
  }, { limited: 0, slow: 0, hang: 0, stream: 0, failover: 100, nofailover: 100, pinned: 0, api: 0, hosted: 100, default: 0 });
});

after(async () => {
  await figway.close();
  await Promise.all([legacy.close(), fresh.close(), slow.close(), streaming.close()]);
});

function url(path: string): string {
  return `${figway.gatewayUrl}${path}`;
}

async function json(response: Awaited<ReturnType<typeof request>>): Promise<Record<string, unknown>> {
  return (await response.body.json()) as Record<string, unknown>;
}

test('any method, path, query, headers and body reach the chosen upstream and its answer reaches the client', async () => {
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
    const response = await request(url('/api/items?q=1&q=2'), {
      method,
      headers: { 'x-custom': 'v', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'content-type': 'text/plain' },
      body: method === 'GET' ? null : `body-of-${method}`,
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-upstream'], 'legacy');
    const seen = await json(response);
    assert.equal(seen.method, method);
    assert.equal(seen.url, '/api/items?q=1&q=2');
    const headers = seen.headers as Record<string, string>;
    assert.equal(headers['x-custom'], 'v');
    assert.equal(headers.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.match(headers['x-request-id']!, /^[0-9a-f-]{36}$/);
    if (method !== 'GET') assert.equal(seen.body, `body-of-${method}`);
  }
});

test('an X-Request-Id sent by the client is passed on unchanged', async () => {
  const seen = await json(await request(url('/x'), { headers: { 'x-request-id': 'abc-123' } }));
  assert.equal((seen.headers as Record<string, string>)['x-request-id'], 'abc-123');
});

test('a 150 MB upload and a 150 MB download stream through without being held in memory', async () => {
  const before = process.memoryUsage().rss;
  const chunk = Buffer.alloc(64 * 1024, 98);
  let sent = 0;
  const upload = Readable.from((async function* () {
    while (sent < STREAM_BYTES) { sent += chunk.length; yield chunk; }
  })());
  const up = await request(url('/stream/upload'), { method: 'POST', body: upload });
  assert.deepEqual(await json(up), { bytes: STREAM_BYTES });
  const down = await request(url('/stream/download'));
  let received = 0;
  for await (const part of down.body) received += (part as Buffer).length;
  assert.equal(received, STREAM_BYTES);
  const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
  // 300 MB went through this process (client, gateway and upstream side by side); holding either body would add
  // at least 150 MB. The bound sits far from both that and from what garbage collection timing adds on a busy machine.
  assert.ok(grownMb < 100, `RSS grew ${grownMb.toFixed(1)} MB`);
});

test('headers named in Connection are removed in both directions', async () => {
  const port = Number(new URL(figway.gatewayUrl).port);
  const answer = await rawRequest(port, 'GET /api/hop HTTP/1.1\r\nHost: gw\r\nConnection: close, X-Drop-Me\r\nX-Drop-Me: secret\r\nX-Keep: 1\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.match(answer, /"x-keep":"1"/);
  assert.doesNotMatch(answer, /secret/);
  // The upstream names X-Internal in its Connection header: the client must not see it.
  const internal = await listenTestServer((_req, res) => { res.writeHead(200, { connection: 'x-internal', 'x-internal': 'leak', 'x-public': 'ok' }); res.end('done'); });
  const instance = await startTestFigway({ upstreams: { legacy: { url: internal.url }, new: { url: internal.url } }, routes: [route('r', { match: { pathPrefix: '/' } })] }, {});
  try {
    const response = await request(`${instance.gatewayUrl}/`);
    assert.equal(response.headers['x-internal'], undefined);
    assert.equal(response.headers['x-public'], 'ok');
    assert.equal(await response.body.text(), 'done');
  } finally {
    await instance.close();
    await internal.close();
  }
});

test('the gateway answers its own errors as JSON with a stable code and no upstream address', async () => {
  const cases: [string, Parameters<typeof request>[1], number, string][] = [
    ['/limited/x', { method: 'POST', body: 'x'.repeat(1001) }, 413, 'PROXY_BODY_TOO_LARGE'],
    ['/hang/x', {}, 504, 'PROXY_UPSTREAM_TIMEOUT'],
    ['/nofailover/x', { headers: { 'x-pesto-token': 'anyone' } }, 502, 'PROXY_UPSTREAM_UNREACHABLE'],
    ['/pinned/x', { headers: { 'x-figway-side': 'sideways' } }, 400, 'PROXY_BAD_OVERRIDE'],
  ];
  for (const [path, options, status, code] of cases) {
    const response = await request(url(path), options);
    assert.equal(response.statusCode, status, path);
    assert.equal(response.headers['content-type'], 'application/json');
    const text = await response.body.text();
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code);
    assert.doesNotMatch(text, /127\.0\.0\.1|localhost|at .*\.js/);
  }
});

test('a chunked body over the route limit gets 413 without reaching the limit in memory', async () => {
  const body = Readable.from((async function* () { for (let i = 0; i < 10; i++) yield Buffer.alloc(200, 120); })());
  const response = await request(url('/limited/chunked'), { method: 'POST', body });
  assert.equal(response.statusCode, 413);
  assert.equal(((await json(response)).error as { code: string }).code, 'PROXY_BODY_TOO_LARGE');
});

test('malformed requests get 400 and oversized headers 431', async () => {
  const port = new URL(figway.gatewayUrl).port;
  const twoHosts = await rawRequest(Number(port), 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  assert.match(twoHosts, /^HTTP\/1\.1 400/);
  assert.match(twoHosts, /PROXY_DUPLICATE_HOST/);
  const http10 = await rawRequest(Number(port), 'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.match(http10, /^HTTP\/1\.[01] 400/);
  const foreign = await rawRequest(Number(port), 'GET http://elsewhere.example/x HTTP/1.1\r\nHost: gw.local\r\n\r\n');
  assert.match(foreign, /^HTTP\/1\.1 400/);
  assert.match(foreign, /PROXY_FOREIGN_ABSOLUTE_TARGET/);
  const same = await rawRequest(Number(port), 'GET http://gw.local/api/abs?x=1 HTTP/1.1\r\nHost: gw.local\r\nConnection: close\r\n\r\n');
  assert.match(same, /^HTTP\/1\.1 200/);
  assert.match(same, /"url":"\/api\/abs\?x=1"/);
  const huge = await rawRequest(Number(port), `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'y'.repeat(4096)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431/);
  assert.match(huge, /PROXY_HEADERS_TOO_LARGE/);
  const smuggle = await rawRequest(Number(port), 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
  assert.match(smuggle, /^HTTP\/1\.1 400/);
});

test('paths are normalised once and routed and forwarded in the same form', async () => {
  const seen = await json(await request(url('/public/../api/./x//y?z=1')));
  assert.equal(seen.url, '/api/x/y?z=1');
  const port = new URL(figway.gatewayUrl).port;
  const encoded = await rawRequest(Number(port), 'GET /public/%2e%2e/api/z HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
  assert.match(encoded, /"url":"\/api\/z"/);
  // Segment-aware prefix: /apix is not under /api, so the default route (weight 0 → legacy) takes it, not 'api'.
  const routes = await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  assert.equal(routes.statusCode, 200);
  await routes.body.dump();
});

test('routes match on host', async () => {
  const response = await request(url('/anything'), { headers: { host: 'auth.pesto.local:8080' } });
  assert.equal(response.headers['x-upstream'], 'new');
  await response.body.dump();
});

test('when the chosen side refuses connections the request goes once to the other side, and it is counted', async () => {
  const response = await request(url('/failover/write'), { method: 'POST', body: 'payload', headers: { 'x-pesto-token': 'k1' } });
  assert.equal(response.statusCode, 200);
  const seen = await json(response);
  assert.equal(seen.side, 'legacy');
  assert.equal(seen.body, 'payload');
  const metrics = await (await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text();
  assert.match(metrics, /figway_failovers_total\{route="failover",from="new",to="legacy"\} [1-9]/);
  assert.match(metrics, /figway_upstream_errors_total\{route="failover",side="new",code="ECONNREFUSED"\} [1-9]/);
});

test('the override header pins a side only where the route allows it, and is always stripped', async () => {
  const pinned = await json(await request(url('/pinned/a'), { headers: { 'x-figway-side': 'new' } }));
  assert.equal(pinned.side, 'new');
  assert.equal((pinned.headers as Record<string, string>)['x-figway-side'], undefined);
  const ignored = await json(await request(url('/api/a'), { headers: { 'x-figway-side': 'new' } }));
  assert.equal(ignored.side, 'legacy');
  assert.equal((ignored.headers as Record<string, string>)['x-figway-side'], undefined);
});

test('unmatched requests get 404 PROXY_NO_ROUTE when no route covers them', async () => {
  const lonely = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [route('only', { match: { pathPrefix: '/only' } })],
  }, {});
  try {
    const response = await request(`${lonely.gatewayUrl}/elsewhere`);
    assert.equal(response.statusCode, 404);
    assert.equal(((await json(response)).error as { code: string }).code, 'PROXY_NO_ROUTE');
  } finally {
    await lonely.close();
  }
});

test('metrics count requests by route, side and status class, and the admin API needs the token', async () => {
  await (await request(url('/api/m'))).body.dump();
  const denied = await request(`${figway.adminUrl}/metrics`);
  assert.equal(denied.statusCode, 401);
  assert.equal(((await json(denied)).error as { code: string }).code, 'ADMIN_UNAUTHORIZED');
  const wrong = await request(`${figway.adminUrl}/api/routes`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.statusCode, 401);
  await wrong.body.dump();
  const health = await request(`${figway.adminUrl}/healthz`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  const metrics = await (await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text();
  assert.match(metrics, /figway_requests_total\{route="api",side="legacy",status_class="2xx"\} [1-9]/);
  assert.match(metrics, /figway_request_duration_seconds_bucket\{le="0.005",route="api",side="legacy"\}/);
  assert.match(metrics, /figway_route_weight_ratio\{route="failover"\} 1\n/);
  assert.match(metrics, /\nprocess_resident_memory_bytes /);
});

test('a bad weight edit is rejected, counted and the last good weights keep serving; a good one applies', async () => {
  const original = await readFile(figway.weightsPath, 'utf8');
  await writeFile(figway.weightsPath, 'routes:\n  api: 140\n');
  const rejected = await figway.manager.reloadWeights();
  assert.equal(rejected.result, 'rejected');
  assert.match(rejected.issues[0]!.message, /less or equal to 100/);
  assert.equal(rejected.issues[0]!.line, 2);
  assert.equal((await json(await request(url('/api/a'), { headers: { 'x-pesto-token': 'k' } }))).side, 'legacy');

  await writeFile(figway.weightsPath, 'routes:\n  ghost: 5\n');
  assert.equal((await figway.manager.reloadWeights()).issues[0]!.code, 'CONFIG_UNKNOWN_ROUTE');

  await writeFile(figway.weightsPath, original.replace(/api: 0/, 'api: 100'));
  assert.equal((await figway.manager.reloadWeights()).result, 'applied');
  assert.equal((await json(await request(url('/api/a'), { headers: { 'x-pesto-token': 'k' } }))).side, 'new');
  await writeFile(figway.weightsPath, original);
  assert.equal((await figway.manager.reloadWeights()).result, 'applied');
  const metrics = await (await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text();
  assert.match(metrics, /figway_config_reloads_total\{file="weights.yaml",result="rejected"\} 2/);
});

test('a configuration edit removing a route that the weights still name is rejected', async () => {
  const text = await readFile(figway.configPath, 'utf8');
  await writeFile(figway.configPath, text.replace('name: failover', 'name: failover2'));
  const outcome = await figway.manager.reloadConfig();
  assert.equal(outcome.result, 'rejected');
  assert.equal(outcome.issues[0]!.code, 'CONFIG_UNKNOWN_ROUTE');
  await writeFile(figway.configPath, text);
  assert.equal(figway.manager.snapshot().routes.some((r) => r.name === 'failover'), true);
});

test('the weight API writes the file atomically, keeps comments and applies the weight', async () => {
  const original = await readFile(figway.weightsPath, 'utf8');
  await writeFile(figway.weightsPath, `# ramp of the api route\n${original}`);
  const response = await request(`${figway.adminUrl}/api/routes/api/weight`, {
    method: 'PUT', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ weight: 12.5 }),
  });
  assert.equal(response.statusCode, 200);
  await response.body.dump();
  const written = await readFile(figway.weightsPath, 'utf8');
  assert.match(written, /^# ramp of the api route/);
  assert.match(written, /api: 12.5/);
  assert.equal(figway.manager.snapshot().routes.find((r) => r.name === 'api')!.weight, 12.5);
  const bad = await request(`${figway.adminUrl}/api/routes/ghost/weight`, {
    method: 'PUT', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ weight: 5 }),
  });
  assert.equal(bad.statusCode, 400);
  assert.match(await bad.body.text(), /CONFIG_UNKNOWN_ROUTE/);
  for (const body of ['not json', '{"weight":"x"}', '{}', '{"weight":5,"extra":1}', '{"weight":1.005}', '{"weight":140}']) {
    const rejected = await request(`${figway.adminUrl}/api/routes/api/weight`, {
      method: 'PUT', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body,
    });
    assert.equal(rejected.statusCode, 400, body);
    assert.equal(((await rejected.body.json()) as { error: { code: string } }).error.code, 'ADMIN_BAD_WEIGHT', body);
  }
  assert.equal(figway.manager.snapshot().routes.find((r) => r.name === 'api')!.weight, 12.5, 'rejected edits change nothing');
  await writeFile(figway.weightsPath, original);
  await figway.manager.reloadWeights();
});

test('a watched weight file edit is picked up without a restart', async () => {
  const watched = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [route('w', { match: { pathPrefix: '/' } })],
  }, { w: 0 }, { watch: true });
  try {
    await writeFile(watched.weightsPath, '# flipped\nroutes:\n  w: 100\n');
    const deadline = Date.now() + 5000;
    while (watched.manager.snapshot().routes[0]!.weight !== 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await json(await request(`${watched.gatewayUrl}/`, { headers: { 'x-pesto-token': 'a' } }))).side, 'new');
  } finally {
    await watched.close();
  }
});

test('a server that closes the connection before answering gives 502 PROXY_UPSTREAM_FAILED', async () => {
  const rude = createServer((socket) => socket.destroy());
  rude.listen(0, '127.0.0.1');
  await once(rude, 'listening');
  const port = (rude.address() as { port: number }).port;
  const instance = await startTestFigway({
    upstreams: { legacy: { url: `http://127.0.0.1:${port}` }, new: { url: fresh.url } },
    routes: [route('r', { match: { pathPrefix: '/' } })],
  }, { r: 0 });
  try {
    const response = await request(`${instance.gatewayUrl}/`);
    assert.equal(response.statusCode, 502);
    assert.equal(((await json(response)).error as { code: string }).code, 'PROXY_UPSTREAM_FAILED');
  } finally {
    await instance.close();
    rude.close();
  }
});
