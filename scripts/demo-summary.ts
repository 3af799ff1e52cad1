/**
 * The demo's live summary: instead of log lines (they go to files), the terminal gets one short line per route every
 * few seconds, when something changed — requests per side, server errors, comparisons and unexpected differences by
 * class — read from figway's own metrics registry.
 */
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

/** RouteFigures are one route's running totals. */
export interface RouteFigures {
  weightPercent: number | undefined;
  requests: { legacy: number; new: number };
  serverErrors: number;
  sampled: number;
  compared: number;
  unexpectedByClass: Map<string, number>;
}

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

/** routeFigures folds figway's metrics into per-route totals. */
export function routeFigures(metrics: Metrics): Map<string, RouteFigures> {
  const routes = new Map<string, RouteFigures>();
  const of = (route: string): RouteFigures => {
    let figures = routes.get(route);
    if (figures === undefined) {
      figures = { weightPercent: undefined, requests: { legacy: 0, new: 0 }, serverErrors: 0, sampled: 0, compared: 0, unexpectedByClass: new Map() };
      routes.set(route, figures);
    }
    return figures;
  };
  for (const metric of metrics) {
    for (const { labels, value } of metric.values) {
      const route = labels.route;
      if (typeof route !== 'string') continue;
      const figures = of(route);
      switch (metric.name) {
        case 'figway_requests_total':
          if (labels.side === 'legacy' || labels.side === 'new') figures.requests[labels.side] += value;
          if (labels.status_class === '5xx') figures.serverErrors += value;
          break;
        case 'figway_route_weight_ratio':
          figures.weightPercent = Math.round(value * 10_000) / 100;
          break;
        case 'figway_shadow_sampled_total':
          figures.sampled += value;
          break;
        case 'figway_comparisons_total':
          figures.compared += value;
          break;
        case 'figway_differences_total':
          if (labels.verdict === 'unexpected' && value > 0) {
            const name = String(labels.class);
            figures.unexpectedByClass.set(name, (figures.unexpectedByClass.get(name) ?? 0) + value);
          }
          break;
        default:
      }
    }
  }
  return routes;
}

/** summaryLines renders one line per route that has seen traffic. */
export function summaryLines(routes: ReadonlyMap<string, RouteFigures>, at: Date): string[] {
  const time = at.toISOString().slice(11, 19);
  const lines: string[] = [];
  for (const [route, figures] of routes) {
    const total = figures.requests.legacy + figures.requests.new;
    if (total === 0 && figures.sampled === 0) continue;
    const unexpected = [...figures.unexpectedByClass.values()].reduce((sum, count) => sum + count, 0);
    const ranked = [...figures.unexpectedByClass].sort((a, b) => b[1] - a[1]);
    const classes = ranked.slice(0, 3).map(([name, count]) => `${name} ×${count}`).join(', ') + (ranked.length > 3 ? ', …' : '');
    lines.push(`[${time}] ${route.padEnd(12)} ${figures.weightPercent === undefined ? '' : `at ${figures.weightPercent}% · `}`
      + `${total} requests (legacy ${figures.requests.legacy}, new ${figures.requests.new}, 5xx ${figures.serverErrors}) · `
      + `compared ${figures.compared} of ${figures.sampled} sampled · unexpected ${unexpected}${classes === '' ? '' : ` (${classes})`}`);
  }
  return lines;
}

/** startLiveSummary prints the summary every `intervalMs` when it changed, until stopped. */
export function startLiveSummary(registry: Registry, out: { write(text: string): unknown }, intervalMs = 5_000): { stop(): void } {
  let last = '';
  const timer = setInterval(() => {
    void registry.getMetricsAsJSON().then((metrics) => {
      const lines = summaryLines(routeFigures(metrics as Metrics), new Date());
      const key = lines.map((line) => line.slice(11)).join('\n');
      if (key === last || lines.length === 0) return;
      last = key;
      out.write(`${lines.join('\n')}\n`);
    }, () => undefined);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
