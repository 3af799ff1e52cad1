/**
 * One load run with autocannon's programmatic API: a discarded warm-up, then a timed run during which the target's
 * CPU (from /proc, before and after) and RSS (sampled) are recorded. Latency is recorded per response in µs
 * (autocannon's own histogram has 1 ms resolution, too coarse for a ~2 ms p50).
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { createHistogram } from 'node:perf_hooks';
import { cpuSeconds, RssSampler } from './proc.js';
import { sleep } from './children.js';

/** The two request shapes of the bench. */
export type Scenario = 'GET' | 'POST';

/** Distinct sticky keys sent in turn, so a weight-50 route sends clients to both sides. */
const CLIENTS = 16;

/** postBody is the ~1 KB JSON request body of the POST scenario. */
export const postBody: string = (() => {
  const items: Array<{ sku: string; qty: number; note: string }> = [];
  let body = '';
  for (let i = 0; body.length < 1000; i++) {
    items.push({ sku: `SKU-${String(i).padStart(5, '0')}`, qty: i % 7 + 1, note: 'bench item' });
    body = JSON.stringify({ id: 4711, name: 'Ada Lovelace', email: 'ada@example.com', items });
  }
  return body;
})();

/** requestsFor builds the request templates of a scenario, cycling the x-client sticky key. */
export function requestsFor(scenario: Scenario): AutocannonRequest[] {
  const requests: AutocannonRequest[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const headers: Record<string, string> = { accept: 'application/json', 'x-client': `client-${i}` };
    if (scenario === 'POST') headers['content-type'] = 'application/json';
    requests.push(scenario === 'POST'
      ? { method: 'POST', path: '/json', headers, body: postBody }
      : { method: 'GET', path: '/json', headers });
  }
  return requests;
}

/** What one measured run produced. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and resets. */
  errors: number;
  non2xx: number;
  /** CPU seconds used during the run, by accounted pid. */
  cpuSeconds: Record<string, number>;
  /** CPU seconds per completed request of the `primary` process, in µs. */
  cpuUsPerRequest: number;
  /** Peak RSS of the primary process sampled during the run, bytes. */
  peakRssBytes: number;
  /** CPU of the load generator (this process) per request, µs. */
  loadgenUsPerRequest: number;
}

/** LoadOptions of one run. */
export interface LoadOptions {
  url: string;
  scenario: Scenario;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** The process whose CPU per request is the figure (the proxy, or the upstream for direct). */
  primaryPid: number;
  /** More processes to account (upstreams), by label. */
  accounted: Record<string, number>;
}

async function fire(url: string, scenario: Scenario, connections: number, seconds: number,
  onLatencyUs?: (us: number) => void) {
  // autocannon only ends a run on a sample tick: 100 ms ticks keep a 3 s run at ~3 s instead of 4.
  const instance = autocannon({
    url, connections, duration: seconds, timeout: 10, sampleInt: 100, requests: requestsFor(scenario),
  });
  if (onLatencyUs !== undefined) {
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      onLatencyUs(Math.max(1, Math.round(responseTimeMs * 1000)));
    });
  }
  return await instance;
}

/** How idle the proxy must be before a run's CPU is read: under 10 ms of CPU in a 100 ms window, at most SETTLE_MAX_MS. */
const SETTLE_WINDOW_MS = 100;
const SETTLE_IDLE_SECONDS = 0.01;
const SETTLE_MAX_MS = 10_000;

async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + SETTLE_MAX_MS;
  let last = cpuSeconds(pid);
  do {
    await sleep(SETTLE_WINDOW_MS);
    const now = cpuSeconds(pid);
    if (now - last < SETTLE_IDLE_SECONDS) return;
    last = now;
  } while (Date.now() < deadline);
}

/** runLoad warms the target up, then measures one run. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) {
    await fire(options.url, options.scenario, options.connections, options.warmupSeconds);
    await settle(options.primaryPid);
  }
  const labels = { primary: options.primaryPid, ...options.accounted };
  const before: Record<string, number> = {};
  for (const [label, pid] of Object.entries(labels)) before[label] = cpuSeconds(pid);
  const ownBefore = process.cpuUsage();
  const histogram = createHistogram();
  const sampler = new RssSampler(options.primaryPid);
  const result = await fire(options.url, options.scenario, options.connections, options.seconds,
    (us) => histogram.record(us));
  // Work the run's requests left behind (a shadow lane's backlog) belongs to this run, and must not steal the CPU of
  // the next target's run: wait (bounded) until the proxy is nearly idle before reading its CPU.
  await settle(options.primaryPid);
  const peakRssBytes = sampler.stop();
  const own = process.cpuUsage(ownBefore);
  const used: Record<string, number> = {};
  for (const [label, pid] of Object.entries(labels)) used[label] = cpuSeconds(pid) - (before[label] ?? 0);
  const requests = result.requests.total;
  const seconds = result.duration || options.seconds;
  const perRequest = (cpu: number): number => (requests > 0 ? (cpu / requests) * 1e6 : Number.NaN);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: histogram.count > 0 ? histogram.percentile(50) / 1000 : Number.NaN,
    p99Ms: histogram.count > 0 ? histogram.percentile(99) / 1000 : Number.NaN,
    errors: result.errors + result.resets, // autocannon counts timeouts inside errors
    non2xx: result.non2xx,
    cpuSeconds: used,
    cpuUsPerRequest: perRequest(used.primary ?? Number.NaN),
    peakRssBytes,
    loadgenUsPerRequest: perRequest((own.user + own.system) / 1e6),
  };
}
