/**
 * Issue 9 "done when", on the Pesto stack with real Redis servers (production on one, the four shadow twins' stores
 * on another) and dual mirroring: under the traffic generator's default concurrency nearly every sampled request
 * is compared and clean traffic shows no unexpected difference; each historical rewrite bug that leaves a trace is
 * caught in every run, the empty key on the route and side that wrote it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startRedisServer } from '../../testing/redis-server.js';
import { startTestFigway, type TestFigway } from '../../testing/figway.js';
import { pestoRoutes, pestoUpstreams } from '../../legacy-adapters/pesto-routes.js';
import { shadowStoreUrls, startPestoStack } from '../../scripts/pesto-stack.js';
import { runPestoTraffic } from '../../scripts/pesto-traffic.js';
import { createComparisonExtensions, type ComparisonExtensions } from '../extensions.js';
import type { JudgedFinding, Sample } from '../../shadow-report/types.js';
import { counterValue } from '../../testing/redis-fakes.js';

type Gateway = TestFigway & { comparison: ComparisonExtensions };

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The traffic generator's defaults (figway traffic): 50 clients, 8 requests in flight. */
const DEFAULT_TRAFFIC = { clients: 50, concurrency: 8 } as const;

/** startScenario runs Redis, the Pesto stack and figway in front of it. */
async function startScenario(regressions: string[], mode: 'dual' | 'live', weights: Record<string, number>): Promise<Gateway> {
  const production = await startRedisServer();
  cleanups.push(() => production.stop());
  const prod = `${production.url}/1`;
  const shadowServer = mode === 'dual' ? await startRedisServer() : undefined;
  if (shadowServer !== undefined) cleanups.push(() => shadowServer.stop());
  const shadowStores = shadowServer === undefined ? undefined : shadowStoreUrls(shadowServer.url);
  const stack = await startPestoStack({ redisUrl: prod, ...(shadowStores === undefined ? {} : { shadowRedisUrls: shadowStores }), regressions, logLevel: 'silent' });
  cleanups.push(() => stack.stop());
  const { legacyAuth, newAuth, legacyRegistration, newRegistration } = stack.urls;
  const upstreams = pestoUpstreams({
    legacyAuth, newAuth, legacyRegistration, newRegistration, redisUrl: prod,
    ...(stack.urls.shadow !== undefined && shadowStores !== undefined ? { shadow: { ...stack.urls.shadow, redis: shadowStores } } : {}),
  });
  // Time budgets far above anything a healthy Redis needs: a test machine that is busy (CI runs test files side by
  // side) must not turn into dropped comparisons. What is asserted is the design — no drop for concurrency — not speed.
  const routes = pestoRoutes(mode === 'dual' ? { mirror: { sampleRate: 1 }, override: true } : { liveSampleRate: 1, override: true })
    .map((route) => ({
      ...route,
      ...(route.mirror === undefined ? {} : { mirror: { ...route.mirror, timeoutMs: 10_000 } }),
      ...(route.redis === undefined ? {} : { redis: { ...route.redis, snapshotTimeoutMs: 5_000 } }),
    }));
  let comparison: ComparisonExtensions | undefined;
  const figway = await startTestFigway({ upstreams, routes }, weights, {
    extensions: ({ logger, metrics }) => {
      comparison = createComparisonExtensions({ logger, metrics }, { mirror: { redactionKey: Buffer.from('pesto-e2e-key') }, redis: { commandTimeoutMs: 5_000 } });
      return comparison.extensions;
    },
  });
  cleanups.push(() => figway.close());
  return Object.assign(figway, { comparison: comparison! });
}

async function call(figway: TestFigway, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const response = await request(`${figway.gatewayUrl}${path}`, {
    method: method as 'GET', headers, ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** step sends one request and waits until its shadows are compared, so each record belongs to one request. */
async function step(figway: Gateway, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const answer = await call(figway, method, path, options);
  await figway.comparison.mirror.idle();
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

async function counts(figway: Gateway, route: string): Promise<{ sampled: number; compared: number; dropped: number }> {
  const registry = figway.metrics.registry;
  return {
    sampled: await counterValue(registry, 'figway_shadow_sampled_total', { route }),
    compared: await counterValue(registry, 'figway_comparisons_total', { route }),
    dropped: await counterValue(registry, 'figway_shadow_dropped_total', { route }),
  };
}

async function registerAndApprove(figway: Gateway, email: string, token: string, mirrored: boolean, headers: Record<string, string> = {}): Promise<void> {
  const send = mirrored ? step : call;
  assert.equal((await send(figway, 'POST', '/api/register', { json: { name: 'Ann Example', email, building: 'B1', calls: 3 }, headers })).status, 201);
  await send(figway, 'PUT', '/api/approve', { json: { email, token, limit: 100 }, headers });
}

test('token-casing: key-casing on the token record, and the response difference it causes', async () => {
  const figway = await startScenario(['token-casing'], 'dual', { registration: 0, auth: 0 });
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
  const withValues = registration.find((sample) => sample.redis !== undefined);
  assert.ok(withValues?.redis?.some((entry) => entry.name === 'token' && entry.legacy !== undefined && entry.new !== undefined), 'samples carry both sides\' Redis values');
});

test('approve-drops-token: redis-missing-key on the token record', async () => {
  const figway = await startScenario(['approve-drops-token'], 'dual', { registration: 0, auth: 0 });
  const token = 'tok-e2e-dropped-secret-77c2';
  await registerAndApprove(figway, 'dropped@example.com', token, true);
  const registration = await samples(figway, 'registration');
  assert.ok(unexpected(registration).some((f) => f.class === 'redis-missing-key' && f.path === 'redis.token'), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
});

test('revoke-empty-key: a response finding and the empty key, on registration, written by new', async () => {
  const figway = await startScenario(['revoke-empty-key'], 'dual', { registration: 0, auth: 0 });
  const token = 'tok-e2e-revoke-secret-19fa';
  await registerAndApprove(figway, 'revoke@example.com', token, true);
  const revoke = await step(figway, 'PUT', '/api/revoke', { json: { email: 'revoke@example.com', token, limit: 100 } });
  assert.equal(revoke.status, 200, 'the client gets legacy\'s answer');
  const registration = await samples(figway, 'registration');
  const found = unexpected(registration);
  assert.ok(found.some((f) => f.class === 'status'), describe(registration));
  assert.ok(found.some((f) => f.class === 'redis-extra-key' && f.path === 'redis.(empty key)' && f.candidate !== undefined && f.legacy === undefined), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
});

test('no regression, weights 50/50, default traffic concurrency: ≥ 95 % of sampled requests compared on every route, no unexpected difference', async (t) => {
  const figway = await startScenario([], 'dual', { registration: 50, auth: 50 });
  const summary = await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 1_000, maxDurationMs: 120_000, seed: 11, ...DEFAULT_TRAFFIC });
  assert.equal(summary.requests, 1_000);
  await figway.comparison.mirror.idle();
  for (const route of ['registration', 'auth']) {
    const { sampled, compared, dropped } = await counts(figway, route);
    const reasons = (await figway.metrics.registry.getSingleMetric('figway_shadow_dropped_total')?.get())?.values
      .filter((value) => value.labels.route === route).map((value) => `${value.labels.reason}=${value.value}`).join(' ');
    t.diagnostic(`${route}: sampled ${sampled}, compared ${compared}, dropped ${dropped} (${reasons})`);
    assert.ok(sampled > 0);
    assert.equal(compared + dropped, sampled, 'every sampled request ends as a comparison or a counted drop');
    assert.ok(compared / sampled >= 0.95, `${route}: ${compared} of ${sampled} compared`);
  }
  const all = [...await samples(figway, 'registration'), ...await samples(figway, 'auth')];
  assert.deepEqual(unexpected(all), [], describe(all.filter((sample) => unexpected([sample]).length > 0)));
});

for (const regression of [
  { name: 'token-casing', route: 'registration', matches: (f: JudgedFinding) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail' },
  { name: 'approve-drops-token', route: 'registration', matches: (f: JudgedFinding) => f.class === 'redis-missing-key' && f.path === 'redis.token' },
  {
    name: 'revoke-empty-key', route: 'registration',
    matches: (f: JudgedFinding) => f.class === 'redis-extra-key' && f.path === 'redis.(empty key)' && f.candidate !== undefined && f.legacy === undefined,
  },
]) {
  test(`${regression.name} is caught in each of 5 runs of default-concurrency traffic at weight 100, on the right route and side`, async () => {
    const figway = await startScenario([regression.name], 'dual', { registration: 100, auth: 100 });
    for (let run = 1; run <= 5; run++) {
      const since = Date.now();
      await runPestoTraffic({ baseUrl: figway.gatewayUrl, maxRequests: 300, maxDurationMs: 60_000, seed: 100 + run, ...DEFAULT_TRAFFIC });
      await figway.comparison.mirror.idle();
      const recent = (await samples(figway, regression.route)).filter((sample) => sample.at >= since);
      assert.ok(unexpected(recent).some(regression.matches), `run ${run}: ${describe(recent)}`);
      const elsewhere = (await samples(figway, regression.route === 'auth' ? 'registration' : 'auth')).filter((sample) => sample.at >= since);
      assert.ok(!unexpected(elsewhere).some(regression.matches), `run ${run}: never reported on the other route`);
    }
  });
}

test('mode 2: with mirroring off, live traffic catches token-casing, and every check is counted', async () => {
  const figway = await startScenario(['token-casing'], 'live', { registration: 0, auth: 0 });
  const legacy = { 'x-figway-side': 'legacy' };
  for (let i = 0; i < 3; i++) await registerAndApprove(figway, `live-${i}@example.com`, `tok-e2e-live-legacy-${i}`, false, legacy);
  await figway.comparison.redis.idle();
  const token = 'tok-e2e-live-new-secret-3e8a';
  await registerAndApprove(figway, 'live-new@example.com', token, false, { 'x-figway-side': 'new' });
  await figway.comparison.redis.idle();
  const registration = await samples(figway, 'registration');
  assert.ok(unexpected(registration).some((f) => f.class === 'key-casing' && f.path === 'redis.token.UserEmail'), describe(registration));
  assert.ok(!JSON.stringify(registration).includes(token));
  const registry = figway.metrics.registry;
  assert.equal(await counterValue(registry, 'figway_live_checks_total', { route: 'registration' }), 8, 'clean checks are counted too');
  assert.ok(await counterValue(registry, 'figway_live_checks_total', { route: 'registration', result: 'match' }) >= 6);
});
