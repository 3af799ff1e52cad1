import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Redis } from 'ioredis';
import { startTestFigway, type TestFigway } from '../../testing/figway.js';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { createComparisonExtensions, type ComparisonExtensions } from '../extensions.js';
import type { Sample } from '../../shadow-report/types.js';
import { counterValue, dumpStore, startFakeService, startRedisOnPort, type FakeServiceOptions } from '../../testing/redis-fakes.js';

type Fake = Awaited<ReturnType<typeof startFakeService>>;

let redis: TestRedis;
const servers: Array<{ close(): Promise<void> }> = [];
const stores: TestRedis[] = [];

before(async () => {
  redis = await startRedisServer();
  stores.push(redis);
});

after(async () => {
  for (const server of servers.reverse()) await server.close();
  for (const store of stores) await store.stop();
});

async function fake(options: FakeServiceOptions): Promise<Fake> {
  const service = await startFakeService(options);
  servers.push(service);
  return service;
}

interface Deployments {
  legacy: Fake;
  new: Fake;
  prod: string;
  shadow?: { legacy: Fake; new: Fake; store: string };
}

function figwayConfig(d: Deployments, opts: { mirror: boolean; liveSampleRate?: number }): Record<string, unknown> {
  const upstream = (side: 'legacy' | 'new') => ({
    url: d[side].url,
    redis: { url: d.prod },
    ...(d.shadow === undefined ? {} : { shadow: { url: d.shadow[side].url, redis: { url: d.shadow.store } } }),
  });
  const mirror = (methods: string[]) => (opts.mirror ? { mirror: { sampleRate: 1, methods, sideEffects: 'isolated', timeoutMs: 5_000 } } : {});
  const live = opts.liveSampleRate === undefined ? {} : { liveSampleRate: opts.liveSampleRate };
  return {
    upstreams: { legacy: upstream('legacy'), new: upstream('new') },
    routes: [
      {
        name: 'registration', match: { pathPrefix: '/api' }, legacy: 'legacy', new: 'new', sticky: { header: 'x-client' },
        override: { enabled: true }, ...mirror(['POST', 'PUT']),
        compare: { redact: ['token', 'email', 'UserEmail'] },
        redis: { keys: [{ name: 'waiting-list', key: 'waiting-list' }, { name: 'token', key: '{body.token}', when: { methods: ['PUT'] } }], ...live },
      },
      {
        name: 'auth', match: { pathPrefix: '/auth', methods: ['GET'] }, legacy: 'legacy', new: 'new', sticky: { header: 'x-token' },
        override: { enabled: true }, ...mirror(['GET']),
        compare: { redact: ['UserEmail'] },
        redis: { keys: [{ name: 'token', key: '{header.x-token}' }, { name: 'counter', key: 'counter/{month}/{keys.token.UserEmail}' }], ...live },
      },
    ],
  };
}

async function startGateway(d: Deployments, opts: { mirror: boolean; liveSampleRate?: number }, weights: Record<string, number>): Promise<TestFigway & { comparison: ComparisonExtensions }> {
  let comparison: ComparisonExtensions | undefined;
  const figway = await startTestFigway(figwayConfig(d, opts), weights, {
    extensions: ({ logger, metrics }) => {
      comparison = createComparisonExtensions({ logger, metrics }, { mirror: { redactionKey: Buffer.from('redis-test-key') } });
      return comparison.extensions;
    },
  });
  servers.push(figway);
  return Object.assign(figway, { comparison: comparison! });
}

async function call(figway: TestFigway, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: string }> {
  const response = await request(`${figway.gatewayUrl}${path}`, {
    method: method as 'GET',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

async function comparisons(figway: TestFigway, route?: string): Promise<number> {
  return counterValue(figway.metrics.registry, 'figway_comparisons_total', route === undefined ? {} : { route });
}

async function samplesOf(figway: TestFigway & { comparison: ComparisonExtensions }, route: string): Promise<Sample[]> {
  return (await figway.comparison.mirror.store()?.samples(route, { limit: 200 })) ?? [];
}

/** The same deterministic traffic for every run: sign-ups, approvals, auth calls (known and unknown tokens). */
async function traffic(figway: TestFigway, tokens: string[]): Promise<number> {
  let sent = 0;
  for (const [i, token] of tokens.entries()) {
    const client = { 'x-client': `client-${i}` };
    assert.equal((await call(figway, 'POST', '/api/register', client, { name: `User ${i}`, email: `user${i}@example.com` })).status, 201);
    assert.equal((await call(figway, 'PUT', '/api/approve', client, { email: `user${i}@example.com`, token, limit: 100 })).status, 200);
    sent += 2;
    for (let n = 0; n < 3; n++) {
      assert.equal((await call(figway, 'GET', '/auth', { 'x-token': token })).status, 200);
      sent++;
    }
  }
  assert.equal((await call(figway, 'GET', '/auth', { 'x-token': 'unknown-token-value' })).status, 401);
  return sent + 1;
}

test('production-store equality: a mirrored run leaves the primary store exactly as an unmirrored run does', async () => {
  const [prodA, shadowA, prodB] = [`${redis.url}/1`, `${redis.url}/2`, `${redis.url}/3`];
  const mirrored = await startGateway({
    legacy: await fake({ redisUrl: prodA }), new: await fake({ redisUrl: prodA }), prod: prodA,
    shadow: { legacy: await fake({ redisUrl: shadowA }), new: await fake({ redisUrl: shadowA }), store: shadowA },
  }, { mirror: true }, { registration: 50, auth: 50 });
  const plain = await startGateway({ legacy: await fake({ redisUrl: prodB }), new: await fake({ redisUrl: prodB }), prod: prodB }, { mirror: false }, { registration: 50, auth: 50 });
  const tokens = ['tok-equality-0001', 'tok-equality-0002', 'tok-equality-0003', 'tok-equality-0004'];

  const sent = await traffic(mirrored, tokens);
  const concurrent = () => counterValue(mirrored.metrics.registry, 'figway_shadow_dropped_total', { reason: 'redis-concurrent-write' });
  await mirrored.comparison.mirror.idle();
  assert.equal((await comparisons(mirrored)) + (await concurrent()), sent, 'every mirrored request was compared or dropped');
  await traffic(plain, tokens);

  const [a, b, shadowContent] = [await dumpStore(prodA), await dumpStore(prodB), await dumpStore(shadowA)];
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  assert.ok(a.size >= 1 + tokens.length * 2, 'waiting list, tokens and counters');
  for (const [key, stateA] of a) {
    const stateB = b.get(key)!;
    assert.ok(stateA.exists && stateB.exists);
    assert.equal(stateA.type, stateB.type, key);
    assert.deepEqual(stateA.value, stateB.value, key);
    assert.equal(stateA.ttlMs === undefined, stateB.ttlMs === undefined, key);
    if (stateA.ttlMs !== undefined && stateB.ttlMs !== undefined) assert.ok(Math.abs(stateA.ttlMs - stateB.ttlMs) < 60_000, `${key}: TTL drift only`);
  }
  // The shadow writes happened, in the shadow store.
  assert.ok([...shadowContent.keys()].some((key) => key.startsWith('counter/')));
  const summary = (await mirrored.comparison.mirror.store()!.summaries()).find((s) => s.route === 'auth');
  assert.equal(summary?.unexpected, 0, `two correct sides: no unexpected differences ${JSON.stringify(summary)} ${JSON.stringify(await samplesOf(mirrored, 'auth'))}`);
});

test('mode 1: a re-cased token record, a missing counter and a write under the empty key are reported by key name', async () => {
  const [prod, shadowStore] = [`${redis.url}/4`, `${redis.url}/5`];
  const shadowNew = await fake({ redisUrl: shadowStore, casing: 'snake' });
  const figway = await startGateway({
    legacy: await fake({ redisUrl: prod }), new: await fake({ redisUrl: prod }), prod,
    shadow: { legacy: await fake({ redisUrl: shadowStore }), new: shadowNew, store: shadowStore },
  }, { mirror: true }, { registration: 0, auth: 0 });
  const token = 'tok-secret-casing-7f3a9c';
  // One request at a time, each compared before the next: overlapping requests on the same keys are dropped (see below).
  let expected = 0;
  const step = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const answer = await call(figway, method, path, headers, body);
    expected++;
    await figway.comparison.mirror.idle();
    assert.equal(await comparisons(figway), expected, `${method} ${path} compared`);
    return answer;
  };
  assert.equal((await step('POST', '/api/register', {}, { name: 'Ann', email: 'ann@example.com' })).status, 201);
  assert.equal((await step('PUT', '/api/approve', {}, { email: 'ann@example.com', token, limit: 100 })).status, 200);
  assert.equal((await step('GET', '/auth', { 'x-token': token })).status, 200);
  shadowNew.options.emptyKey = true;
  const otherToken = 'tok-secret-empty-91bd0e';
  assert.equal((await step('PUT', '/api/approve', {}, { email: 'bob@example.com', token: otherToken, limit: 5 })).status, 200);

  const registration = await samplesOf(figway, 'registration');
  const findings = registration.flatMap((s) => s.findings);
  const casing = findings.find((f) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail');
  assert.ok(casing, `key-casing on the token record: ${JSON.stringify(registration.map((s) => [s.result, s.error, s.findings.map((f) => [f.class, f.path])]))}`);
  assert.equal(casing.verdict, 'unexpected');
  assert.ok(findings.some((f) => f.class === 'redis-extra-key' && f.path === 'redis.(empty key)' && f.verdict === 'unexpected'));
  assert.ok(findings.some((f) => f.class === 'redis-missing-key' && f.path === 'redis.token'));
  const auth = (await samplesOf(figway, 'auth')).flatMap((s) => s.findings);
  assert.ok(auth.some((f) => f.class === 'status'), 'the re-cased reader fails on the real record');
  assert.ok(auth.some((f) => f.class === 'redis-missing-key' && f.path === 'redis.counter'));
  // The key names are tokens: they never reach the store.
  const stored = JSON.stringify([registration, await samplesOf(figway, 'auth')]);
  assert.ok(!stored.includes(token) && !stored.includes(otherToken), 'tokens are redacted');
  assert.ok(!stored.includes('ann@example.com'), 'redacted emails');
});

test('mode 2: with mirroring off, a new-side write whose casing drifts from legacy writes is reported', async () => {
  const prod = `${redis.url}/6`;
  const figway = await startGateway({ legacy: await fake({ redisUrl: prod }), new: await fake({ redisUrl: prod, casing: 'snake' }), prod }, { mirror: false, liveSampleRate: 1 }, { registration: 0, auth: 0 });
  const legacy = { 'x-figway-side': 'legacy' };
  for (let i = 0; i < 3; i++) {
    assert.equal((await call(figway, 'PUT', '/api/approve', legacy, { email: `l${i}@example.com`, token: `tok-live-legacy-${i}`, limit: 10 })).status, 200);
  }
  await figway.comparison.redis.idle();
  assert.equal(figway.comparison.redis.shapes.observations('registration', 'token'), 3);
  assert.equal((await samplesOf(figway, 'registration')).length, 0, 'legacy writes only teach');
  const token = 'tok-live-new-secret-5521';
  assert.equal((await call(figway, 'PUT', '/api/approve', { 'x-figway-side': 'new' }, { email: 'n@example.com', token, limit: 10 })).status, 200);
  await figway.comparison.redis.idle();
  const samples = await samplesOf(figway, 'registration');
  const findings = samples.flatMap((s) => s.findings);
  assert.ok(findings.some((f) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail' && f.verdict === 'unexpected'), JSON.stringify(findings));
  assert.equal(samples[0]?.primary, 'new');
  assert.equal(samples[0]?.result, 'differ');
  assert.ok(!JSON.stringify(samples).includes(token));
  assert.ok((await counterValue(figway.metrics.registry, 'figway_differences_total', { route: 'registration', class: 'key-casing', verdict: 'unexpected' })) >= 1);
});

test('serving through a comparison-store outage: answers unchanged, comparisons skipped and counted, then resumed', async () => {
  const shadowServer = await startRedisServer();
  stores.push(shadowServer);
  const prod = `${redis.url}/7`;
  const shadowStore = `${shadowServer.url}/1`;
  const figway = await startGateway({
    legacy: await fake({ redisUrl: prod }), new: await fake({ redisUrl: prod }), prod,
    shadow: { legacy: await fake({ redisUrl: shadowStore }), new: await fake({ redisUrl: shadowStore }), store: shadowStore },
  }, { mirror: true }, { auth: 0 });
  const seed = new Redis(prod);
  await seed.set('tok-outage', JSON.stringify({ UserEmail: 'o@example.com', MonthlyLimit: 1000, Revoked: false }));
  seed.disconnect();
  const auth = () => call(figway, 'GET', '/auth', { 'x-token': 'tok-outage' });
  const unavailable = () => counterValue(figway.metrics.registry, 'figway_shadow_dropped_total', { route: 'auth', reason: 'redis-unavailable' });
  const matches = () => counterValue(figway.metrics.registry, 'figway_comparisons_total', { route: 'auth', result: 'match' });

  const first = await auth();
  assert.equal(first.status, 200);
  await figway.comparison.mirror.idle();
  assert.equal(await matches(), 1, 'compared while the store is up');

  await shadowServer.stop();
  for (let i = 0; i < 5; i++) assert.deepEqual(await auth(), first, 'the client answer does not change');
  await figway.comparison.mirror.idle();
  assert.equal(await unavailable(), 5, 'skips counted with their reason');

  const back = await startRedisOnPort(shadowServer.port);
  stores.push(back);
  const before = await matches();
  let resumed = false;
  for (let i = 0; i < 100 && !resumed; i++) {
    assert.deepEqual(await auth(), first);
    await figway.comparison.mirror.idle();
    resumed = (await matches()) > before;
    // Reconnection is the client's own backoff: give it a moment between attempts.
    if (!resumed) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(resumed, 'comparisons resume by themselves');
});
