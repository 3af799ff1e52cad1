/** Comparison metrics, all under the `figway_` namespace. Label values are bounded: routes come from config, classes and verdicts are enums. */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ComparisonRecord, Side } from './types.js';

/** ComparisonMetrics records comparison outcomes, dropped shadows and per-side durations. */
export interface ComparisonMetrics {
  /** comparison counts one record: figway_comparisons_total and one figway_differences_total per finding. */
  comparison(rec: ComparisonRecord): void;
  /** sampled counts a request chosen for mirroring: it ends as exactly one comparison or one drop. */
  sampled(route: string): void;
  /** dropped counts a sampled shadow that was not compared (overload, timeout, body too large…). */
  dropped(route: string, reason: string): void;
  /** incomplete counts a comparison that ran but could not check everything (e.g. discovery-ambiguous). */
  incomplete(route: string, reason: string): void;
  /** live counts one Mode 2 check of live writes: its result (match, differ, …) or why it could not run. */
  live(route: string, result: string): void;
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
  const comparisons = counter(registry, 'figway_comparisons_total', 'Comparisons of legacy and new answers, by result.', ['route', 'result']);
  const differences = counter(registry, 'figway_differences_total', 'Classified differences, by class and verdict.', ['route', 'class', 'verdict']);
  const dropped = counter(registry, 'figway_shadow_dropped_total', 'Shadow requests not compared, by reason.', ['route', 'reason']);
  const sampled = counter(registry, 'figway_shadow_sampled_total', 'Requests sampled for mirroring; each ends as one comparison or one drop.', ['route']);
  const live = counter(registry, 'figway_live_checks_total', 'Mode 2 checks of live Redis writes, by result.', ['route', 'result']);
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
    comparison(rec) {
      comparisons.inc({ route: rec.route, result: rec.result });
      for (const f of rec.findings) differences.inc({ route: rec.route, class: f.class, verdict: f.verdict });
    },
    sampled(route) {
      sampled.inc({ route });
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
