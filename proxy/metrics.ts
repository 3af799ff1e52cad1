import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LightHistogram, type LightHistogramSeries } from './light-histogram.js';

/** GatewayMetrics are the data plane's Prometheus series, all under figway_. */
export interface GatewayMetrics {
  registry: Registry;
  /** observeRequest counts one finished request and its latency. */
  observeRequest(route: string, side: string, status: number, seconds: number): void;
  upstreamError(route: string, side: string, code: string): void;
  failover(route: string, from: string, to: string): void;
  rejected(code: string): void;
  setWeight(route: string, percent: number): void;
  configReload(file: string, result: 'applied' | 'rejected'): void;
  inFlight: Gauge;
}

const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** createGatewayMetrics registers the gateway's series (and process metrics) on a fresh registry. */
export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'figway_' });
  // The request path counts into plain numbers (requestSeries); a scrape moves them into the counter first.
  const requestSeries = new Map<string, { route: string; side: string; pending: number[]; duration: LightHistogramSeries }>();
  new Counter({
    name: 'figway_requests_total', help: 'Requests answered, by route, serving side and status class.', labelNames: ['route', 'side', 'status_class'], registers: [registry],
    collect() {
      for (const series of requestSeries.values()) {
        series.pending.forEach((count, i) => {
          if (count === 0) return;
          series.pending[i] = 0;
          this.labels(series.route, series.side, statusClasses[i]!).inc(count);
        });
      }
    },
  });
  const duration = new LightHistogram({
    name: 'figway_request_duration_seconds', help: 'Time from request to the end of the answer, by route and side.',
    labelNames: ['route', 'side'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const upstreamErrors = new Counter({ name: 'figway_upstream_errors_total', help: 'Upstream failures by route, side and error code.', labelNames: ['route', 'side', 'code'], registers: [registry] });
  const failovers = new Counter({ name: 'figway_failovers_total', help: 'Requests sent to the other side because the chosen one was unreachable.', labelNames: ['route', 'from', 'to'], registers: [registry] });
  const rejected = new Counter({ name: 'figway_rejected_requests_total', help: 'Requests figway answered itself, by error code.', labelNames: ['code'], registers: [registry] });
  const weight = new Gauge({ name: 'figway_route_weight_percent', help: 'Current share of the route sent to new, in percent.', labelNames: ['route'], registers: [registry] });
  const reloads = new Counter({ name: 'figway_config_reloads_total', help: 'Configuration and weight file reloads by file and result.', labelNames: ['file', 'result'], registers: [registry] });
  const inFlight = new Gauge({ name: 'figway_requests_in_flight', help: 'Requests being served now.', registers: [registry] });

  return {
    registry,
    inFlight,
    observeRequest(route, side, status, seconds) {
      const key = `${route}\u0000${side}`;
      let series = requestSeries.get(key);
      if (series === undefined) {
        series = { route, side, pending: statusClasses.map(() => 0), duration: duration.labels(route, side) };
        requestSeries.set(key, series);
      }
      series.pending[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))]!++;
      series.duration.observe(seconds);
    },
    upstreamError: (route, side, code) => upstreamErrors.labels(route, side, code).inc(),
    failover: (route, from, to) => failovers.labels(route, from, to).inc(),
    rejected: (code) => rejected.labels(code).inc(),
    setWeight: (route, percent) => weight.labels(route).set(percent),
    configReload: (file, result) => reloads.labels(file, result).inc(),
  };
}
