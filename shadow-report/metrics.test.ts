import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createComparisonMetrics } from './metrics.js';

describe('createComparisonMetrics', () => {
  it('exposes the four figway_ metrics with their labels', async () => {
    const registry = new Registry();
    const m = createComparisonMetrics(registry);
    m.comparison({ route: 'reg', at: 0, result: 'differ', primary: 'legacy', findings: [{ class: 'key-casing', path: 'redis.token.UserEmail', rule: 'redis', verdict: 'unexpected' }] });
    m.dropped('reg', 'overload');
    m.duration('reg', 'legacy', 0.003);
    const text = await registry.metrics();
    assert.match(text, /figway_comparisons_total\{route="reg",result="differ"\} 1/);
    assert.match(text, /figway_differences_total\{route="reg",class="key-casing",verdict="unexpected"\} 1/);
    assert.match(text, /figway_shadow_dropped_total\{route="reg",reason="overload"\} 1/);
    assert.match(text, /figway_shadow_duration_seconds_bucket\{le="0.005",route="reg",side="legacy"\} 1/);
  });

  it('reuses the metrics when created twice on one registry', async () => {
    const registry = new Registry();
    createComparisonMetrics(registry).dropped('r', 'timeout');
    createComparisonMetrics(registry).dropped('r', 'timeout');
    assert.match(await registry.metrics(), /figway_shadow_dropped_total\{route="r",reason="timeout"\} 2/);
  });
});
