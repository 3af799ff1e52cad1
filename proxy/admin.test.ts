/**
 * The admin listener as an attacker meets it: requests its parser refuses get figway's JSON error format; every
 * endpoint but the probes and the sign-in page refuses a missing or wrong token with 401; bad input to every
 * state-changing endpoint gets 400 (or 413 when too large) and changes nothing — weights, configuration, audit, ramps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { isPublicAdminPath } from './admin.js';
import { lazyDefaultExtensions } from './lazy-extensions.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { rawExchange } from '../testing/raw-http.js';
import { startEchoServer } from '../testing/http-servers.js';

let upstream: Awaited<ReturnType<typeof startEchoServer>>;
let figway: TestFigway;
let adminPort: number;

before(async () => {
  upstream = await startEchoServer('legacy');
  figway = await startTestFigway({
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'r', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, mirror: { sampleRate: 1 }, ramp: { steps: [0, 50, 100], minStepMs: 300_000 } }],
  }, { r: 5 }, { extensions: lazyDefaultExtensions });
  adminPort = Number(new URL(figway.adminUrl!).port);
});

after(async () => {
  await figway.close();
  await upstream.close();
});

test('the admin listener answers a 100 KB header with 431 in figway\'s JSON error format', async () => {
  const answer = await rawExchange(adminPort, `GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Big: ${'y'.repeat(100 * 1024)}\r\n\r\n`);
  assert.deepEqual(answer.statuses, [431]);
  assert.match(answer.text, /\r\nContent-Type: application\/json\r\n/i);
  const body = JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'ADMIN_HEADERS_TOO_LARGE');
  assert.ok(answer.closed);
});

test('the admin listener answers a malformed request with 400 ADMIN_BAD_REQUEST', async () => {
  const answer = await rawExchange(adminPort, 'GET /healthz HTTP/1.1\r\nHost: admin\r\nX A: b\r\n\r\n');
  assert.deepEqual(answer.statuses, [400]);
  assert.match(answer.text, /"code":"ADMIN_BAD_REQUEST"/);
});

/** adminRoutes lists every registered admin route as [method, path with sample parameters], from fastify's own table. */
function adminRoutes(): [string, string][] {
  const routes: [string, string][] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of figway.admin!.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    const path = parent === '/' || parent === '' ? (match[2] === '/' ? '/' : `/${match[2]!.replace(/^\//, '')}`) : `${parent}${match[2]}`;
    stack.push({ depth, path });
    const sample = path.replace(':route', 'r').replace(':action', 'pause').replace(':id', 'nope').replace(':file', 'x.js');
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push([method, sample]);
  }
  return routes;
}

test('every admin endpoint but the probes and the sign-in page answers 401 to no token and to a wrong one', async () => {
  const routes = adminRoutes();
  assert.ok(routes.length >= 15, JSON.stringify(routes));
  for (const [method, path] of routes) {
    if (isPublicAdminPath(path) || path === '/auth/sign-in' || path === '/auth/sign-out' || path === '/') continue;
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Basic ${TEST_ADMIN_TOKEN}`, `Bearer ${TEST_ADMIN_TOKEN}x`]) {
      const response = await request(`${figway.adminUrl}${path}`, {
        method: method as 'GET', headers: { ...(authorization === undefined ? {} : { authorization }), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
      const text = await response.body.text();
      assert.equal(response.statusCode, 401, `${method} ${path} with ${authorization ?? 'no token'}: ${text}`);
      assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, 'ADMIN_UNAUTHORIZED');
    }
  }
});

test('bad input to every state-changing endpoint gets 400 (413 when too large) and changes nothing', async () => {
  const before = {
    weights: await readFile(figway.weightsPath, 'utf8'),
    config: await readFile(figway.configPath, 'utf8'),
    audit: await (await request(`${figway.adminUrl}/api/audit`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text(),
    ramps: await (await request(`${figway.adminUrl}/api/ramps`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text(),
    weight: figway.manager.snapshot().routes[0]!.weight,
  };
  const bad = ['not json', '[]', '"text"', 'null', '{"weight":"5"}', '{"weight":-1}', '{"weight":101}', '{"weight":1.005}', '{"weight":5,"extra":1}',
    '{"reason":5}', '{"reason":"x","extra":true}', '{"path":""}', '{"path":"body.x"}', '{"path":"body.x","reason":""}', '{"path":"body.x","reason":"r","class":5}',
    `{"reason":"${'x'.repeat(70 * 1024)}"}`];
  const targets: [string, string][] = [['PUT', '/api/routes/r/weight'], ['POST', '/api/routes/r/accept'], ['POST', '/api/routes/r/ramp/start'],
    ['POST', '/api/routes/r/ramp/pause'], ['POST', '/api/routes/r/ramp/promote'], ['POST', '/api/routes/r/ramp/abort']];
  for (const [method, path] of targets) {
    for (const body of bad) {
      // Each body is wrong for each endpoint: a ramp action takes only {reason?: string} (or null: no reason), accept
      // needs path and reason.
      if (path.includes('/ramp/') && body === 'null') continue;
      const response = await request(`${figway.adminUrl}${path}`, {
        method: method as 'PUT', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body,
      });
      const text = await response.body.text();
      const expected = body.length > 64 * 1024 ? [400, 413] : [400];
      assert.ok(expected.includes(response.statusCode), `${method} ${path} ${body.slice(0, 60)}: ${response.statusCode} ${text.slice(0, 200)}`);
      assert.match(text, /"code":"ADMIN_[A-Z_]+"/, `${method} ${path}: figway's error format`);
    }
  }
  assert.equal(await readFile(figway.weightsPath, 'utf8'), before.weights, 'weights file unchanged');
  assert.equal(await readFile(figway.configPath, 'utf8'), before.config, 'configuration unchanged');
  assert.equal(await (await request(`${figway.adminUrl}/api/audit`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text(), before.audit, 'nothing audited');
  assert.equal(await (await request(`${figway.adminUrl}/api/ramps`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text(), before.ramps, 'ramps unchanged');
  assert.equal(figway.manager.snapshot().routes[0]!.weight, before.weight, 'weight in force unchanged');
});
