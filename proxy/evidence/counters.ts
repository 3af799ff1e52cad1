/**
 * Counter snapshots: the cumulative numbers the ramp's gates and the dashboard's timeline are derived from, read from
 * a prom-client registry's `getMetricsAsJSON()` (or the cluster-aggregated equivalent) and from the diff store's
 * summaries (which paths and patterns the unexpected differences were at). Snapshots are cumulative; windows are
 * differences between two of them (window.ts).
 */
import type { Side } from '../../shadow-report/types.js';

/** LatencyHistogram is a cumulative Prometheus histogram: upper bounds in seconds (without +Inf) and counts per bound, +Inf last. */
export interface LatencyHistogram {
  bounds: number[];
  counts: number[];
}

/** SideCounters are one side's client traffic on a route. */
export interface SideCounters {
  requests: number;
  /** 5xx answers (figway's own 502/504 included) and answers cut mid-body. */
  errors: number;
  latency: LatencyHistogram;
}

/** UnexpectedFinding is one unexpected-difference pattern (or, without patterns, one path) and how often it was found. */
export interface UnexpectedFinding {
  /** Difference class, when the source knows it (patterns do; path counters do not). */
  class?: string;
  path: string;
  endpoint?: string;
  count: number;
}

/** DiffDetail is what the diff store knows beyond the counters: where unexpected differences were, what is noise now. */
export interface DiffDetail {
  unexpected: Record<string, UnexpectedFinding>;
  /** Paths (and `class|path` keys) judged noise now; unexpected findings there were noise not yet learned. */
  noise: string[];
}

/** RouteCounters are one route's cumulative counters. */
export interface RouteCounters {
  sides: Record<Side, SideCounters>;
  /** Shadows sampled (figway_shadow_sampled_total); undefined until the evidence branch provides it. */
  sampled?: number;
  /** Comparisons by result (match, differ, noise-only, accepted-only, error, skipped). */
  comparisons: Record<string, number>;
  droppedByReason: Record<string, number>;
  /** Unexpected findings by class (figway_differences_total{verdict="unexpected"}). */
  unexpectedByClass: Record<string, number>;
  detail?: DiffDetail;
}

/** CounterSnapshot is every route's counters at one moment, from one instance. */
export type CounterSnapshot = Record<string, RouteCounters>;

/** MetricJson is one metric as prom-client's getMetricsAsJSON() returns it. */
export interface MetricJson {
  name: string;
  type?: unknown;
  values: Array<{ value: number; labels: Record<string, string | number | undefined>; metricName?: string }>;
}

/** METRIC names the series the evidence reads (see CONTRACTS.md, "Evidence the ramp and dashboard read"). */
export const METRIC = {
  requests: 'figway_requests_total',
  truncated: 'figway_responses_truncated_total',
  duration: 'figway_request_duration_seconds',
  sampled: 'figway_shadow_sampled_total',
  comparisons: 'figway_comparisons_total',
  dropped: 'figway_shadow_dropped_total',
  differences: 'figway_differences_total',
} as const;

/** emptyHistogram has no observations. */
export function emptyHistogram(): LatencyHistogram {
  return { bounds: [], counts: [] };
}

/** emptyRouteCounters is a route that has seen nothing. */
export function emptyRouteCounters(): RouteCounters {
  const side = (): SideCounters => ({ requests: 0, errors: 0, latency: emptyHistogram() });
  return { sides: { legacy: side(), new: side() }, comparisons: {}, droppedByReason: {}, unexpectedByClass: {} };
}

function isSide(value: unknown): value is Side {
  return value === 'legacy' || value === 'new';
}

function add(record: Record<string, number>, key: string, value: number): void {
  record[key] = (record[key] ?? 0) + value;
}

/** snapshotFromMetrics reads the evidence series out of getMetricsAsJSON() output. */
export function snapshotFromMetrics(metrics: readonly MetricJson[]): CounterSnapshot {
  const snapshot: CounterSnapshot = {};
  const route = (name: unknown): RouteCounters | undefined => {
    if (typeof name !== 'string' || name === '') return undefined;
    return (snapshot[name] ??= emptyRouteCounters());
  };
  const buckets = new Map<string, Map<number, number>>();
  for (const metric of metrics) {
    for (const { value, labels, metricName } of metric.values) {
      const counters = route(labels.route);
      if (counters === undefined || !Number.isFinite(value)) continue;
      switch (metric.name) {
        case METRIC.requests:
          if (!isSide(labels.side)) break;
          counters.sides[labels.side].requests += value;
          if (labels.status_class === '5xx') counters.sides[labels.side].errors += value;
          break;
        case METRIC.truncated:
          if (isSide(labels.side)) counters.sides[labels.side].errors += value;
          break;
        case METRIC.duration: {
          if (metricName !== `${METRIC.duration}_bucket` || !isSide(labels.side)) break;
          const key = `${labels.route}\u0000${labels.side}`;
          const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
          if (!buckets.has(key)) buckets.set(key, new Map());
          buckets.get(key)!.set(le, (buckets.get(key)!.get(le) ?? 0) + value);
          break;
        }
        case METRIC.sampled:
          counters.sampled = (counters.sampled ?? 0) + value;
          break;
        case METRIC.comparisons:
          add(counters.comparisons, String(labels.result), value);
          break;
        case METRIC.dropped:
          add(counters.droppedByReason, String(labels.reason), value);
          break;
        case METRIC.differences:
          if (labels.verdict === 'unexpected') add(counters.unexpectedByClass, String(labels.class), value);
          break;
        default:
      }
    }
  }
  for (const [key, byBound] of buckets) {
    const [name, side] = key.split('\u0000') as [string, Side];
    const sorted = [...byBound.entries()].sort((a, b) => a[0] - b[0]);
    snapshot[name]!.sides[side].latency = {
      bounds: sorted.filter(([le]) => Number.isFinite(le)).map(([le]) => le),
      counts: sorted.map(([, count]) => count),
    };
  }
  return snapshot;
}

/** DiffSummaryLike is the part of a /api/diffs RouteSummary (today's and the evidence branch's) the detail is read from. */
export interface DiffSummaryLike {
  route: string;
  unexpectedByPath?: Record<string, number>;
  noiseByPath?: Record<string, number>;
  patterns?: Array<{ id: string; verdict: string; class: string; path: string; endpoint?: string; count: number }>;
}

/** detailFromSummaries reads where unexpected differences were: patterns when the store has them, else paths. */
export function detailFromSummaries(summaries: readonly DiffSummaryLike[]): Record<string, DiffDetail> {
  const out: Record<string, DiffDetail> = {};
  for (const summary of summaries) {
    const detail: DiffDetail = { unexpected: {}, noise: [] };
    if (Array.isArray(summary.patterns)) {
      for (const pattern of summary.patterns) {
        if (pattern.verdict === 'unexpected') {
          detail.unexpected[pattern.id] = {
            class: pattern.class, path: pattern.path, count: pattern.count, ...(pattern.endpoint === undefined ? {} : { endpoint: pattern.endpoint }),
          };
        } else if (pattern.verdict === 'noise') {
          detail.noise.push(`${pattern.class}|${pattern.path}`);
        }
      }
    } else {
      for (const [path, count] of Object.entries(summary.unexpectedByPath ?? {})) detail.unexpected[`|${path}`] = { path, count };
      detail.noise.push(...Object.keys(summary.noiseByPath ?? {}));
    }
    out[summary.route] = detail;
  }
  return out;
}
