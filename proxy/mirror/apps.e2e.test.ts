/**
 * Two small application pairs of our own behind figway, each a legacy service and a rewrite with deliberate
 * differences, to prove figway shows every difference and no false one:
 * - an orders API whose rewrite turns every id into a string AND returns a different number of orders;
 * - a sessions API whose rewrite stores sessions under a renamed key (`app:session:{id}` for `session:{id}`),
 *   drops a null field inside the record and no longer maintains the `sessions:active` tracking set — found from
 *   the shadows' writes alone, with no key declared.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../testing/redis-server.js';
import { listenTestServer } from '../../testing/http-servers.js';
import { startTestFigway, type TestFigway } from '../../testing/figway.js';
import { createComparisonExtensions, type ComparisonExtensions } from '../extensions.js';
import type { JudgedFinding, Sample } from '../../shadow-report/types.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

type Gateway = TestFigway & { comparison: ComparisonExtensions };

async function startGateway(config: Record<string, unknown>): Promise<Gateway> {
  let comparison: ComparisonExtensions | undefined;
  const figway = await startTestFigway(config, {}, {
    extensions: ({ logger, metrics }) => {
      comparison = createComparisonExtensions({ logger, metrics }, { mirror: { redactionKey: Buffer.from('apps-e2e') } });
      return comparison.extensions;
    },
  });
  cleanups.push(() => figway.close());
  return Object.assign(figway, { comparison: comparison! });
}

async function send(figway: Gateway, method: string, path: string, json?: unknown): Promise<{ status: number; body: string }> {
  const response = await request(`${figway.gatewayUrl}${path}`, {
    method: method as 'GET',
    ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
  });
  const answer = { status: response.statusCode, body: await response.body.text() };
  await figway.comparison.mirror.idle();
  return answer;
}

async function findingsOf(figway: Gateway, route: string): Promise<string[]> {
  const samples: Sample[] = (await figway.comparison.mirror.store()?.samples(route, { limit: 200 })) ?? [];
  const seen = new Set<string>();
  return samples.flatMap((sample) => sample.findings)
    .map((f: JudgedFinding) => `${f.verdict} ${f.class} ${f.path}`)
    .filter((line) => (seen.has(line) ? false : (seen.add(line), true)))
    .sort();
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>); } catch { resolve({}); }
    });
  });
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const ORDERS = [
  { id: 1, total: 10, items: ['a'] },
  { id: 2, total: 25, items: ['b', 'c'] },
  { id: 3, total: 7, items: [] },
  { id: 4, total: 12, items: ['d'] },
  { id: 5, total: 99, items: ['e'] },
];

test('orders: ids turned into strings and one order fewer — every type difference and the missing order, nothing else', async () => {
  const legacy = await listenTestServer((_req, res) => reply(res, 200, { orders: ORDERS }));
  // The rewrite: ids as strings, the third order gone, and one total changed.
  const rewrite = await listenTestServer((_req, res) => reply(res, 200, {
    orders: ORDERS.filter((order) => order.id !== 3).map((order) => ({ ...order, id: String(order.id), total: order.id === 4 ? 13 : order.total })),
  }));
  cleanups.push(() => legacy.close(), () => rewrite.close());
  for (const arrayKeys of [{ 'body.orders': 'id' }, {}]) {
    const figway = await startGateway({
      upstreams: { legacy: { url: legacy.url }, new: { url: rewrite.url } },
      routes: [{ name: 'orders', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new', mirror: { sampleRate: 1 }, compare: { arrayKeys, learnNoise: false } }],
    });
    assert.equal((await send(figway, 'GET', '/orders')).status, 200);
    assert.deepEqual(await findingsOf(figway, 'orders'), [
      'unexpected array-length body.orders',
      'unexpected missing-field body.orders[2]',
      'unexpected type body.orders[0].id',
      'unexpected type body.orders[1].id',
      'unexpected type body.orders[3].id',
      'unexpected type body.orders[4].id',
      'unexpected value body.orders[3].total',
    ], `arrayKeys ${JSON.stringify(arrayKeys)}`);
  }
});

interface SessionsStack {
  prodUrl: string;
  shadowsUrl: string;
  upstreams: Record<string, unknown>;
}

/** startSessions runs the sessions pair (legacy and rewrite, each with a shadow twin on its own store). */
async function startSessions(): Promise<SessionsStack> {
  const production = await startRedisServer();
  const shadows = await startRedisServer();
  cleanups.push(() => production.stop(), () => shadows.stop());
  const sessionsApp = (redisUrl: string, flavour: 'legacy' | 'rewrite') => {
    const redis = new Redis(redisUrl);
    cleanups.push(async () => { redis.disconnect(); });
    return listenTestServer((req, res) => {
      void (async () => {
        const path = (req.url ?? '/').split('?', 1)[0]!;
        const id = /^\/sessions\/(\d+)$/.exec(path)?.[1];
        const key = flavour === 'legacy' ? `session:${id}` : `app:session:${id}`;
        if (req.method === 'POST' && path === '/sessions') {
          const body = await readJson(req);
          const created = String(body.id);
          if (flavour === 'legacy') {
            await redis.set(`session:${created}`, JSON.stringify({ user: body.user, expires: null }), 'EX', 3600);
            await redis.sadd('sessions:active', created);
          } else {
            await redis.set(`app:session:${created}`, JSON.stringify({ user: body.user }), 'EX', 3600);
          }
          reply(res, 201, { id: created });
        } else if (req.method === 'GET' && id !== undefined) {
          const raw = await redis.get(key);
          reply(res, raw === null ? 404 : 200, raw === null ? { message: 'no session' } : JSON.parse(raw));
        } else if (req.method === 'DELETE' && id !== undefined) {
          await redis.del(key);
          if (flavour === 'legacy') await redis.srem('sessions:active', id);
          reply(res, 204);
        } else {
          reply(res, 404, { message: 'not found' });
        }
      })();
    });
  };
  const prodUrl = `${production.url}/0`;
  const [legacy, rewrite, legacyShadow, rewriteShadow] = [
    await sessionsApp(prodUrl, 'legacy'), await sessionsApp(prodUrl, 'rewrite'),
    await sessionsApp(`${shadows.url}/1`, 'legacy'), await sessionsApp(`${shadows.url}/2`, 'rewrite'),
  ];
  for (const server of [legacy, rewrite, legacyShadow, rewriteShadow]) cleanups.push(() => server.close());
  return {
    prodUrl,
    shadowsUrl: shadows.url,
    upstreams: {
      legacy: { url: legacy.url, redis: { url: prodUrl }, shadow: { url: legacyShadow.url, redis: { url: `${shadows.url}/1` } } },
      new: { url: rewrite.url, redis: { url: prodUrl }, shadow: { url: rewriteShadow.url, redis: { url: `${shadows.url}/2` } } },
    },
  };
}

function sessionsRoute(redis: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'sessions', match: { pathPrefix: '/sessions' }, legacy: 'legacy', new: 'new',
    mirror: { sampleRate: 1, methods: ['GET', 'POST', 'DELETE'], sideEffects: 'dual' },
    compare: { learnNoise: false },
    redis,
  };
}

async function shadowStoresEmpty(shadowsUrl: string): Promise<void> {
  for (const db of [1, 2]) {
    const client = new Redis(`${shadowsUrl}/${db}`);
    assert.equal(await client.dbsize(), 0, `shadow store ${db} holds nothing after the comparisons`);
    client.disconnect();
  }
}

test('sessions: a renamed key, a null gone from the record and a tracking set no longer written are found from the writes alone', async () => {
  const stack = await startSessions();
  const figway = await startGateway({ upstreams: stack.upstreams, routes: [sessionsRoute({ discoverWrites: 'exclusive' })] });
  assert.equal((await send(figway, 'POST', '/sessions', { id: 1001, user: 'ann' })).status, 201);
  assert.equal((await send(figway, 'GET', '/sessions/1001')).status, 200, 'the client is served by legacy in production');
  assert.equal((await send(figway, 'DELETE', '/sessions/1001')).status, 204);
  assert.deepEqual(await findingsOf(figway, 'sessions'), [
    'unexpected null-vs-absent redis.session:{id}.expires',
    'unexpected redis-key-renamed redis.session:{id}',
    'unexpected redis-missing-write redis.sessions:active',
  ]);
  const renamed = ((await figway.comparison.mirror.store()?.samples('sessions', { limit: 50 })) ?? [])
    .flatMap((sample) => sample.findings).find((f) => f.class === 'redis-key-renamed');
  assert.deepEqual([renamed?.legacy, renamed?.candidate], ['session:{id}', 'app:session:{id}']);
  // Three sampled requests, three comparisons: nothing dropped, and the shadow stores are left empty.
  const summary = (await figway.comparison.mirror.store()?.summaries())?.find((entry) => entry.route === 'sessions');
  assert.equal(summary?.comparisons, 3);
  await shadowStoresEmpty(stack.shadowsUrl);
});

test('sessions, keys declared: seeded copies a side never touches are not blamed on it — a key only legacy clears is a missing write', async () => {
  const stack = await startSessions();
  // Production already holds a session written by legacy, with its tracking-set member.
  const production = new Redis(stack.prodUrl);
  await production.set('session:2002', JSON.stringify({ user: 'bo', expires: null }), 'EX', 3600);
  await production.sadd('sessions:active', '2002', '3003');
  production.disconnect();
  const figway = await startGateway({
    upstreams: stack.upstreams,
    routes: [sessionsRoute({ keys: [{ name: 'session', key: 'session:{path.1}' }, { name: 'active', key: 'sessions:active' }], discoverWrites: 'exclusive' })],
  });
  assert.equal((await send(figway, 'GET', '/sessions/2002')).status, 200);
  assert.equal((await send(figway, 'DELETE', '/sessions/2002')).status, 204);
  // GET: the rewrite's shadow finds nothing under its own key name (404 vs 200). DELETE: legacy clears its record and
  // its set member; the rewrite never touches either, so its copies are figway's seeds, reported as missing writes.
  assert.deepEqual(await findingsOf(figway, 'sessions'), [
    'unexpected extra-field body.message',
    'unexpected missing-field body.user',
    'unexpected null-vs-absent body.expires',
    'unexpected redis-missing-write redis.active',
    'unexpected redis-missing-write redis.session',
    'unexpected status status',
  ]);
  await shadowStoresEmpty(stack.shadowsUrl);
});
