/**
 * Windows: what happened on a route between two counter snapshots, summed over instances, and the figures the gates
 * read from it (error rate, p99, coverage, unexpected-difference rate and the finding that dominates). Deltas are taken
 * per instance, and a counter that went down (a restarted instance) counts from zero, as Prometheus' rate() does.
 */
import { isNeverNoise, type Side } from '../../shadow-report/types.js';
import {
  emptyHistogram, emptyRouteCounters, type CounterSnapshot, type LatencyHistogram, type RouteCounters, type UnexpectedFinding,
} from './counters.js';

/** CONCLUSIVE_RESULTS are comparison results that are evidence: a shadow error or a skipped comparison says nothing. */
export const CONCLUSIVE_RESULTS: ReadonlySet<string> = new Set(['match', 'differ', 'noise-only', 'accepted-only']);

/** RouteWindow is a route's traffic and evidence over one span of time. */
export interface RouteWindow {
  /** Epoch ms the window starts and ends. */
  from: number;
  to: number;
  counters: RouteCounters;
  /** Paths (and `class|path` keys) judged noise at the end of the window. */
  noise: Set<string>;
}

const SIDES: readonly Side[] = ['legacy', 'new'];

function increase(current: number, previous: number): number {
  return current >= previous ? current - previous : current;
}

function recordDelta(current: Record<string, number>, previous: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(current)) {
    const delta = increase(value, previous?.[key] ?? 0);
    if (delta > 0) out[key] = delta;
  }
  return out;
}

function histogramDelta(current: LatencyHistogram, previous: LatencyHistogram | undefined): LatencyHistogram {
  const reset = previous !== undefined && current.counts.some((count, index) => count < (previous.counts[index] ?? 0));
  return { bounds: current.bounds, counts: current.counts.map((count, index) => (reset ? count : count - (previous?.counts[index] ?? 0))) };
}

/** routeDelta is what one instance's route counters gained between two snapshots (all of it for a route new since). */
export function routeDelta(current: RouteCounters, previous: RouteCounters | undefined): RouteCounters {
  const out = emptyRouteCounters();
  for (const side of SIDES) {
    const now = current.sides[side];
    const before = previous?.sides[side];
    out.sides[side] = {
      requests: increase(now.requests, before?.requests ?? 0),
      errors: increase(now.errors, before?.errors ?? 0),
      latency: histogramDelta(now.latency, before?.latency),
    };
  }
  if (current.sampled !== undefined) out.sampled = increase(current.sampled, previous?.sampled ?? 0);
  out.comparisons = recordDelta(current.comparisons, previous?.comparisons);
  out.droppedByReason = recordDelta(current.droppedByReason, previous?.droppedByReason);
  out.unexpectedByClass = recordDelta(current.unexpectedByClass, previous?.unexpectedByClass);
  if (current.detail !== undefined) {
    const unexpected: Record<string, UnexpectedFinding> = {};
    for (const [key, finding] of Object.entries(current.detail.unexpected)) {
      const delta = increase(finding.count, previous?.detail?.unexpected[key]?.count ?? 0);
      if (delta > 0) unexpected[key] = { ...finding, count: delta };
    }
    out.detail = { unexpected, noise: current.detail.noise };
  }
  return out;
}

function addRecord(target: Record<string, number>, source: Record<string, number>): void {
  for (const [key, value] of Object.entries(source)) target[key] = (target[key] ?? 0) + value;
}

function addHistogram(target: LatencyHistogram, source: LatencyHistogram): LatencyHistogram {
  if (target.counts.length === 0) return { bounds: source.bounds, counts: [...source.counts] };
  if (source.counts.length !== target.counts.length) return target; // bucket layouts differ: keep the first
  return { bounds: target.bounds, counts: target.counts.map((count, index) => count + source.counts[index]!) };
}

/** addCounters adds `source` into `target` (both deltas), keeping the union of the detail. */
export function addCounters(target: RouteCounters, source: RouteCounters): void {
  for (const side of SIDES) {
    target.sides[side].requests += source.sides[side].requests;
    target.sides[side].errors += source.sides[side].errors;
    target.sides[side].latency = addHistogram(target.sides[side].latency, source.sides[side].latency);
  }
  if (source.sampled !== undefined) target.sampled = (target.sampled ?? 0) + source.sampled;
  addRecord(target.comparisons, source.comparisons);
  addRecord(target.droppedByReason, source.droppedByReason);
  addRecord(target.unexpectedByClass, source.unexpectedByClass);
  if (source.detail !== undefined) {
    target.detail ??= { unexpected: {}, noise: [] };
    for (const [key, finding] of Object.entries(source.detail.unexpected)) {
      const existing = target.detail.unexpected[key];
      target.detail.unexpected[key] = existing === undefined ? { ...finding } : { ...existing, count: existing.count + finding.count };
    }
    target.detail.noise = [...new Set([...target.detail.noise, ...source.detail.noise])];
  }
}

/**
 * snapshotsDelta sums, per route, what every instance gained between two readings (keyed by instance). An instance
 * seen for the first time is a baseline: what it counted before the evidence started watching is in no window.
 */
export function snapshotsDelta(current: ReadonlyMap<string, CounterSnapshot>, previous: ReadonlyMap<string, CounterSnapshot>): Map<string, RouteCounters> {
  const out = new Map<string, RouteCounters>();
  for (const [instance, snapshot] of current) {
    const before = previous.get(instance);
    for (const [route, counters] of Object.entries(snapshot)) {
      const delta = before === undefined ? routeDelta(counters, counters) : routeDelta(counters, before[route]);
      if (!out.has(route)) out.set(route, emptyRouteCounters());
      addCounters(out.get(route)!, delta);
    }
  }
  return out;
}

/** emptyWindow starts a window at `from`. */
export function emptyWindow(from: number): RouteWindow {
  return { from, to: from, counters: emptyRouteCounters(), noise: new Set() };
}

/** extendWindow adds one interval's delta to a window. */
export function extendWindow(window: RouteWindow, delta: RouteCounters, to: number): void {
  addCounters(window.counters, delta);
  window.to = to;
  if (delta.detail !== undefined) window.noise = new Set(delta.detail.noise);
}

// --- figures ---------------------------------------------------------------------------------------------------

/** errorRate is errors ÷ requests of one side, null without requests. */
export function errorRate(counters: RouteCounters, side: Side): number | null {
  const { requests, errors } = counters.sides[side];
  return requests === 0 ? null : errors / requests;
}

/** quantileMs estimates a quantile from histogram buckets (linear within a bucket, as histogram_quantile does), in ms. */
export function quantileMs(histogram: LatencyHistogram, q: number): number | null {
  const total = histogram.counts.at(-1) ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  for (let index = 0; index < histogram.counts.length; index++) {
    const count = histogram.counts[index]!;
    if (count < rank) continue;
    if (index >= histogram.bounds.length) return (histogram.bounds.at(-1) ?? 0) * 1000; // in +Inf: the last finite bound
    const upper = histogram.bounds[index]!;
    const lower = index === 0 ? 0 : histogram.bounds[index - 1]!;
    const below = index === 0 ? 0 : histogram.counts[index - 1]!;
    const inBucket = count - below;
    const fraction = inBucket === 0 ? 1 : (rank - below) / inBucket;
    return (lower + (upper - lower) * fraction) * 1000;
  }
  return null;
}

/** p99Ms of one side's latency in the window. */
export function p99Ms(counters: RouteCounters, side: Side): number | null {
  return quantileMs(counters.sides[side].latency ?? emptyHistogram(), 0.99);
}

/** comparedCount is the number of conclusive comparisons (errors and skipped comparisons are not evidence). */
export function comparedCount(counters: RouteCounters): number {
  let total = 0;
  for (const [result, count] of Object.entries(counters.comparisons)) if (CONCLUSIVE_RESULTS.has(result)) total += count;
  return total;
}

/** droppedCount is every shadow not compared: dropped ones, and comparisons that ended in an error or were skipped. */
export function droppedCount(counters: RouteCounters): number {
  let total = 0;
  for (const count of Object.values(counters.droppedByReason)) total += count;
  for (const [result, count] of Object.entries(counters.comparisons)) if (!CONCLUSIVE_RESULTS.has(result)) total += count;
  return total;
}

/** sampledCount is the shadows sampled: the counter when it exists, else every comparison plus every drop. */
export function sampledCount(counters: RouteCounters): number {
  if (counters.sampled !== undefined) return counters.sampled;
  let total = 0;
  for (const count of Object.values(counters.comparisons)) total += count;
  for (const count of Object.values(counters.droppedByReason)) total += count;
  return total;
}

function isNoise(finding: UnexpectedFinding, noise: ReadonlySet<string>): boolean {
  return noise.has(finding.path) || (finding.class !== undefined && noise.has(`${finding.class}|${finding.path}`));
}

/**
 * unexpectedComparisons estimates the comparisons with an unexpected difference that still counts: the `differ`
 * comparisons, less those whose findings were at paths since learned as noise (the first comparisons of a random
 * field are unexpected until the learner has seen enough of them). Without detail it is the `differ` count.
 */
export function unexpectedComparisons(window: RouteWindow): number {
  const counters = window.counters;
  const differ = counters.comparisons.differ ?? 0;
  const detail = counters.detail;
  if (detail === undefined) return differ;
  let accounted = 0;
  let counting = 0;
  for (const finding of Object.values(detail.unexpected)) {
    accounted += finding.count;
    if (!isNoise(finding, window.noise)) counting += finding.count;
  }
  let findings = 0;
  for (const count of Object.values(counters.unexpectedByClass)) findings += count;
  // Findings the detail does not list (its path maps are capped) count against the route.
  counting += Math.max(0, findings - accounted);
  return Math.min(differ, counting);
}

/** TopFinding is the unexpected difference that dominates a window, as a gate's reason names it. */
export interface TopFinding {
  class: string | undefined;
  path: string;
  endpoint?: string;
  count: number;
}

/**
 * topFindings names the most frequent unexpected differences still counting (not since learned as noise), most
 * frequent first. With patterns the class is exact; with path counters only it is known when the window has one class.
 */
export function topFindings(window: RouteWindow, limit: number): TopFinding[] {
  const counters = window.counters;
  const findings = Object.values(counters.detail?.unexpected ?? {}).filter((finding) => !isNoise(finding, window.noise));
  const classes = Object.entries(counters.unexpectedByClass).sort((a, b) => b[1] - a[1]);
  const onlyClass = classes.length === 1 ? classes[0]![0] : undefined;
  if (findings.length === 0) return classes.length === 0 ? [] : [{ class: classes[0]![0], path: '(path unknown)', count: classes[0]![1] }];
  // Most frequent first; among equals, classes that are never noise (status, casing, type, Redis) lead.
  const rank = (finding: UnexpectedFinding): number => (finding.class !== undefined && isNeverNoise(finding.class) ? 0 : 1);
  const ordered = findings.sort((a, b) => b.count - a.count || rank(a) - rank(b) || a.path.localeCompare(b.path));
  return ordered.slice(0, limit).map((finding) => ({
    // A difference at `status` can only be of class status.
    class: finding.class ?? onlyClass ?? (finding.path === 'status' ? 'status' : undefined), path: finding.path, count: finding.count, ...(finding.endpoint === undefined ? {} : { endpoint: finding.endpoint }),
  }));
}

/** classCounts renders the window's unexpected findings by class: "status 36, redis-missing-key 33". */
export function classCounts(window: RouteWindow): string {
  return Object.entries(window.counters.unexpectedByClass).sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`).join(', ');
}

/** topFinding is the single most frequent unexpected difference still counting. */
export function topFinding(window: RouteWindow): TopFinding | undefined {
  return topFindings(window, 1)[0];
}

/** describeFinding renders "key-casing at redis.token.UserEmail (PUT /api/approve), 12 of 40 comparisons". */
export function describeFinding(finding: TopFinding, compared: number): string {
  const where = finding.endpoint === undefined ? '' : ` (${finding.endpoint})`;
  return `${finding.class ?? 'difference'} at ${finding.path}${where}, ${Math.min(finding.count, compared)} of ${compared} comparisons`;
}
