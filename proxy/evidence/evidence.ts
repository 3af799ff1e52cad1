/**
 * The evidence layer: every interval it reads cumulative counters from an injectable source, turns them into
 * per-route deltas (summed over instances), keeps a bounded timeline per route for the dashboard, and hands the deltas
 * to listeners (the ramp controller adds them to each step's window). Tests feed numbers through their own source and
 * call collect() with an injected clock; in production the ramp controller's loop calls it every interval.
 */
import type { Registry } from 'prom-client';
import { detailFromSummaries, snapshotFromMetrics, type CounterSnapshot, type DiffSummaryLike, type MetricJson, type RouteCounters } from './counters.js';
import {
  comparedCount, droppedCount, errorRate, p99Ms, sampledCount, snapshotsDelta, unexpectedComparisons, type RouteWindow,
} from './window.js';

/** EvidenceSource reads cumulative counters, keyed by instance (one entry when figway runs alone). */
export interface EvidenceSource {
  read(): Promise<Map<string, CounterSnapshot>>;
}

/** MetricsReader is anything with prom-client's getMetricsAsJSON (a Registry, or perf's cluster-aggregated one). */
export interface MetricsReader {
  getMetricsAsJSON(): Promise<MetricJson[]> | MetricJson[];
}

/**
 * createRegistrySource reads this process's counters from `metrics`, and where unexpected differences were from the
 * diff store's summaries when `diffSummaries` is given (a failing store read leaves the detail out, never the counters).
 */
export function createRegistrySource(options: {
  instance: string;
  metrics: MetricsReader | Registry;
  diffSummaries?: () => Promise<readonly DiffSummaryLike[]> | undefined;
}): EvidenceSource & { local(): Promise<CounterSnapshot> } {
  const local = async (): Promise<CounterSnapshot> => {
    const snapshot = snapshotFromMetrics(await options.metrics.getMetricsAsJSON());
    const summaries = await Promise.resolve(options.diffSummaries?.()).catch(() => undefined);
    if (summaries !== undefined) {
      for (const [route, detail] of Object.entries(detailFromSummaries(summaries))) if (snapshot[route] !== undefined) snapshot[route]!.detail = detail;
    }
    return snapshot;
  };
  return {
    local,
    async read() {
      return new Map([[options.instance, await local()]]);
    },
  };
}

/** TimelinePoint is one interval of one route, as GET /api/routes/:route/timeline returns it (CONTRACTS.md). */
export interface TimelinePoint {
  at: number;
  weight: number;
  requests: { legacy: number; new: number };
  errorRate: { legacy: number | null; new: number | null };
  p99Ms: { legacy: number | null; new: number | null };
  sampled: number;
  compared: number;
  dropped: number;
  unexpected: number;
  unexpectedRate: number | null;
}

/** EvidenceOptions configure the layer. */
export interface EvidenceOptions {
  source: EvidenceSource;
  now?: () => number;
  intervalMs: number;
  timelineMs: number;
  /** The weight in force for a route (the timeline records it with each point). */
  weightOf(route: string): number;
  onError?(error: unknown): void;
}

/** IntervalListener hears each collected interval: per-route deltas, and when the interval ended. */
export type IntervalListener = (deltas: ReadonlyMap<string, RouteCounters>, at: number) => void;

/** Evidence is the running layer. */
export interface Evidence {
  /** collect reads the source once, records a timeline point per route and tells listeners; it never throws. */
  collect(): Promise<ReadonlyMap<string, RouteCounters> | undefined>;
  timeline(route: string, since?: number): { route: string; intervalMs: number; points: TimelinePoint[] };
  onInterval(listener: IntervalListener): () => void;
  readonly intervalMs: number;
  /** lastCollectedAt is when the source was last read successfully (null before). */
  readonly lastCollectedAt: number | null;
}

/** timelinePoint summarises one interval's delta. */
export function timelinePoint(window: RouteWindow, weight: number): TimelinePoint {
  const counters = window.counters;
  const compared = comparedCount(counters);
  const unexpected = unexpectedComparisons(window);
  return {
    at: window.to,
    weight,
    requests: { legacy: counters.sides.legacy.requests, new: counters.sides.new.requests },
    errorRate: { legacy: errorRate(counters, 'legacy'), new: errorRate(counters, 'new') },
    p99Ms: { legacy: p99Ms(counters, 'legacy'), new: p99Ms(counters, 'new') },
    sampled: sampledCount(counters),
    compared,
    dropped: droppedCount(counters),
    unexpected,
    unexpectedRate: compared === 0 ? null : unexpected / compared,
  };
}

/** createEvidence returns the layer; nothing is read until collect() or start(). */
export function createEvidence(options: EvidenceOptions): Evidence {
  const now = options.now ?? Date.now;
  const capacity = Math.max(1, Math.ceil(options.timelineMs / options.intervalMs));
  const timelines = new Map<string, TimelinePoint[]>();
  const listeners = new Set<IntervalListener>();
  let previous: ReadonlyMap<string, CounterSnapshot> | undefined;
  let lastCollectedAt: number | null = null;
  let running: Promise<unknown> = Promise.resolve();

  async function collectOnce(): Promise<ReadonlyMap<string, RouteCounters> | undefined> {
    let current: Map<string, CounterSnapshot>;
    try {
      current = await options.source.read();
    } catch (error) {
      options.onError?.(error);
      return undefined;
    }
    const at = now();
    const first = previous === undefined;
    const deltas = snapshotsDelta(current, previous ?? new Map());
    previous = current;
    lastCollectedAt = at;
    if (first) return deltas; // a baseline: nothing happened "in" it
    for (const [route, counters] of deltas) {
      const points = timelines.get(route) ?? [];
      const noise = new Set(counters.detail?.noise ?? []);
      points.push(timelinePoint({ from: at - options.intervalMs, to: at, counters, noise }, options.weightOf(route)));
      if (points.length > capacity) points.splice(0, points.length - capacity);
      timelines.set(route, points);
    }
    for (const listener of listeners) {
      try {
        listener(deltas, at);
      } catch (error) {
        options.onError?.(error);
      }
    }
    return deltas;
  }

  return {
    intervalMs: options.intervalMs,
    get lastCollectedAt() { return lastCollectedAt; },
    collect() {
      // One reading at a time: a slow source must not interleave two deltas.
      const run = running.then(collectOnce);
      running = run.catch(() => undefined);
      return run;
    },
    timeline(route, since = 0) {
      return { route, intervalMs: options.intervalMs, points: (timelines.get(route) ?? []).filter((point) => point.at > since) };
    },
    onInterval(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
