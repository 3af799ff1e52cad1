/** Comparison metrics, all under the `figway_` namespace. Label values are bounded: routes come from config, classes and verdicts are enums. */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ComparisonRecord, ComparisonResult, Side } from './types.js';

/**
 * LiveCheckResult is the outcome of one Mode 2 live check: `match` (no drift), the judged result of a drift
 * (`differ`, `noise-only`, `accepted-only`), or why the check could not run (a skip reason).
 */
export type LiveCheckResult = string;

/** COMPARISON_RESULTS lists every figway_comparisons_total result label. */
export const COMPARISON_RESULTS: readonly ComparisonResult[] = ['match', 'differ', 'noise-only', 'accepted-only', 'error', 'skipped'];
/** LIVE_CHECK_RESULTS lists the figway_live_checks_total result labels registered at 0 by init (skip reasons come as they happen). */
export const LIVE_CHECK_RESULTS: readonly LiveCheckResult[] = ['match', 'differ', 'noise-only', 'accepted-only'];

/** ComparisonMetrics records sampled shadows, comparison outcomes, dropped shadows, live checks and per-side durations. */
export interface ComparisonMetrics {
  /** init registers the per-route series at 0 for every configured route, so rates and ratios exist from the start. */
  init(routes: readonly string[], opts?: { dropReasons?: readonly string[] }): void;
  /** sampled counts one request sampled for a shadow comparison: figway_shadow_sampled_total. */
  sampled(route: string): void;
  /**
   * comparison counts one record: figway_comparisons_total and one figway_differences_total per finding. A live record
   * (Mode 2) only adds its findings: the check itself is counted by live().
   */
  comparison(rec: ComparisonRecord): void;
  /** dropped counts a sampled shadow that was not compared (overload, timeout, body too large…). */
  dropped(route: string, reason: string): void;
  /** incomplete counts a comparison that ran but could not check everything (e.g. discovery-ambiguous). */
  incomplete(route: string, reason: string): void;
  /** live counts one Mode 2 live check: figway_live_checks_total{result}. */
  live(route: string, result: LiveCheckResult): void;
  /** duration observes how long one side took to answer, in seconds. */
  duration(route: string, side: Side, seconds: number): void;
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** createComparisonMetrics registers (or reuses) the comparison metrics in `registry` and returns a recorder. */
export function createComparisonMetrics(registry: Registry): ComparisonMetrics {
  const sampled = counter(registry, 'figway_shadow_sampled_total', 'Requests sampled for a shadow comparison; each ends as one comparison or one drop.', ['route']);
  const comparisons = counter(registry, 'figway_comparisons_total', 'Comparisons of legacy and new answers, by result.', ['route', 'result']);
  const differences = counter(registry, 'figway_differences_total', 'Classified differences, by class and verdict.', ['route', 'class', 'verdict']);
  const dropped = counter(registry, 'figway_shadow_dropped_total', 'Shadow requests not compared, by reason.', ['route', 'reason']);
  const live = counter(registry, 'figway_live_checks_total', 'Mode 2 live checks of what the serving side wrote to Redis, by result.', ['route', 'result']);
  const incomplete = counter(registry, 'figway_comparisons_incomplete_total', 'Comparisons that ran but could not check everything, by reason.', ['route', 'reason']);
  const existing = registry.getSingleMetric('figway_shadow_duration_seconds');
  const duration = (existing as Histogram<string> | undefined) ?? new Histogram({
    name: 'figway_shadow_duration_seconds',
    help: 'Time each side took to answer a compared request.',
    labelNames: ['route', 'side'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    init(routes, opts = {}) {
      for (const route of routes) {
        sampled.inc({ route }, 0);
        for (const result of COMPARISON_RESULTS) comparisons.inc({ route, result }, 0);
        for (const result of LIVE_CHECK_RESULTS) live.inc({ route, result }, 0);
        for (const reason of opts.dropReasons ?? []) dropped.inc({ route, reason }, 0);
      }
    },
    sampled(route) {
      sampled.inc({ route });
    },
    comparison(rec) {
      if (rec.live !== true) comparisons.inc({ route: rec.route, result: rec.result });
      for (const f of rec.findings) differences.inc({ route: rec.route, class: f.class, verdict: f.verdict });
    },
    dropped(route, reason) {
      dropped.inc({ route, reason });
    },
    incomplete(route, reason) {
      incomplete.inc({ route, reason });
    },
    live(route, result) {
      live.inc({ route, result });
    },
    duration(route, side, seconds) {
      if (Number.isFinite(seconds) && seconds >= 0) duration.observe({ route, side }, seconds);
    },
  };
}
