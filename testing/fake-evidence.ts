/**
 * A hand-fed evidence source for ramp tests: cumulative counters a test raises interval by interval ("this interval
 * legacy served 750 requests, new 250 with 20 errors, 40 comparisons, 12 of them key-casing"), so a controller can be
 * walked through a whole ramp with exact numbers and an injected clock.
 */
import { emptyRouteCounters, type CounterSnapshot, type RouteCounters } from '../proxy/evidence/counters.js';
import type { EvidenceSource } from '../proxy/evidence/evidence.js';

/** LATENCY_BOUNDS are the histogram bounds the fake uses (seconds). */
export const LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** SideTraffic is one side's share of an interval. */
export interface SideTraffic {
  requests: number;
  errors?: number;
  /** Every request takes this long (ms). Default 8. */
  latencyMs?: number;
}

/** IntervalTraffic is one interval of one route. */
export interface IntervalTraffic {
  legacy?: SideTraffic;
  new?: SideTraffic;
  /** Shadows sampled; default compared + dropped. */
  sampled?: number;
  /** Conclusive comparisons. */
  compared?: number;
  /** Unexpected findings: class, path and in how many comparisons. */
  unexpected?: Array<{ class: string; path: string; count: number }>;
  dropped?: Record<string, number>;
  /** Paths judged noise from now on. */
  noise?: string[];
}

/** FakeEvidence is the source plus the means to feed it. */
export interface FakeEvidence extends EvidenceSource {
  serve(route: string, traffic: IntervalTraffic): void;
  counters(route: string): RouteCounters;
}

/** createFakeEvidence returns an empty source for one instance. */
export function createFakeEvidence(instance = 'test'): FakeEvidence {
  const snapshot: CounterSnapshot = {};
  const routeOf = (route: string): RouteCounters => {
    if (snapshot[route] === undefined) {
      const counters = emptyRouteCounters();
      for (const side of ['legacy', 'new'] as const) counters.sides[side].latency = { bounds: LATENCY_BOUNDS, counts: LATENCY_BOUNDS.map(() => 0).concat(0) };
      counters.detail = { unexpected: {}, noise: [] };
      snapshot[route] = counters;
    }
    return snapshot[route]!;
  };
  return {
    async read() {
      return new Map([[instance, structuredClone(snapshot)]]);
    },
    counters: routeOf,
    serve(route, traffic) {
      const counters = routeOf(route);
      for (const side of ['legacy', 'new'] as const) {
        const served = traffic[side];
        if (served === undefined) continue;
        const target = counters.sides[side];
        target.requests += served.requests;
        target.errors += served.errors ?? 0;
        const seconds = (served.latencyMs ?? 8) / 1000;
        target.latency.counts = target.latency.counts.map((count, index) => (index >= LATENCY_BOUNDS.length || seconds <= LATENCY_BOUNDS[index]! ? count + served.requests : count));
      }
      const compared = traffic.compared ?? 0;
      const unexpected = traffic.unexpected ?? [];
      const differ = Math.min(compared, unexpected.reduce((sum, finding) => Math.max(sum, finding.count), 0));
      counters.comparisons.differ = (counters.comparisons.differ ?? 0) + differ;
      counters.comparisons.match = (counters.comparisons.match ?? 0) + compared - differ;
      let dropped = 0;
      for (const [reason, count] of Object.entries(traffic.dropped ?? {})) {
        counters.droppedByReason[reason] = (counters.droppedByReason[reason] ?? 0) + count;
        dropped += count;
      }
      counters.sampled = (counters.sampled ?? 0) + (traffic.sampled ?? compared + dropped);
      for (const finding of unexpected) {
        counters.unexpectedByClass[finding.class] = (counters.unexpectedByClass[finding.class] ?? 0) + finding.count;
        const key = `|${finding.path}`;
        const existing = counters.detail!.unexpected[key];
        counters.detail!.unexpected[key] = { path: finding.path, count: (existing?.count ?? 0) + finding.count };
      }
      if (traffic.noise !== undefined) counters.detail!.noise = [...new Set([...counters.detail!.noise, ...traffic.noise])];
    },
  };
}
