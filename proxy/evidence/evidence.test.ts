import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { detailFromSummaries, emptyRouteCounters, snapshotFromMetrics, type CounterSnapshot } from './counters.js';
import { createEvidence, createRegistrySource } from './evidence.js';
import { emptyWindow, extendWindow, quantileMs, snapshotsDelta, topFinding, unexpectedComparisons } from './window.js';

function registryWithTraffic(): Registry {
  const registry = new Registry();
  const requests = new Counter({ name: 'figway_requests_total', help: 'h', labelNames: ['route', 'side', 'status_class'], registers: [registry] });
  const truncated = new Counter({ name: 'figway_responses_truncated_total', help: 'h', labelNames: ['route', 'side'], registers: [registry] });
  const duration = new Histogram({ name: 'figway_request_duration_seconds', help: 'h', labelNames: ['route', 'side'], buckets: [0.01, 0.1, 1], registers: [registry] });
  const comparisons = new Counter({ name: 'figway_comparisons_total', help: 'h', labelNames: ['route', 'result'], registers: [registry] });
  const dropped = new Counter({ name: 'figway_shadow_dropped_total', help: 'h', labelNames: ['route', 'reason'], registers: [registry] });
  const differences = new Counter({ name: 'figway_differences_total', help: 'h', labelNames: ['route', 'class', 'verdict'], registers: [registry] });
  requests.labels('auth', 'legacy', '2xx').inc(90);
  requests.labels('auth', 'legacy', '5xx').inc(10);
  requests.labels('auth', 'new', '2xx').inc(20);
  truncated.labels('auth', 'new').inc(2);
  for (let i = 0; i < 99; i++) duration.labels('auth', 'new').observe(0.005);
  duration.labels('auth', 'new').observe(0.5);
  comparisons.labels('auth', 'match').inc(30);
  comparisons.labels('auth', 'differ').inc(5);
  comparisons.labels('auth', 'error').inc(1);
  dropped.labels('auth', 'in-flight-cap').inc(4);
  differences.labels('auth', 'key-casing', 'unexpected').inc(5);
  differences.labels('auth', 'value', 'noise').inc(7);
  return registry;
}

test('reads requests, 5xx and cut answers as errors, latency buckets, comparisons, drops and unexpected classes from the registry', async () => {
  const snapshot = snapshotFromMetrics(await registryWithTraffic().getMetricsAsJSON());
  const auth = snapshot.auth!;
  assert.deepEqual([auth.sides.legacy.requests, auth.sides.legacy.errors, auth.sides.new.requests, auth.sides.new.errors], [100, 10, 20, 2]);
  assert.deepEqual(auth.sides.new.latency, { bounds: [0.01, 0.1, 1], counts: [99, 99, 100, 100] });
  assert.deepEqual(auth.comparisons, { match: 30, differ: 5, error: 1 });
  assert.deepEqual(auth.droppedByReason, { 'in-flight-cap': 4 });
  assert.deepEqual(auth.unexpectedByClass, { 'key-casing': 5 });
  assert.equal(auth.sampled, undefined, 'absent until the evidence branch counts sampled shadows');
});

test('p99 is interpolated within its bucket, as histogram_quantile does', () => {
  assert.equal(quantileMs({ bounds: [0.01, 0.1, 1], counts: [99, 99, 100, 100] }, 0.99), 10);
  assert.equal(quantileMs({ bounds: [0.01, 0.1, 1], counts: [0, 50, 100, 100] }, 0.5), 100);
  assert.equal(quantileMs({ bounds: [0.01], counts: [0, 10] }, 0.99), 10, 'in +Inf: the last finite bound');
  assert.equal(quantileMs({ bounds: [], counts: [] }, 0.99), null);
});

test('deltas are summed over instances; a restarted instance counts from zero; a new instance is a baseline', () => {
  const at = (requests: number): CounterSnapshot => {
    const counters = emptyRouteCounters();
    counters.sides.new.requests = requests;
    return { auth: counters };
  };
  const first = new Map([['a', at(100)], ['b', at(50)]]);
  const second = new Map([['a', at(130)], ['b', at(5)], ['c', at(1000)]]);
  assert.equal(snapshotsDelta(second, first).get('auth')!.sides.new.requests, 30 + 5);
});

test('unexpected differences at paths later learned as noise are discounted; the dominant finding is named', () => {
  const window = emptyWindow(0);
  const delta = emptyRouteCounters();
  delta.comparisons = { differ: 30, match: 10 };
  delta.unexpectedByClass = { value: 20, 'key-casing': 12 };
  delta.detail = { unexpected: { '|body.token': { path: 'body.token', count: 20 }, '|redis.token.UserEmail': { path: 'redis.token.UserEmail', count: 12 } }, noise: ['body.token'] };
  extendWindow(window, delta, 1000);
  assert.equal(unexpectedComparisons(window), 12);
  assert.deepEqual(topFinding(window), { class: undefined, path: 'redis.token.UserEmail', count: 12 },
    'without patterns, and with several classes in the window, the class of a path is unknown (patterns make it exact)');
  const detail = detailFromSummaries([{
    route: 'auth',
    patterns: [
      { id: 'p1', verdict: 'unexpected', class: 'key-casing', path: 'redis.token.UserEmail', endpoint: 'PUT /api/approve', count: 12 },
      { id: 'p2', verdict: 'noise', class: 'value', path: 'body.token', count: 90 },
    ],
  }]).auth!;
  const exact = emptyWindow(0);
  extendWindow(exact, { ...delta, detail: { unexpected: { ...detail.unexpected, '|body.token': { class: 'value', path: 'body.token', count: 20 } }, noise: detail.noise } }, 1000);
  assert.deepEqual(topFinding(exact), { class: 'key-casing', path: 'redis.token.UserEmail', endpoint: 'PUT /api/approve', count: 12 });
  assert.equal(unexpectedComparisons(exact), 12);
});

test('the timeline keeps one bounded point per interval with rates, p99 and coverage counts', async () => {
  let now = 0;
  const registry = registryWithTraffic();
  const source = createRegistrySource({ instance: 'a', metrics: registry, diffSummaries: async () => [{ route: 'auth', unexpectedByPath: { 'redis.token.UserEmail': 5 } }] });
  const evidence = createEvidence({ source, now: () => now, intervalMs: 1000, timelineMs: 3000, weightOf: () => 25 });
  await evidence.collect();
  const requests = registry.getSingleMetric('figway_requests_total') as Counter<string>;
  for (let i = 1; i <= 5; i++) {
    now = i * 1000;
    requests.labels('auth', 'new', '5xx').inc(i);
    requests.labels('auth', 'new', '2xx').inc(10 - i);
    await evidence.collect();
  }
  const { points, intervalMs } = evidence.timeline('auth');
  assert.equal(intervalMs, 1000);
  assert.deepEqual(points.map((point) => point.at), [3000, 4000, 5000], 'bounded to timelineMs');
  assert.deepEqual(points.at(-1)!.requests, { legacy: 0, new: 10 });
  assert.deepEqual(points.at(-1)!.errorRate, { legacy: null, new: 0.5 });
  assert.equal(points.at(-1)!.weight, 25);
  assert.deepEqual(evidence.timeline('auth', 4000).points.map((point) => point.at), [5000]);
});
