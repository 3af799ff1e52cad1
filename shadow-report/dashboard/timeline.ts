/**
 * The dashboard's timeline source: every interval it reads the gateway's Prometheus registry and turns the counters'
 * growth into one TimelinePoint per route (ramp's contract shape), kept in a bounded ring (1 h at 5 s). The ramp
 * branch serves the same shape at /api/routes/:route/timeline; until it does, this keeps the overview's plots alive.
 */
import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import type { TimelinePoint } from './web/model.js';

/** Counters is one scrape: series name → label key → value. */
type Counters = Map<string, number>;

interface MetricJson {
  name: string;
  values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
}

const key = (...parts: Array<string | number>): string => parts.join('\u0000');

/** scrape reads the series the timeline needs from a registry. */
export async function scrape(registry: Registry): Promise<Counters> {
  const out: Counters = new Map();
  const add = (k: string, v: number): void => { out.set(k, (out.get(k) ?? 0) + v); };
  for (const metric of await registry.getMetricsAsJSON() as unknown as MetricJson[]) {
    for (const { labels, value, metricName } of metric.values) {
      const route = String(labels.route ?? '');
      switch (metricName ?? metric.name) {
        case 'figway_requests_total':
          add(key('req', route, String(labels.side)), value);
          if (labels.status_class === '5xx') add(key('err', route, String(labels.side)), value);
          break;
        case 'figway_request_duration_seconds_bucket':
          add(key('bucket', route, String(labels.side), String(labels.le)), value);
          break;
        case 'figway_comparisons_total':
          add(key('compared', route), value);
          if (labels.result === 'differ') add(key('unexpected', route), value);
          break;
        case 'figway_shadow_dropped_total': add(key('dropped', route), value); break;
        case 'figway_shadow_sampled_total': add(key('sampled', route), value); break;
        default: break;
      }
    }
  }
  return out;
}

function delta(now: Counters, before: Counters | undefined, k: string): number {
  return Math.max(0, (now.get(k) ?? 0) - (before?.get(k) ?? 0));
}

/** p99Ms estimates the 99th percentile (upper bucket bound) of one route side's latency in the interval. */
function p99Ms(now: Counters, before: Counters | undefined, route: string, side: string): number | null {
  const prefix = key('bucket', route, side, '');
  const buckets: Array<[number, number]> = [];
  for (const k of now.keys()) {
    if (!k.startsWith(prefix)) continue;
    const le = k.slice(prefix.length);
    buckets.push([le === '+Inf' ? Infinity : Number(le), delta(now, before, k)]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  // Buckets are cumulative: the first whose count reaches 99% holds the 99th percentile.
  const target = total * 0.99;
  const found = buckets.find(([, count]) => count >= target);
  const bound = found?.[0] ?? Infinity;
  const finite = Number.isFinite(bound) ? bound : buckets.filter(([le]) => Number.isFinite(le)).at(-1)?.[0] ?? 0;
  return Math.round(finite * 1000 * 100) / 100;
}

/** pointFor computes one route's point from two scrapes. */
export function pointFor(route: string, at: number, weight: number, now: Counters, before: Counters | undefined): TimelinePoint {
  const requests = { legacy: delta(now, before, key('req', route, 'legacy')), new: delta(now, before, key('req', route, 'new')) };
  const errors = { legacy: delta(now, before, key('err', route, 'legacy')), new: delta(now, before, key('err', route, 'new')) };
  const compared = delta(now, before, key('compared', route));
  const dropped = delta(now, before, key('dropped', route));
  const unexpected = delta(now, before, key('unexpected', route));
  const sampled = now.has(key('sampled', route)) ? delta(now, before, key('sampled', route)) : compared + dropped;
  return {
    at, weight, requests,
    errorRate: { legacy: requests.legacy === 0 ? null : errors.legacy / requests.legacy, new: requests.new === 0 ? null : errors.new / requests.new },
    p99Ms: { legacy: p99Ms(now, before, route, 'legacy'), new: p99Ms(now, before, route, 'new') },
    sampled, compared, dropped, unexpected,
    unexpectedRate: compared === 0 ? null : unexpected / compared,
  };
}

/** TimelineSamplerOptions configure the sampler; `now` is injectable. */
export interface TimelineSamplerOptions {
  registry: Registry;
  /** Route name → weight in percent, as in force now. */
  weights(): ReadonlyMap<string, number> | Map<string, number>;
  routes(): readonly string[];
  intervalMs?: number;
  capacity?: number;
  now?: () => number;
}

/** TimelineSampler keeps each route's recent points and emits 'points' (TimelinePoint per route) after each tick. */
export interface TimelineSampler extends EventEmitter {
  readonly intervalMs: number;
  /** tick scrapes once and appends a point per route (the timer calls it; tests call it directly). */
  tick(): Promise<Record<string, TimelinePoint>>;
  points(route: string, since?: number): TimelinePoint[];
  start(): void;
  stop(): void;
}

/** createTimelineSampler returns a stopped sampler; start() begins ticking (the first scrape is the baseline). */
export function createTimelineSampler(options: TimelineSamplerOptions): TimelineSampler {
  const intervalMs = options.intervalMs ?? 5_000;
  const capacity = options.capacity ?? Math.ceil(3_600_000 / intervalMs);
  const now = options.now ?? Date.now;
  const rings = new Map<string, TimelinePoint[]>();
  let previous: Counters | undefined;
  let timer: NodeJS.Timeout | undefined;
  const emitter = new EventEmitter() as TimelineSampler;

  return Object.assign(emitter, {
    intervalMs,
    async tick() {
      const current = await scrape(options.registry);
      const at = now();
      const weights = options.weights();
      const routes = options.routes();
      const out: Record<string, TimelinePoint> = {};
      for (const route of routes) {
        const point = pointFor(route, at, weights.get(route) ?? 0, current, previous);
        let ring = rings.get(route);
        if (ring === undefined) { ring = []; rings.set(route, ring); }
        ring.push(point);
        if (ring.length > capacity) ring.splice(0, ring.length - capacity);
        out[route] = point;
      }
      for (const route of [...rings.keys()]) if (!routes.includes(route)) rings.delete(route);
      previous = current;
      emitter.emit('points', out);
      return out;
    },
    points(route: string, since = 0) {
      return (rings.get(route) ?? []).filter((point) => point.at >= since);
    },
    start() {
      if (timer !== undefined) return;
      void emitter.tick().catch(() => undefined);
      timer = setInterval(() => { void emitter.tick().catch(() => undefined); }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  });
}
