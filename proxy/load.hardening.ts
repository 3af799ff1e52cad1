/**
 * Load (npm run test:hardening): 60 s at 100 connections through `figway start` with every request mirrored and
 * compared. Zero client errors; figway's RSS flat after warm-up; a shadow that is not compared is dropped only for
 * capacity (in-flight cap, full or stale queue) and counted, so sampled = compared + dropped once the lane is idle.
 * HARDENING_LOAD_SECONDS shortens the run for a quick look.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { driveLoad, metricValue, startFigwayProcess, startUpstreamProcess, type FigwayProcess, type UpstreamProcess } from '../testing/processes.js';

const SECONDS = Number(process.env.HARDENING_LOAD_SECONDS ?? 60);
const WARMUP_SECONDS = 10;
const CONNECTIONS = 100;
const CAPACITY_REASONS = new Set(['in-flight-cap', 'queue-full', 'queue-timeout']);

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined); });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

test(`${SECONDS} s at ${CONNECTIONS} connections with 100 % mirroring: no client error, flat RSS, drops only for capacity`, async (t) => {
  const legacy: UpstreamProcess = await startUpstreamProcess('legacy');
  cleanups.push(() => legacy.kill());
  const fresh: UpstreamProcess = await startUpstreamProcess('new');
  cleanups.push(() => fresh.kill());
  const figway: FigwayProcess = await startFigwayProcess({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, sticky: { header: 'x-client' }, mirror: { sampleRate: 1 } }],
  }, { api: 50 });
  cleanups.push(() => figway.close());

  const samples: { at: number; rss: number }[] = [];
  const started = Date.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ at: (Date.now() - started) / 1000, rss: await figway.rssMb() });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  const result = await driveLoad({
    url: figway.urls.gateway!, connections: CONNECTIONS, durationMs: (WARMUP_SECONDS + SECONDS) * 1000,
    request: (connection, n) => ({ path: `/items/${n % 100}?page=${connection % 5}`, headers: { 'x-client': `client-${(connection + n) % 64}` } }),
  });
  sampling = false;
  await sampler;

  // Let the shadow lane finish what it holds, then check that every sample was accounted for.
  let metrics = await figway.metrics();
  const accounted = (): { sampled: number; compared: number; dropped: number } => ({
    sampled: metricValue(metrics, 'figway_shadow_sampled_total', { route: 'api' }),
    compared: metricValue(metrics, 'figway_comparisons_total', { route: 'api' }),
    dropped: metricValue(metrics, 'figway_shadow_dropped_total', { route: 'api' }),
  });
  for (let i = 0; i < 300; i++) {
    const { sampled, compared, dropped } = accounted();
    if (sampled === compared + dropped) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
    metrics = await figway.metrics();
  }
  const { sampled, compared, dropped } = accounted();
  const reasons = [...metrics.matchAll(/^figway_shadow_dropped_total\{route="api",reason="([^"]+)"\} (\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => `${m[1]} ${m[2]}`);
  const warm = samples.filter((sample) => sample.at >= WARMUP_SECONDS);
  const early = warm.slice(0, Math.max(1, Math.floor(warm.length / 4)));
  const late = warm.slice(-Math.max(1, Math.floor(warm.length / 4)));
  const earlyRss = median(early.map((sample) => sample.rss));
  const lateRss = median(late.map((sample) => sample.rss));
  const peakRss = Math.max(...samples.map((sample) => sample.rss));
  const seconds = WARMUP_SECONDS + SECONDS;
  t.diagnostic(`${result.requests} requests in ${seconds} s (${Math.round(result.requests / seconds)}/s): ${JSON.stringify(Object.fromEntries(result.byStatus))}, errors ${JSON.stringify(Object.fromEntries(result.errors))}`);
  t.diagnostic(`shadows: ${sampled} sampled, ${compared} compared, ${dropped} dropped (${reasons.join(', ') || 'none'})`);
  t.diagnostic(`figway RSS: ${earlyRss.toFixed(0)} MB after warm-up, ${lateRss.toFixed(0)} MB at the end, peak ${peakRss.toFixed(0)} MB`);

  assert.deepEqual(Object.fromEntries(result.errors), {}, 'no client error');
  assert.deepEqual([...result.byStatus.keys()], [200], 'every answer 200');
  assert.equal(sampled, result.requests, 'every request was sampled for mirroring');
  assert.equal(sampled, compared + dropped, 'every sample ended as one comparison or one drop');
  for (const reason of reasons) assert.ok(CAPACITY_REASONS.has(reason.split(' ')[0]!), `dropped only for capacity, not ${reason}`);
  assert.ok(compared > 0);
  assert.ok(lateRss <= earlyRss * 1.25 + 15, `RSS grew from ${earlyRss.toFixed(0)} MB to ${lateRss.toFixed(0)} MB after warm-up`);
});
