/**
 * Issue 5 "done when", on the Pesto stack with a real Redis (production store = logical DB 1, shadow store = DB 2):
 * the historical rewrite bugs are caught by comparing what each side writes, and correct traffic yields no
 * unexpected differences once trial tokens and emails are learned as noise.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { startTestFigway, type TestFigway } from '../../testing/figway.js';
import { pestoRoutes, pestoUpstreams } from '../../legacy-adapters/pesto-routes.js';
import { startPestoStack, type PestoStack } from '../../scripts/pesto-stack.js';
import { runPestoTraffic } from '../../scripts/pesto-traffic.js';
import { createComparisonExtensions, type ComparisonExtensions } from '../extensions.js';
import type { JudgedFinding, Sample } from '../../shadow-report/types.js';
import { counterValue, waitFor } from './test-support.js';

type Gateway = TestFigway & { comparison: ComparisonExtensions };

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Scenario {
  figway: Gateway;
  stack: PestoStack;
  redis: TestRedis;
}

/** startScenario runs Redis, the Pesto stack (with shadow twins when mirroring) and figway in front of it; legacy serves. */
async function startScenario(regressions: string[], mode: 'mirror' | 'live'): Promise<Scenario> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const prod = `${redis.url}/1`;
  const shadow = `${redis.url}/2`;
  const stack = await startPestoStack({ redisUrl: prod, ...(mode === 'mirror' ? { shadowRedisUrl: shadow } : {}), regressions, logLevel: 'silent' });
  cleanups.push(() => stack.stop());
  const { legacyAuth, newAuth, legacyRegistration, newRegistration } = stack.urls;
  const upstreams = pestoUpstreams({
    legacyAuth, newAuth, legacyRegistration, newRegistration, redisUrl: prod,
    ...(mode === 'mirror' && stack.urls.shadow !== undefined ? { shadow: { ...stack.urls.shadow, redisUrl: shadow } } : {}),
  });
  const routes = pestoRoutes(mode === 'mirror' ? { mirror: { sampleRate: 1 }, override: true } : { liveSampleRate: 1, override: true });
  let comparison: ComparisonExtensions | undefined;
  const figway = await startTestFigway({ upstreams, routes }, { registration: 0, auth: 0 }, {
    extensions: ({ logger, metrics }) => {
      comparison = createComparisonExtensions({ logger, metrics }, { mirror: { redactionKey: Buffer.from('pesto-e2e-key') } });
      return comparison.extensions;
    },
  });
  cleanups.push(() => figway.close());
  return { figway: Object.assign(figway, { comparison: comparison! }), stack, redis };
}

async function call(figway: TestFigway, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await request(`${figway.gatewayUrl}${path}`, {
    method: method as 'GET', headers, ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

async function compared(figway: Gateway): Promise<number> {
  return counterValue(figway.metrics.registry, 'figway_comparisons_total');
}

/** step sends one request and waits until its mirror is compared, so each record belongs to one request. */
async function step(figway: Gateway, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const before = await compared(figway);
  const answer = await call(figway, method, path, options);
  assert.ok(await waitFor(async () => (await compared(figway)) > before), `${method} ${path} was compared`);
  return answer;
}

async function samples(figway: Gateway, route: string): Promise<Sample[]> {
  return (await figway.comparison.mirror.store()?.samples(route, { limit: 200 })) ?? [];
}

function unexpected(list: Sample[]): JudgedFinding[] {
  return list.flatMap((sample) => sample.findings.filter((finding) => finding.verdict === 'unexpected'));
}

function describe(list: Sample[]): string {
  return JSON.stringify(list.map((sample) => [sample.route, sample.request?.method, sample.request?.path, sample.legacy?.status, sample.candidate?.status,
    sample.findings.map((f) => `${f.class}@${f.path}:${f.verdict}`)]));
}

async function registerAndApprove(figway: Gateway, email: string, token: string, mirrored: boolean, headers: Record<string, string> = {}): Promise<void> {
  const send = mirrored ? step : call;
  assert.equal((await send(figway, 'POST', '/api/register', { json: { name: 'Ann Example', email, building: 'B1', calls: 3 }, headers })).status, 201);
  await send(figway, 'PUT', '/api/approve', { json: { email, token, limit: 100 }, headers });
}

test('token-casing: key-casing on the token record, and the response difference it causes', async () => {
  const { figway } = await startScenario(['token-casing'], 'mirror');
  const token = 'tok-e2e-casing-secret-4b1d';
  await registerAndApprove(figway, 'casing@example.com', token, true);
  const auth = await step(figway, 'GET', '/', { headers: { 'x-pesto-token': token } });
  assert.equal(auth.status, 200, 'the client gets legacy\'s answer');

  const registration = await samples(figway, 'registration');
  assert.ok(unexpected(registration).some((f) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail'), describe(registration));
  const authSamples = await samples(figway, 'auth');
  assert.ok(unexpected(authSamples).some((f) => f.class === 'status'), `the rewrite 500s on the real record: ${describe(authSamples)}`);
  const stored = JSON.stringify([registration, authSamples]);
  assert.ok(!stored.includes(token), 'the token (a Redis key name) never reaches the diff store');
});

test('approve-drops-token: redis-missing-key on the token record', async () => {
  const { figway } = await startScenario(['approve-drops-token'], 'mirror');
  const token = 'tok-e2e-dropped-secret-77c2';
  await registerAndApprove(figway, 'dropped@example.com', token, true);
  const registration = await samples(figway, 'registration');
  assert.ok(unexpected(registration).some((f) => f.class === 'redis-missing-key' && f.path === 'redis.token'), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
});

test('revoke-empty-key: a response finding and a Redis finding', async () => {
  const { figway } = await startScenario(['revoke-empty-key'], 'mirror');
  const token = 'tok-e2e-revoke-secret-19fa';
  await registerAndApprove(figway, 'revoke@example.com', token, true);
  const revoke = await step(figway, 'PUT', '/api/revoke', { json: { email: 'revoke@example.com', token, limit: 100 } });
  assert.equal(revoke.status, 200, 'the client gets legacy\'s answer');
  const registration = await samples(figway, 'registration');
  const found = unexpected(registration);
  assert.ok(found.some((f) => f.class === 'status'), describe(registration));
  assert.ok(found.some((f) => f.class === 'redis-extra-key' && f.path === 'redis.(empty key)'), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
});

test('no regression: demo traffic yields zero unexpected differences once trial tokens and emails are learned', async (t) => {
  const { figway } = await startScenario([], 'mirror');
  // Warm-up: enough traffic for the noise learner to see every generated field 20+ times.
  await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 600, maxDurationMs: 60_000, clients: 20, seed: 5, concurrency: 4 });
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the warm-up's last comparisons finish
  const since = Date.now();
  const summary = await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 300, maxDurationMs: 60_000, clients: 20, seed: 6, concurrency: 4 });
  assert.ok(summary.requests >= 300);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const late = [...await samples(figway, 'registration'), ...await samples(figway, 'auth')].filter((sample) => sample.at >= since);
  assert.deepEqual(unexpected(late), [], describe(late.filter((sample) => unexpected([sample]).length > 0)));
  const registry = figway.metrics.registry;
  const total = await compared(figway);
  const concurrent = await counterValue(registry, 'figway_shadow_dropped_total', { reason: 'redis-concurrent-write' });
  const busy = await counterValue(registry, 'figway_shadow_dropped_total', { reason: 'redis-key-busy' });
  t.diagnostic(`compared ${total}, dropped for concurrent writes ${concurrent}, key busy ${busy}`);
});

test('mode 2: with mirroring off, live traffic catches token-casing', async () => {
  const { figway } = await startScenario(['token-casing'], 'live');
  const legacy = { 'x-figway-side': 'legacy' };
  for (let i = 0; i < 3; i++) await registerAndApprove(figway, `live-${i}@example.com`, `tok-e2e-live-legacy-${i}`, false, legacy);
  await figway.comparison.redis.idle();
  const token = 'tok-e2e-live-new-secret-3e8a';
  await registerAndApprove(figway, 'live-new@example.com', token, false, { 'x-figway-side': 'new' });
  await figway.comparison.redis.idle();
  const registration = await samples(figway, 'registration');
  assert.ok(unexpected(registration).some((f) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail'), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
});

test('no regression under concurrent traffic: requests that are not compared still announce their writes, so no false difference', async (t) => {
  const { figway } = await startScenario([], 'mirror');
  await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 300, maxDurationMs: 60_000, clients: 20, seed: 7, concurrency: 4 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const since = Date.now();
  // The generator's default concurrency: shared keys (the waiting list, one user's counter) are written by requests
  // that are not mirrored or whose comparison is dropped; before they announced their keys this reported differences.
  await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 800, maxDurationMs: 60_000, clients: 50, seed: 8, concurrency: 8 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const late = [...await samples(figway, 'registration'), ...await samples(figway, 'auth')].filter((sample) => sample.at >= since);
  assert.deepEqual(unexpected(late), [], describe(late.filter((sample) => unexpected([sample]).length > 0)));
  t.diagnostic(`compared ${await compared(figway)}`);
  assert.ok(await compared(figway) >= 100, 'comparisons still happen under concurrency');
});
