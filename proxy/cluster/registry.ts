/**
 * ClusterRegistry is the primary's metrics registry: every scrape (GET /metrics, and the ramp's getMetricsAsJSON())
 * adds the workers' series to the primary's own with prom-client's cluster aggregator, so one listener reports the
 * whole data plane.
 */
import { AggregatorRegistry, Registry } from 'prom-client';

/** Series only the primary keeps right (configuration and control state): the workers' copies are left out. */
const PRIMARY_OWNED = /^figway_(route_weight|config_reloads|ramp_)/;

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** ClusterRegistry asks `workerMetrics` for each worker's getMetricsAsJSON() on every read. */
export class ClusterRegistry extends Registry {
  constructor(private readonly workerMetrics: () => Promise<MetricsJson[]>) {
    super();
  }

  private async merged(): Promise<Registry> {
    const own = await super.getMetricsAsJSON();
    const workers = (await this.workerMetrics()).map((metrics) => metrics.filter((metric) => !PRIMARY_OWNED.test(metric.name)));
    return AggregatorRegistry.aggregate([own, ...workers]);
  }

  override async getMetricsAsJSON(): Promise<MetricsJson> {
    return (await this.merged()).getMetricsAsJSON();
  }

  override async metrics(): Promise<string> {
    const merged = await this.merged();
    merged.setContentType(this.contentType);
    return merged.metrics();
  }
}
