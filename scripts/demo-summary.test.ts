import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { routeFigures, startLiveSummary, summaryLines } from './demo-summary.js';

function registryWithTraffic(): Registry {
  const registry = new Registry();
  const requests = new Counter({ name: 'figway_requests_total', help: 'h', labelNames: ['route', 'side', 'status_class'], registers: [registry] });
  const weight = new Gauge({ name: 'figway_route_weight_ratio', help: 'h', labelNames: ['route'], registers: [registry] });
  const sampled = new Counter({ name: 'figway_shadow_sampled_total', help: 'h', labelNames: ['route'], registers: [registry] });
  const comparisons = new Counter({ name: 'figway_comparisons_total', help: 'h', labelNames: ['route', 'result'], registers: [registry] });
  const differences = new Counter({ name: 'figway_differences_total', help: 'h', labelNames: ['route', 'class', 'verdict'], registers: [registry] });
  requests.inc({ route: 'registration', side: 'legacy', status_class: '2xx' }, 7);
  requests.inc({ route: 'registration', side: 'new', status_class: '5xx' }, 3);
  requests.inc({ route: 'auth', side: 'legacy', status_class: '2xx' }, 0);
  weight.set({ route: 'registration' }, 0.5);
  sampled.inc({ route: 'registration' }, 10);
  comparisons.inc({ route: 'registration', result: 'differ' }, 4);
  comparisons.inc({ route: 'registration', result: 'match' }, 5);
  differences.inc({ route: 'registration', class: 'key-casing', verdict: 'unexpected' }, 4);
  differences.inc({ route: 'registration', class: 'status', verdict: 'unexpected' }, 1);
  differences.inc({ route: 'registration', class: 'header', verdict: 'accepted' }, 9);
  return registry;
}

test('the live summary gives each route with traffic one line: weight, requests by side, 5xx, coverage, unexpected by class', async () => {
  const figures = routeFigures(await registryWithTraffic().getMetricsAsJSON());
  const lines = summaryLines(figures, new Date('2026-12-01T12:00:05Z'));
  assert.deepEqual(lines, [
    '[12:00:05] registration at 50% · 10 requests (legacy 7, new 3, 5xx 3) · compared 9 of 10 sampled · unexpected 5 (key-casing ×4, status ×1)',
  ]);
});

test('the live summary prints only when something changed', async () => {
  let written = '';
  const summary = startLiveSummary(registryWithTraffic(), { write: (text: string) => { written += text; } }, 10);
  try {
    for (let i = 0; i < 200 && written === ''; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    summary.stop();
  }
  assert.equal(written.trim().split('\n').length, 1, written);
});
