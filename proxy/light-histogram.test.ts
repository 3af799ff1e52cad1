import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { LightHistogram } from './light-histogram.js';

const buckets = [0.001, 0.01, 0.1, 1];
const values = [0.0005, 0.001, 0.002, 0.05, 0.5, 3, 0.01];

test('renders exactly what prom-client\'s Histogram renders for the same observations', async () => {
  const light = new Registry();
  const reference = new Registry();
  const mine = new LightHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['route', 'side'], buckets, registers: [light] });
  const theirs = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['route', 'side'], buckets, registers: [reference] });
  for (const value of values) {
    mine.labels('api', 'new').observe(value);
    theirs.labels('api', 'new').observe(value);
  }
  mine.labels('api', 'legacy').observe(0.2);
  theirs.labels('api', 'legacy').observe(0.2);
  assert.equal(await light.metrics(), await reference.metrics());
});

test('aggregates across registries like a histogram (cluster workers)', async () => {
  const registries = [new Registry(), new Registry()];
  registries.forEach((registry, i) => {
    const histogram = new LightHistogram({ name: 'h', help: 'h', labelNames: ['route'], buckets, registers: [registry] });
    histogram.labels('api').observe(i === 0 ? 0.005 : 0.5);
  });
  const merged = AggregatorRegistry.aggregate(await Promise.all(registries.map((registry) => registry.getMetricsAsJSON())));
  const text = await merged.metrics();
  assert.match(text, /h_count\{route="api"\} 2/);
  assert.match(text, /h_bucket\{le="0.01",route="api"\} 1/);
  assert.match(text, /h_bucket\{le="\+Inf",route="api"\} 2/);
});

test('reset drops every series', async () => {
  const registry = new Registry();
  const histogram = new LightHistogram({ name: 'h', help: 'h', labelNames: ['route'], buckets, registers: [registry] });
  histogram.labels('api').observe(1);
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /h_count/);
});
