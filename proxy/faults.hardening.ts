/**
 * Faults under traffic (npm run test:hardening): figway runs as `figway start` in a child process, its upstreams too,
 * and a load driver counts every answer. An upstream killed mid-traffic, an upstream answering 500s, a stalled shadow,
 * SIGTERM under load, the comparison stores' Redis stopped and restarted. Each asserts what clients get — correct answers, failover as specified, nothing hangs — never
 * how fast.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { driveLoad, metricValue, startFigwayProcess, startUpstreamProcess, type FigwayProcess, type UpstreamProcess } from '../testing/processes.js';
import { startRedisOnPort, startRedisServer } from '../testing/redis-server.js';
import { shadowStoreUrls, startPestoStack } from '../scripts/pesto-stack.js';
import { runPestoTraffic } from '../scripts/pesto-traffic.js';
import { PESTO_ENTRYPOINTS, pestoRoutes, pestoUpstreams } from '../legacy-adapters/pesto-routes.js';
import { DEMO_ROUTE_OPTIONS } from '../scripts/demo-topology.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined); });

async function upstream(name: string, options: Parameters<typeof startUpstreamProcess>[1] = {}): Promise<UpstreamProcess> {
  const started = await startUpstreamProcess(name, options);
  cleanups.push(() => started.kill());
  return started;
}

async function figway(config: Record<string, unknown>, weights: Record<string, number>): Promise<FigwayProcess> {
  const started = await startFigwayProcess(config, weights);
  cleanups.push(() => started.close());
  return started;
}

const route = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'api', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, sticky: { header: 'x-client' }, ...extra,
});
const CLIENTS = 32;
const asClient = (connection: number, n: number) => ({ path: `/items/${n}`, headers: { 'x-client': `client-${(connection * 7 + n) % CLIENTS}` } });

test('an upstream killed mid-traffic: requests in flight on it get 502, later ones fail over to the other side, nothing hangs', async (t) => {
  const legacy = await upstream('legacy');
  const fresh = await upstream('new', { delayMs: 5 });
  const gateway = await figway({ upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } }, routes: [route()] }, { api: 50 });
  const answered: string[] = [];
  let killedAt = 0;
  const load = driveLoad({
    url: gateway.urls.gateway!, connections: 16, durationMs: 4_000, request: asClient,
    onAnswer: (status) => { if (killedAt > 0) answered.push(String(status)); },
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  killedAt = Date.now();
  await fresh.kill('SIGKILL');
  const result = await load;
  const metrics = await gateway.metrics();
  const failovers = metricValue(metrics, 'figway_failovers_total', { from: 'new', to: 'legacy' });
  const cut = result.byStatus.get(502) ?? 0;
  t.diagnostic(`${result.requests} requests: ${JSON.stringify(Object.fromEntries(result.byStatus))}, errors ${JSON.stringify(Object.fromEntries(result.errors))}; ${failovers} failovers new → legacy after the kill`);
  assert.deepEqual([...result.errors.keys()], [], 'every request got an answer from figway (no reset, no hang)');
  assert.deepEqual([...result.byStatus.keys()].filter((status) => status !== 200 && status !== 502), []);
  assert.ok(cut <= 16, `at most one 502 per connection (the request in flight on the killed upstream), got ${cut}`);
  assert.ok(failovers > 0, 'clients of the new side were failed over to legacy');
  assert.ok(answered.slice(-50).every((status) => status === '200'), 'once the kill is known, every answer is 200');
});

test('an upstream answering 500s: clients get its 500s unchanged, counted per side, with no failover', async (t) => {
  const legacy = await upstream('legacy', { mode: 'error500' });
  const fresh = await upstream('new');
  const gateway = await figway({ upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } }, routes: [route()] }, { api: 0 });
  const result = await driveLoad({ url: gateway.urls.gateway!, connections: 8, durationMs: 1_500, request: asClient });
  const metrics = await gateway.metrics();
  t.diagnostic(`${result.requests} requests: ${JSON.stringify(Object.fromEntries(result.byStatus))}`);
  assert.deepEqual([...result.errors.keys()], []);
  assert.deepEqual([...result.byStatus.keys()], [500]);
  assert.equal(metricValue(metrics, 'figway_failovers_total'), 0);
  assert.equal(metricValue(metrics, 'figway_requests_total', { route: 'api', side: 'legacy', status_class: '5xx' }), result.requests);
});

test('a stalled shadow: every client answer is the primary\'s, and shadows are dropped and counted, never waited for', async (t) => {
  const legacy = await upstream('legacy');
  const stalled = await upstream('new', { mode: 'stall' });
  const gateway = await figway({
    upstreams: { legacy: { url: legacy.url }, new: { url: stalled.url } },
    routes: [route({ mirror: { sampleRate: 1, maxInFlight: 8, timeoutMs: 500 } })],
  }, { api: 0 });
  const result = await driveLoad({ url: gateway.urls.gateway!, connections: 16, durationMs: 3_000, request: asClient });
  const metrics = await gateway.metrics();
  const sampled = metricValue(metrics, 'figway_shadow_sampled_total', { route: 'api' });
  const dropped = metricValue(metrics, 'figway_shadow_dropped_total', { route: 'api' });
  t.diagnostic(`${result.requests} requests: ${JSON.stringify(Object.fromEntries(result.byStatus))}; ${sampled} sampled, ${dropped} dropped`);
  assert.deepEqual([...result.errors.keys()], []);
  assert.deepEqual([...result.byStatus.keys()], [200]);
  assert.ok(dropped > 0, 'stalled shadows are dropped and counted');
});

test('SIGTERM under load: every request figway accepted is answered 200, then it exits 0 within the grace period', async (t) => {
  const legacy = await upstream('legacy', { delayMs: 50 });
  const gateway = await figway({ shutdownGraceMs: 10_000, upstreams: { legacy: { url: legacy.url }, new: { url: legacy.url } }, routes: [route()] }, { api: 0 });
  let signalledAt = 0;
  const afterSignal = new Map<string, number>();
  const load = driveLoad({
    url: gateway.urls.gateway!, connections: 32, durationMs: 6_000, request: asClient,
    onAnswer: (status, headers) => {
      if (signalledAt > 0) afterSignal.set(String(status), (afterSignal.get(String(status)) ?? 0) + 1);
      // A client told the connection closes goes elsewhere (as its load balancer would send it).
      if (status === 0 || headers.connection === 'close') return false;
      return true;
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  signalledAt = Date.now();
  const code = await gateway.signal('SIGTERM');
  const result = await load;
  t.diagnostic(`${result.requests} requests: ${JSON.stringify(Object.fromEntries(result.byStatus))}, errors ${JSON.stringify(Object.fromEntries(result.errors))}; after SIGTERM ${JSON.stringify(Object.fromEntries(afterSignal))}; exit ${code}`);
  assert.equal(code, 0);
  assert.deepEqual([...result.byStatus.keys()], [200], 'every answer was the upstream\'s');
  // Once the listener has closed, new connections are refused: the only error a client may see.
  assert.deepEqual([...result.errors.keys()].filter((error) => error !== 'ECONNREFUSED'), [], 'no accepted request failed');
  assert.ok((afterSignal.get('200') ?? 0) > 0, 'requests in flight at SIGTERM were answered');
});

test('the comparison stores\' Redis stopped and restarted mid-traffic: serving continues, comparisons resume, memory stays bounded', async (t) => {
  const production = await startRedisServer();
  cleanups.push(() => production.stop());
  let shadowServer = await startRedisServer();
  cleanups.push(() => shadowServer.stop());
  const stores = shadowStoreUrls(shadowServer.url);
  const stack = await startPestoStack({ redisUrl: production.url, shadowRedisUrls: stores, logLevel: 'silent' });
  cleanups.push(() => stack.stop());
  const shadow = stack.urls.shadow!;
  const gateway = await figway({
    listeners: {
      gateway: { enabled: false },
      entrypoints: { [PESTO_ENTRYPOINTS.auth]: { host: '127.0.0.1', port: 0 }, [PESTO_ENTRYPOINTS.registration]: { host: '127.0.0.1', port: 0 } },
      admin: { host: '127.0.0.1', port: 0 },
    },
    trustedProxies: ['127.0.0.1'],
    // The evidence too lives on the Redis that goes away.
    diffStore: { kind: 'redis', redis: { url: `${shadowServer.url}/5` } },
    upstreams: pestoUpstreams({
      legacyAuth: stack.urls.legacyAuth, newAuth: stack.urls.newAuth, legacyRegistration: stack.urls.legacyRegistration, newRegistration: stack.urls.newRegistration,
      redisUrl: production.url,
      shadow: { legacyAuth: shadow.legacyAuth, newAuth: shadow.newAuth, legacyRegistration: shadow.legacyRegistration, newRegistration: shadow.newRegistration, redis: stores },
    }),
    routes: pestoRoutes(DEMO_ROUTE_OPTIONS),
  }, { auth: 50, registration: 50 });
  const compared = async (): Promise<number> => metricValue(await gateway.metrics(), 'figway_comparisons_total');
  const traffic = (seed: number, seconds: number) => runPestoTraffic({
    authUrl: gateway.urls[PESTO_ENTRYPOINTS.auth]!, registrationUrl: gateway.urls[PESTO_ENTRYPOINTS.registration]!,
    maxRequests: 40 * seconds, maxDurationMs: seconds * 1000, clients: 40, seed, concurrency: 4, pace: true,
  });

  const before = await traffic(1, 4);
  const rssBefore = await gateway.rssMb();
  const comparedBefore = await compared();
  const port = shadowServer.port;
  const during = traffic(2, 6);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await shadowServer.stop();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  shadowServer = await startRedisOnPort(port);
  const outage = await during;
  const comparedAtRestart = await compared();
  const afterwards = await traffic(3, 4);
  let comparedAfter = await compared();
  for (let i = 0; i < 100 && comparedAfter <= comparedAtRestart; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    comparedAfter = await compared();
  }
  const metrics = await gateway.metrics();
  const drops = [...metrics.matchAll(/^figway_shadow_dropped_total\{route="(\w+)",reason="([^"]+)"\} (\d+)/gm)].filter((m) => Number(m[3]) > 0).map((m) => `${m[1]}/${m[2]} ${m[3]}`);
  const rssAfter = await gateway.rssMb();
  t.diagnostic(`before ${JSON.stringify(before.byStatus)}, during the outage ${JSON.stringify(outage.byStatus)}, after ${JSON.stringify(afterwards.byStatus)}`);
  t.diagnostic(`compared ${comparedBefore} before, ${comparedAtRestart} at the restart, ${comparedAfter} after; drops: ${drops.join(', ') || 'none'}; RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`);
  for (const summary of [before, outage, afterwards]) {
    assert.equal(summary.byStatus.error, undefined, 'no transport error');
    for (const status of ['502', '503', '504']) assert.equal(summary.byStatus[status], undefined, `no ${status} from figway`);
  }
  assert.ok(comparedBefore > 0);
  assert.ok(comparedAfter > comparedAtRestart, 'comparisons resumed after the restart');
  assert.ok(drops.length > 0, 'what could not be compared during the outage was dropped and counted');
  assert.ok(rssAfter < rssBefore + 60, `RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB`);
});
