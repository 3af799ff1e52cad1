/**
 * The Redis side-effect checker: wires the modes to the mirror. Each mode lives in its own module:
 * - dual.ts: both sides' shadows against identically seeded stores, exact under concurrency, with discovered writes;
 * - isolated.ts: the other side's shadow against a seeded store, compared with the primary's production writes;
 * - live.ts: Mode 2, the shape of live writes with no mirror;
 * - seeding.ts, write-capture.ts, discovery.ts, plan.ts: what they share.
 * figway itself only ever writes to shadow stores. Nothing here can hurt a client: every Redis failure becomes a
 * counted drop reason; clients reconnect on their own and comparisons resume.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RouteConfig } from '../config/schema.js';
import type { ExchangeContext, ExchangeObserver } from '../gateway.js';
import type { CompiledRoute, RuntimeSnapshot } from '../runtime.js';
import type { SideEffectChecker } from '../mirror/side-effects.js';
import { createCounterSampler } from '../mirror/sampler.js';
import { createComparisonMetrics, type ComparisonMetrics } from '../../shadow-report/index.js';
import type { DiffStore } from '../../shadow-report/types.js';
import { createRedisClientPool, type RedisClientPool } from './clients.js';
import { prepareDual } from './dual.js';
import { announceWrites, createWriteTracker, prepareIsolated } from './isolated.js';
import { LIVE_REQUEST_BODY_LIMIT, observeLive } from './live.js';
import { compilePlan, type RoutePlan } from './plan.js';
import { createShapeLearner, type ShapeLearner } from './shape.js';
import { createWriteCapture, type WriteCapture } from './write-capture.js';

/** RedisSideEffectsOptions wire the checker. */
export interface RedisSideEffectsOptions {
  logger: Logger;
  /** The gateway's registry (comparison metrics are registered or reused there) or a ready recorder. */
  metrics: Registry | ComparisonMetrics;
  /** Where Mode 2 records go (the mirror extension's store). */
  store: () => DiffStore | undefined;
  /** Clock in epoch ms ({month}, record times). */
  now?: () => number;
  /** Per-command deadline. Default DEFAULTS.redisCommandTimeoutMs. */
  commandTimeoutMs?: number;
}

/** RedisSideEffects is the checker plus the hooks figway's extension list and tests use. */
export interface RedisSideEffects extends SideEffectChecker {
  /** applied compiles the key templates and store URLs of a new snapshot (call it for every applied snapshot). */
  applied(snapshot: RuntimeSnapshot): void;
  observeLive(context: ExchangeContext): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined>;
  /** shapes is the Mode 2 learner (read-only use in tests and the report). */
  readonly shapes: ShapeLearner;
  /** idle resolves once every Mode 2 check started so far has finished. */
  idle(): Promise<void>;
}

function isComparisonMetrics(value: Registry | ComparisonMetrics): value is ComparisonMetrics {
  return typeof (value as ComparisonMetrics).dropped === 'function';
}

/** createRedisSideEffects builds the checker; it opens Redis connections lazily, one per store URL. */
export function createRedisSideEffects(options: RedisSideEffectsOptions): RedisSideEffects {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const metrics = isComparisonMetrics(options.metrics) ? options.metrics : createComparisonMetrics(options.metrics);
  const pool: RedisClientPool = createRedisClientPool({ logger, ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }) });
  const plans = new WeakMap<RouteConfig, RoutePlan>();
  const liveSamplers = new Map<string, { rate: number; sample: () => boolean }>();
  const shapes = createShapeLearner();
  const pending = new Set<Promise<void>>();
  const tracker = createWriteTracker();
  const captures = new Map<string, WriteCapture>();
  let productionUrls = new Set<string>();

  /** captureOf watches a shadow store figway owns; never a store that is also some side's production store. */
  function captureOf(url: string): WriteCapture | undefined {
    if (productionUrls.has(url)) return undefined;
    let capture = captures.get(url);
    if (capture === undefined) {
      capture = createWriteCapture({ url, publisher: () => pool.ready(url), logger });
      captures.set(url, capture);
    }
    return capture;
  }

  function track(work: Promise<void>): void {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  }

  const dualDeps = { pool, capture: captureOf, now, note: (route: string, what: string) => metrics.incomplete(route, what) };
  const isolatedDeps = { pool, tracker, now };
  const liveDeps = { pool, shapes, metrics, store: options.store, now, track };

  function planOf(route: CompiledRoute): RoutePlan | undefined {
    return plans.get(route.config);
  }

  function liveSampler(plan: RoutePlan): () => boolean {
    const existing = liveSamplers.get(plan.route);
    if (existing !== undefined && existing.rate === plan.liveSampleRate) return existing.sample;
    const sample = createCounterSampler(plan.liveSampleRate);
    liveSamplers.set(plan.route, { rate: plan.liveSampleRate, sample });
    return sample;
  }

  return {
    shapes,
    applied(snapshot) {
      const urls = new Set<string>();
      const production = new Set<string>();
      for (const upstream of Object.values(snapshot.config.upstreams)) if (upstream.redis !== undefined) production.add(upstream.redis.url);
      productionUrls = production;
      for (const route of snapshot.routes) {
        const plan = compilePlan(route.config, snapshot);
        if (plan === undefined) continue;
        plans.set(route.config, plan);
        for (const side of ['legacy', 'new'] as const) {
          for (const url of [plan.stores[side].production, plan.stores[side].shadow]) if (url !== undefined) urls.add(url);
        }
      }
      pool.retainOnly(urls);
      for (const url of urls) pool.warm(url);
      for (const [url, capture] of captures) {
        if (urls.has(url) && !production.has(url)) continue;
        captures.delete(url);
        void capture.close();
      }
    },
    applies(route) {
      const mode = route.config.mirror?.sideEffects;
      return route.config.redis !== undefined && (mode === 'isolated' || mode === 'dual') && planOf(route) !== undefined;
    },
    readsBody(route) {
      return planOf(route)?.readsBody === true;
    },
    async prepare(context, body) {
      const plan = planOf(context.route);
      if (plan === undefined) return 'redis-not-configured';
      return context.route.config.mirror?.sideEffects === 'dual'
        ? prepareDual(dualDeps, plan, context, body)
        : prepareIsolated(isolatedDeps, plan, context, body);
    },
    observeLive(context) {
      const plan = planOf(context.route);
      if (plan === undefined) return undefined;
      const mode = context.route.config.mirror?.sideEffects;
      // Isolated comparisons read production: every other request on their keys must announce itself.
      if (mode === 'isolated') return announceWrites(isolatedDeps, context, plan, LIVE_REQUEST_BODY_LIMIT);
      if (plan.liveSampleRate <= 0) return undefined;
      const url = plan.stores[context.selection.side].production;
      if (url === undefined) return undefined;
      if (!liveSampler(plan)()) return undefined;
      // Returned as a promise: the gateway awaits it (bounded by the snapshot budget) before forwarding.
      return observeLive(liveDeps, context, plan, url);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      await Promise.allSettled([...pending]);
      await Promise.allSettled([...captures.values()].map((capture) => capture.close()));
      captures.clear();
      await pool.close();
    },
  };
}
