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

  it('counts sampled shadows and live checks, and a live record\'s findings without a comparison', async () => {
    const registry = new Registry();
    const m = createComparisonMetrics(registry);
    m.sampled('auth');
    m.sampled('auth');
    m.live('auth', 'match');
    m.live('auth', 'differ');
    m.comparison({ route: 'auth', at: 0, result: 'differ', primary: 'new', live: true, findings: [{ class: 'key-casing', path: 'redis.token.UserEmail', rule: 'redis', verdict: 'unexpected' }] });
    const text = await registry.metrics();
    assert.match(text, /figway_shadow_sampled_total\{route="auth"\} 2/);
    assert.match(text, /figway_live_checks_total\{route="auth",result="match"\} 1/);
    assert.match(text, /figway_live_checks_total\{route="auth",result="differ"\} 1/);
    assert.match(text, /figway_differences_total\{route="auth",class="key-casing",verdict="unexpected"\} 1/);
    assert.doesNotMatch(text, /figway_comparisons_total\{route="auth"/);
  });

  it('registers every per-route series at 0 on init', async () => {
    const registry = new Registry();
    createComparisonMetrics(registry).init(['auth', 'registration'], { dropReasons: ['in-flight-cap'] });
    const text = await registry.metrics();
    for (const route of ['auth', 'registration']) {
      assert.match(text, new RegExp(`figway_shadow_sampled_total\\{route="${route}"\\} 0`));
      for (const result of ['match', 'differ', 'noise-only', 'accepted-only', 'error', 'skipped']) {
        assert.match(text, new RegExp(`figway_comparisons_total\\{route="${route}",result="${result}"\\} 0`));
      }
      for (const result of ['match', 'differ', 'noise-only', 'accepted-only']) assert.match(text, new RegExp(`figway_live_checks_total\\{route="${route}",result="${result}"\\} 0`));
      assert.match(text, new RegExp(`figway_shadow_dropped_total\\{route="${route}",reason="in-flight-cap"\\} 0`));
    }
  });
});
