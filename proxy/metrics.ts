import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LightHistogram, type LightHistogramSeries } from './light-histogram.js';
import { PROXY_ERRORS } from './errors.js';

/**
 * GatewayMetrics are the data plane's Prometheus series under figway_, following Prometheus' conventions (checked by
 * `promtool check metrics` in the tests): ratios not percents, counters end in _total and nothing else does, the
 * standard process_* and nodejs_* series keep their standard names, and every route's error, failover and 5xx
 * series exist at 0 from the start so rate() and alerts see 0 instead of nothing.
 */
export interface GatewayMetrics {
  registry: Registry;
  /** routes creates every series of these routes at 0 (called for each applied configuration). */
  routes(names: readonly string[]): void;
  /** requestStarted counts a request routed to `route` as in flight until observeRequest. */
  requestStarted(route: string): void;
  /** observeRequest counts one finished request and its latency (and ends it being in flight). */
  observeRequest(route: string, side: string, status: number, seconds: number): void;
  upstreamError(route: string, side: string, code: string): void;
  /** truncated counts an answer cut mid-body because the upstream failed after its headers. */
  truncated(route: string, side: string): void;
  failover(route: string, from: string, to: string): void;
  rejected(code: string): void;
  setWeight(route: string, percent: number): void;
  configReload(file: string, result: 'applied' | 'rejected'): void;
}

const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx'];
const SIDES = ['legacy', 'new'] as const;
/** Upstream error codes whose series exist from the start (others appear when they first happen). */
const KNOWN_UPSTREAM_ERRORS = ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET'];
/** prom-client's three gauges named *_total (promtool: non-counters must not end in _total); nodejs_active_*{type} carry the same. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** createGatewayMetrics registers the gateway's series (and process metrics) on a fresh registry. */
export function createGatewayMetrics(registry = new Registry()): GatewayMetrics {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  // The request path counts into plain numbers (requestSeries); a scrape moves them into the counter first.
  const requestSeries = new Map<string, { route: string; side: string; pending: number[]; duration: LightHistogramSeries }>();
  const inFlightByRoute = new Map<string, number>();
  const requests = new Counter({
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
  const truncated = new Counter({ name: 'figway_responses_truncated_total', help: 'Answers cut mid-body because the upstream failed after sending its headers (the client saw the status, then a reset); errors for the ramp.', labelNames: ['route', 'side'], registers: [registry] });
  const weight = new Gauge({ name: 'figway_route_weight_ratio', help: 'Current share of the route sent to new, 0 to 1.', labelNames: ['route'], registers: [registry] });
  const reloads = new Counter({ name: 'figway_config_reloads_total', help: 'Configuration and weight file reloads by file and result.', labelNames: ['file', 'result'], registers: [registry] });
  new Gauge({
    name: 'figway_requests_in_flight', help: 'Requests being served now, by route.', labelNames: ['route'], registers: [registry],
    collect() {
      for (const [route, count] of inFlightByRoute) this.labels(route).set(count);
    },
  });
  for (const code of Object.keys(PROXY_ERRORS)) rejected.labels(code).inc(0);

  const seriesOf = (route: string, side: string): { pending: number[]; duration: LightHistogramSeries } => {
    const key = `${route}\u0000${side}`;
    let series = requestSeries.get(key);
    if (series === undefined) {
      series = { route, side, pending: statusClasses.map(() => 0), duration: duration.labels(route, side) };
      requestSeries.set(key, series);
      for (const statusClass of statusClasses) requests.labels(route, side, statusClass).inc(0);
    }
    return series;
  };

  return {
    registry,
    routes(names) {
      for (const route of names) {
        if (!inFlightByRoute.has(route)) inFlightByRoute.set(route, 0);
        for (const side of SIDES) {
          seriesOf(route, side);
          truncated.labels(route, side).inc(0);
          for (const code of KNOWN_UPSTREAM_ERRORS) upstreamErrors.labels(route, side, code).inc(0);
        }
        failovers.labels(route, 'legacy', 'new').inc(0);
        failovers.labels(route, 'new', 'legacy').inc(0);
      }
    },
    requestStarted(route) {
      inFlightByRoute.set(route, (inFlightByRoute.get(route) ?? 0) + 1);
    },
    observeRequest(route, side, status, seconds) {
      const series = seriesOf(route, side);
      series.pending[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))]!++;
      series.duration.observe(seconds);
      const inFlight = inFlightByRoute.get(route);
      if (inFlight !== undefined && inFlight > 0) inFlightByRoute.set(route, inFlight - 1);
    },
    upstreamError: (route, side, code) => upstreamErrors.labels(route, side, code).inc(),
    truncated: (route, side) => truncated.labels(route, side).inc(),
    failover: (route, from, to) => failovers.labels(route, from, to).inc(),
    rejected: (code) => rejected.labels(code).inc(),
    setWeight: (route, percent) => weight.labels(route).set(percent / 100),
    configReload: (file, result) => reloads.labels(file, result).inc(),
  };
}
