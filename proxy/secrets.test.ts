/**
 * Canary secrets: values planted in request headers (Authorization, Cookie, X-…-Token), the query string, a JSON
 * body, the upstreams' answers (echoing them) and Redis values never appear in what figway keeps or shows — the diff
 * store, its logs (at trace level, access log on), any admin API output, or `figway report` in any format — while
 * the evidence itself is there (the test is not vacuous).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { listenTestServer, type TestServer } from '../testing/http-servers.js';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { createLogger } from './log.js';
import { lazyDefaultExtensions } from './lazy-extensions.js';
import { runReportCommand } from '../shadow-report/report/command.js';

const CANARIES = {
  authorization: 'CANARYauthz7f3b9c1d2e',
  cookie: 'CANARYcookie4a8e2f6b1c',
  xToken: 'CANARYxtoken9d1c7e3a5b',
  query: 'CANARYquery2b6f8a4c0e',
  body: 'CANARYbody5e9a1d7c3f',
  redis: 'CANARYredis8c2e4a6f0b',
} as const;

let redis: TestRedis;
let store: Redis;
let legacy: TestServer;
let fresh: TestServer;
let figway: TestFigway;
let logs = '';

/** echoingService answers with what it received (so secrets come back in answers) and writes a Redis record. */
function echoingService(side: 'legacy' | 'new'): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void {
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', async () => {
      const key = req.headers['x-record'];
      if (typeof key === 'string') {
        // The rewrite re-cases the record: a shape drift that figway reports, with both values in the sample.
        const record = side === 'legacy' ? { UserEmail: 'ann@example.com', Token: CANARIES.redis } : { user_email: 'ann@example.com', token: CANARIES.redis };
        await store.set(key, JSON.stringify(record));
      }
      const answer = JSON.stringify({ side, url: req.url, headers: req.headers, body: body === '' ? null : JSON.parse(body) as unknown, ...(side === 'new' ? { extra: true } : {}) });
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `session=${CANARIES.cookie}` });
      res.end(answer);
    });
  };
}

before(async () => {
  redis = await startRedisServer();
  store = new Redis(redis.url);
  legacy = await listenTestServer(echoingService('legacy'));
  fresh = await listenTestServer(echoingService('new'));
  const capture = new Writable({ write(chunk: Buffer, _encoding, done) { logs += chunk.toString(); done(); } });
  figway = await startTestFigway({
    log: { level: 'trace', access: true },
    upstreams: { legacy: { url: legacy.url, redis: { url: redis.url } }, new: { url: fresh.url, redis: { url: redis.url } } },
    routes: [
      {
        name: 'echo', legacy: 'legacy', new: 'new', match: { pathPrefix: '/echo' }, sticky: { header: 'x-client' },
        mirror: { sampleRate: 1, methods: ['GET', 'POST'], sideEffects: 'none' },
      },
      {
        name: 'records', legacy: 'legacy', new: 'new', match: { pathPrefix: '/records' }, override: { enabled: true },
        redis: { keys: [{ name: 'record', key: '{header.x-record}' }], liveSampleRate: 1 },
      },
    ],
  }, { echo: 0, records: 0 }, { logger: createLogger('trace', capture), extensions: lazyDefaultExtensions });
});

after(async () => {
  await figway.close();
  await Promise.all([legacy.close(), fresh.close()]);
  store.disconnect();
  await redis.stop();
});

async function admin(path: string): Promise<string> {
  const response = await request(`${figway.adminUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  return response.body.text();
}

async function settled(what: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !await what(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

test('planted secrets never reach the diff store, the logs, the admin API or the report', async () => {
  const secretHeaders = {
    authorization: `Bearer ${CANARIES.authorization}`,
    cookie: `session=${CANARIES.cookie}; theme=dark`,
    'x-api-token': CANARIES.xToken,
    'x-client': 'client-1',
  };
  for (let i = 0; i < 3; i++) {
    await (await request(`${figway.gatewayUrl}/echo/items?token=${CANARIES.query}&page=${i}`, { headers: secretHeaders })).body.dump();
    await (await request(`${figway.gatewayUrl}/echo/login?password=${CANARIES.query}`, {
      method: 'POST', headers: { ...secretHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ann', password: CANARIES.body, nested: { apiKey: CANARIES.body } }),
    })).body.dump();
  }
  // Mode 2: legacy teaches the record's shape, then the rewrite writes it re-cased.
  for (let i = 0; i < 3; i++) await (await request(`${figway.gatewayUrl}/records/approve`, { method: 'PUT', headers: { 'x-record': `record-${i}`, 'x-figway-side': 'legacy' } })).body.dump();
  await (await request(`${figway.gatewayUrl}/records/approve`, { method: 'PUT', headers: { 'x-record': 'record-9', 'x-figway-side': 'new' } })).body.dump();

  const summaries = async (): Promise<{ routes: Array<{ route: string; comparisons?: number; unexpected?: number }> }> => JSON.parse(await admin('/api/diffs')) as never;
  await settled(async () => {
    const { routes } = await summaries();
    return routes.some((route) => route.route === 'echo' && (route.comparisons ?? 0) >= 6) && (JSON.parse(await admin('/api/diffs/records/samples?limit=50')) as { samples: unknown[] }).samples.length > 0;
  });

  // Everything figway shows: every admin GET, every sample in full, the report in each format.
  const outputs: Record<string, string> = {};
  for (const path of ['/api/routes', '/api/diffs', '/api/audit', '/api/config/reloads', '/api/ramps', '/metrics',
    '/api/diffs/echo/noise', '/api/diffs/records/noise', '/api/routes/echo/timeline', '/api/routes/records/timeline']) {
    outputs[path] = await admin(path);
  }
  for (const route of ['echo', 'records']) {
    const list = await admin(`/api/diffs/${route}/samples?limit=200`);
    outputs[`/api/diffs/${route}/samples`] = list;
    for (const sample of (JSON.parse(list) as { samples: Array<{ id?: string }> }).samples) {
      if (sample.id !== undefined) outputs[`/api/diffs/${route}/samples/${sample.id}`] = await admin(`/api/diffs/${route}/samples/${sample.id}`);
    }
  }
  for (const format of ['md', 'json', 'html']) {
    let text = '';
    const code = await runReportCommand(['--format', format, '--url', figway.adminUrl!, '--token', TEST_ADMIN_TOKEN], {
      stdout: (chunk) => { text += chunk; }, stderr: (chunk) => { text += chunk; }, env: {},
    });
    assert.equal(code, 0, text);
    outputs[`figway report --format ${format}`] = text;
  }
  outputs.logs = logs;

  // The evidence is there: samples of both routes, the access log, the drift on the record.
  assert.match(outputs['/api/diffs/echo/samples']!, /"path":"body.extra"/);
  assert.match(outputs['/api/diffs/records/samples']!, /key-casing/);
  assert.match(outputs.logs, /"msg":"request"/);
  for (const [where, text] of Object.entries(outputs)) {
    for (const [kind, canary] of Object.entries(CANARIES)) {
      assert.ok(!text.includes(canary), `the ${kind} canary leaked into ${where}: …${text.slice(Math.max(0, text.indexOf(canary) - 120), text.indexOf(canary) + 40)}…`);
    }
  }
});
