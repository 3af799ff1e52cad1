/**
 * defaultExtensions lists the features `figway start` plugs into the gateway: mirroring with response comparison
 * (proxy/mirror), the Redis side-effect comparison (proxy/redis) it delegates to, the ramp (evidence timeline and
 * controller, proxy/ramp) that reads what they found, and the dashboard (shadow-report/dashboard) that shows and
 * drives them — so the data plane itself stays free of them.
 */
import type { FigwayExtension, StartOptions } from './main.js';
import { createControlExtensions } from './control-extensions.js';
import type { Logger } from 'pino';
import type { GatewayMetrics } from './metrics.js';
import type { DiffStoreConfig } from './config/schema.js';
import { createMirrorExtension, type MirrorExtensionOptions } from './mirror/extension.js';
import { createRedisSideEffects, type RedisSideEffects, type RedisSideEffectsOptions } from './redis/checker.js';
import { createDashboardExtension } from '../shadow-report/dashboard/server.js';
import cluster from 'node:cluster';
import { createForwardingStore } from './cluster/evidence-store.js';
import { setEvidenceSink } from './cluster/evidence-sink.js';

/** ComparisonExtensions are the mirror and the Redis checker, wired to each other. */
export interface ComparisonExtensions {
  extensions: FigwayExtension[];
  mirror: ReturnType<typeof createMirrorExtension>;
  redis: RedisSideEffects;
}

/** createComparisonExtensions builds the mirror with the Redis checker as its side-effect checker (tests pass options). */
export function createComparisonExtensions(
  context: { logger: Logger; metrics: GatewayMetrics },
  options: { mirror?: Partial<MirrorExtensionOptions>; redis?: Partial<RedisSideEffectsOptions> } = {},
): ComparisonExtensions {
  // The checker records Mode 2 findings into the mirror's diff store, which exists once a snapshot is applied.
  let mirror: ReturnType<typeof createMirrorExtension> | undefined;
  const redis = createRedisSideEffects({
    logger: context.logger, metrics: context.metrics.registry, store: () => mirror?.store(), ...options.redis,
  });
  // A cluster worker's evidence goes to the primary's memory store (a Redis store is shared as it is).
  const forward = cluster.isWorker ? { createStore: (config: DiffStoreConfig) => (config.kind === 'redis' ? undefined : createForwardingStore(config.samplesPerClass)) } : {};
  mirror = createMirrorExtension({ logger: context.logger, metrics: context.metrics, sideEffects: redis, ...forward, ...options.mirror });
  const created = mirror;
  if (cluster.isPrimary) setEvidenceSink(() => created.store());
  // The checker compiles key templates and store URLs per snapshot; it must see a snapshot before the mirror uses it.
  const redisExtension: FigwayExtension = { applied: (snapshot) => redis.applied(snapshot) };
  return { extensions: [redisExtension, mirror], mirror, redis };
}

/**
 * defaultExtensions returns the extensions of a production figway, all loaded at once: coordination and the ramp
 * first, then the comparison stack, and the dashboard last (it serves what the others lack and shows the ramp's
 * evidence). `figway start` loads the comparison stack on demand instead (lazy-extensions.ts).
 */
export const defaultExtensions: NonNullable<StartOptions['extensions']> = async (context): Promise<FigwayExtension[]> => {
  const comparison = createComparisonExtensions(context);
  const control = createControlExtensions(context, () => comparison.mirror.store()?.summaries());
  return [...control.extensions, ...comparison.extensions, createDashboardExtension({ ...context, timeline: () => control.ramp.evidence() })];
};
