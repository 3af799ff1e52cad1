/**
 * The ramp extension: the evidence layer (timeline for every route) and the ramp controller, started once the
 * configuration is loaded, plus their admin routes. It runs where the admin listener runs (the primary, with workers).
 */
import type { FigwayExtension, ExtensionContext } from '../main.js';
import { createEvidence, createRegistrySource, type Evidence, type EvidenceSource, type MetricsReader } from '../evidence/evidence.js';
import type { CounterSnapshot, DiffSummaryLike } from '../evidence/counters.js';
import { createRampController, type RampController } from './controller.js';
import { createRampMetrics } from './metrics.js';
import { createFileRampStore, type RampStore } from './store.js';
import { createWebhookSender } from './webhooks.js';
import { queryPromql } from './promql.js';
import { registerRampAdmin } from './admin.js';
import { defaultInstanceName } from '../instance.js';

/** RampExtensionOptions: where evidence comes from, and what tests inject. */
export interface RampExtensionOptions {
  /** The diff store's summaries (where unexpected differences were). */
  diffSummaries?: () => Promise<readonly DiffSummaryLike[]> | undefined;
  /** Counters to read instead of this process's registry (perf's cluster aggregate). */
  metrics?: MetricsReader;
  /** Replace the evidence source entirely (tests; the shared Redis source). */
  source?: (local: EvidenceSource & { local(): Promise<CounterSnapshot> }) => EvidenceSource;
  /** Replace the file store (the shared Redis store). */
  store?: (fileStore: RampStore) => RampStore;
  /** false: never tick on a timer (tests call controller().tick()). Default true. */
  loop?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Backoff base of webhook retries. Default 500 ms. */
  webhookBackoffMs?: number;
}

/** RampExtension exposes the running controller and evidence (undefined before start). */
export interface RampExtension extends FigwayExtension {
  controller(): RampController | undefined;
  evidence(): Evidence | undefined;
}

/** createRampExtension returns the extension; the controller starts with figway. */
export function createRampExtension(context: ExtensionContext, options: RampExtensionOptions = {}): RampExtension {
  let controller: RampController | undefined;
  let evidence: Evidence | undefined;
  let lastErrorLogAt = 0;
  const env = options.env ?? process.env;
  return {
    controller: () => controller,
    evidence: () => evidence,
    start() {
      const manager = context.manager();
      const config = manager.config;
      const local = createRegistrySource({
        instance: config.coordination?.instance ?? defaultInstanceName(),
        metrics: options.metrics ?? context.metrics.registry,
        ...(options.diffSummaries === undefined ? {} : { diffSummaries: options.diffSummaries }),
      });
      evidence = createEvidence({
        source: options.source?.(local) ?? local,
        now: context.now,
        intervalMs: config.evidence.intervalMs,
        timelineMs: config.evidence.timelineMs,
        weightOf: (route) => manager.snapshot().weights.get(route) ?? 0,
        onError: (error) => {
          // Once a minute at most: a Redis outage would otherwise log every interval.
          const at = Date.now();
          if (at - lastErrorLogAt < 60_000) return;
          lastErrorLogAt = at;
          context.logger.warn({ err: { message: (error as Error).message } }, 'evidence could not be read; the ramps wait for it');
        },
      });
      const fileStore = createFileRampStore(manager);
      controller = createRampController({
        config: () => manager.config,
        store: options.store?.(fileStore) ?? fileStore,
        evidence,
        audit: context.audit,
        events: context.events,
        metrics: createRampMetrics(context.metrics.registry),
        logger: context.logger,
        now: context.now,
        webhooks: createWebhookSender({ logger: context.logger, env, ...(options.webhookBackoffMs === undefined ? {} : { backoffMs: options.webhookBackoffMs }) }),
        promql: (gate, route) => queryPromql(manager.config.prometheus!, gate, route, env),
      });
      if (options.loop !== false) controller.start();
    },
    admin(app) {
      registerRampAdmin(app, { controller: () => controller, evidence: () => evidence, manager: context.manager });
    },
    async close() {
      await controller?.close();
    },
  };
}
