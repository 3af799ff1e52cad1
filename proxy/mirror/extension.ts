/**
 * The mirror extension: for sampled requests on routes with `mirror`, it captures the primary exchange, sends a copy
 * to the other side (or its shadow deployment) after the client has its answer, compares the two answers (and,
 * through a SideEffectChecker, what each side wrote to Redis) and records the evidence. Nothing here can touch the
 * client's answer: the shadow starts after the primary response has ended, and every failure becomes a counted record.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ExchangeContext, ExchangeObserver, GatewayPlugin } from '../gateway.js';
import type { CompiledRoute, RuntimeSnapshot, UpstreamTarget } from '../runtime.js';
import type { FigwayExtension } from '../main.js';
import type { GatewayMetrics } from '../metrics.js';
import type { DiffStoreConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import { createCounterSampler } from './sampler.js';
import { sendShadow, type ShadowResult } from './shadow-request.js';
import { ResponseCapture } from './response-capture.js';
import {
  createComparator, createComparisonMetrics, createMemoryDiffStore, createNoiseLearner, createRedactor, createRedisDiffStore,
  type Comparator, type ComparisonMetrics, type DiffStore, type NoiseLearner, type Redactor,
} from '../../shadow-report/index.js';
import type { CapturedRequest, CapturedResponse, Finding, Side } from '../../shadow-report/types.js';

/** SideEffectRequest is the mirrored request as key templates over the request body (`{body.token}`) need it. */
export interface SideEffectRequest {
  method: string;
  path: string;
  body: Buffer;
}

/** SideEffectHandle compares what the two sides wrote for one mirrored request. */
export interface SideEffectHandle {
  /**
   * compare reads the declared keys after both answers; findings are legacy-vs-new. null means concurrent traffic
   * changed what the shadow was seeded with: the whole comparison is dropped (the checker counts why).
   */
  compare(primary: { side: Side; response: CapturedResponse }, shadow: { side: Side; response: CapturedResponse }, request?: SideEffectRequest): Promise<Finding[] | null>;
  /** beforeShadow runs after the primary answered, right before the shadow request (reads the primary's writes, seeds the shadow store); false: do not send it. */
  beforeShadow?(request: SideEffectRequest, primary: { side: Side; response: CapturedResponse }): Promise<boolean>;
  /** release frees what prepare took (connections, locks) when no comparison happens. */
  release(): void;
}

/** SideEffectChecker prepares a mirrored request's stores before it is forwarded (seeding the shadow store). */
export interface SideEffectChecker {
  /** applies tells whether a route declares side effects worth preparing for. */
  applies(route: CompiledRoute): boolean;
  /** prepare is awaited before the primary is forwarded; it must bound its own time and resolve undefined to skip. */
  prepare(context: ExchangeContext, shadowTarget: 'shadow-deployment' | 'other-side'): Promise<SideEffectHandle | undefined>;
  /** observeLive lets Mode 2 (no mirror) look at live exchanges; returns an observer or undefined. */
  observeLive?(context: ExchangeContext): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined>;
  close(): Promise<void>;
}

/** MirrorExtensionOptions inject the clock-free parts tests want to control. */
export interface MirrorExtensionOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  /** HMAC key for redaction placeholders; default FIGWAY_REDACTION_KEY or a random per-process key. */
  redactionKey?: Buffer;
  sideEffects?: SideEffectChecker;
}

interface RouteState {
  sample: () => boolean;
  inFlight: number;
  comparator: Comparator;
  secondaryLegacy: Pool | undefined;
  mirrorSignature: string;
}

function flatToRecord(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const existing = out[name];
    out[name] = existing === undefined ? flat[i + 1]! : Array.isArray(existing) ? [...existing, flat[i + 1]!] : [existing, flat[i + 1]!];
  }
  return out;
}

function createStore(config: DiffStoreConfig, logger: Logger): DiffStore {
  if (config.kind === 'redis' && config.redis !== undefined) {
    const store = createRedisDiffStore({ url: config.redis.url, streamMaxLen: config.streamMaxLen, samplesPerClass: config.samplesPerClass });
    void store.ready().then((ready) => { if (!ready) logger.warn('diff store Redis not reachable yet; records are counted as write errors until it is'); });
    return store;
  }
  return createMemoryDiffStore({ samplesPerClass: config.samplesPerClass });
}

/** createMirrorExtension builds the extension; its store is created from the first applied configuration. */
export function createMirrorExtension(options: MirrorExtensionOptions): FigwayExtension & { store(): DiffStore | undefined; learner: NoiseLearner } {
  const { logger } = options;
  const comparisonMetrics: ComparisonMetrics = createComparisonMetrics(options.metrics.registry);
  const key = options.redactionKey ?? (process.env.FIGWAY_REDACTION_KEY ? Buffer.from(process.env.FIGWAY_REDACTION_KEY) : randomBytes(32));
  const learner = createNoiseLearner({ minSamples: DEFAULTS.noiseMinSamples, minDifferRatio: DEFAULTS.noiseMinDifferRatio });
  const redactors = new Map<string, Redactor>();
  const routes = new Map<string, RouteState>();
  let store: DiffStore | undefined;
  let storeSignature = '';
  const sideEffects = options.sideEffects;

  function redactorFor(fields: readonly string[]): Redactor {
    const signature = fields.join('\u0000');
    let redactor = redactors.get(signature);
    if (redactor === undefined) {
      redactor = createRedactor({ key, fields });
      redactors.set(signature, redactor);
    }
    return redactor;
  }

  function applied(snapshot: RuntimeSnapshot): void {
    const signature = JSON.stringify(snapshot.config.diffStore);
    if (store === undefined || signature !== storeSignature) {
      const previous = store;
      store = createStore(snapshot.config.diffStore, logger);
      storeSignature = signature;
      void previous?.close();
    }
    const seen = new Set<string>();
    for (const route of snapshot.routes) {
      const mirror = route.config.mirror;
      if (mirror === undefined) continue;
      seen.add(route.name);
      const compare = route.config.compare;
      const mirrorSignature = JSON.stringify([mirror, compare]);
      const existing = routes.get(route.name);
      if (existing !== undefined && existing.mirrorSignature === mirrorSignature) continue;
      void existing?.secondaryLegacy?.close();
      routes.set(route.name, {
        sample: createCounterSampler(mirror.sampleRate),
        inFlight: existing?.inFlight ?? 0,
        comparator: createComparator({ compare, redactor: redactorFor(compare.redact), learner, store: store!, metrics: comparisonMetrics }),
        secondaryLegacy: compare.secondaryLegacy === undefined ? undefined : new Pool(new URL(compare.secondaryLegacy).origin, { connections: 16 }),
        mirrorSignature,
      });
    }
    for (const name of [...routes.keys()]) {
      if (!seen.has(name)) {
        void routes.get(name)!.secondaryLegacy?.close();
        routes.delete(name);
      }
    }
  }

  const plugin: GatewayPlugin = {
    observe(context) {
      const route = context.route;
      const mirror = route.config.mirror;
      const state = routes.get(route.name);
      if (mirror === undefined || state === undefined) return sideEffects?.observeLive?.(context);
      // A request that is not mirrored may still be a live (Mode 2) Redis check.
      if (!mirror.methods.includes(context.method)) return sideEffects?.observeLive?.(context);
      const contentLength = Number(context.req.headers['content-length'] ?? 0);
      if (contentLength > mirror.maxBodyBytes) {
        comparisonMetrics.dropped(route.name, 'body-too-large');
        return sideEffects?.observeLive?.(context);
      }
      if (!state.sample()) return sideEffects?.observeLive?.(context);
      if (state.inFlight >= mirror.maxInFlight) {
        comparisonMetrics.dropped(route.name, 'in-flight-cap');
        // Not mirrored, but it still writes: the Redis checker must know, or overlapping comparisons would be falsified.
        return sideEffects?.observeLive?.(context);
      }
      state.inFlight++;
      const isolated = mirror.sideEffects === 'isolated';
      if (sideEffects !== undefined && sideEffects.applies(route)) {
        // An isolated shadow answers from its own store: unless that store was seeded for this request, its answer
        // would differ for reasons that are not regressions, so an unprepared request is not mirrored at all.
        // prepare() counts its own skip reasons (snapshot timeout, store down); only a rejection is counted here.
        const unprepared = (reason?: string): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined> => {
          if (!isolated) return createObserver(context, state, undefined);
          state.inFlight--;
          if (reason !== undefined) comparisonMetrics.dropped(route.name, reason);
          return sideEffects.observeLive?.(context);
        };
        return sideEffects.prepare(context, isolated ? 'shadow-deployment' : 'other-side').then(
          (handle) => (handle === undefined ? unprepared() : createObserver(context, state, handle)),
          (error: unknown) => {
            logger.warn({ err: error, route: route.name }, 'side-effect preparation failed');
            return unprepared('shadow-store-not-seeded');
          },
        );
      }
      return createObserver(context, state, undefined);
    },
  };

  function createObserver(context: ExchangeContext, state: RouteState, handle: SideEffectHandle | undefined): ExchangeObserver {
    const route = context.route;
    const mirror = route.config.mirror!;
    const compareLimit = route.config.compare.maxBodyBytes;
    let requestBody: Buffer | undefined | null = null; // null: not yet known
    const capture = new ResponseCapture(compareLimit, context.selection.side);
    let released = false;
    const release = (reason: string | undefined): void => {
      if (released) return;
      released = true;
      state.inFlight--;
      if (reason !== undefined) {
        comparisonMetrics.dropped(route.name, reason);
        handle?.release();
      }
    };
    return {
      requestBodyLimit: mirror.maxBodyBytes,
      onRequestBody(body) {
        requestBody = body;
      },
      onResponseStart: (statusCode, rawHeaders, side) => capture.start(statusCode, rawHeaders, side),
      onResponseData: (chunk) => capture.data(chunk),
      onResponseEnd() {
        if (requestBody === null || requestBody === undefined) {
          release(requestBody === undefined ? 'body-too-large' : 'body-incomplete');
          return;
        }
        void runShadow(context, state, requestBody, capture.side, capture.response(), handle).finally(() => release(undefined));
      },
      onAbort(reason) {
        release(reason === 'client-closed' ? 'client-closed' : 'primary-failed');
      },
    };
  }

  async function runShadow(
    context: ExchangeContext, state: RouteState, body: Buffer, servedBy: Side, primary: CapturedResponse, handle: SideEffectHandle | undefined,
  ): Promise<void> {
    const route = context.route;
    const mirror = route.config.mirror!;
    const shadowSide: Side = servedBy === 'new' ? 'legacy' : 'new';
    const target: UpstreamTarget | undefined = mirror.sideEffects === 'isolated' ? route.shadowTargets[shadowSide] : route.targets[shadowSide];
    if (target === undefined) {
      comparisonMetrics.dropped(route.name, 'no-shadow-target');
      handle?.release();
      return;
    }
    const request: CapturedRequest = { method: context.method, path: context.target, headers: flatToRecord(context.headers), body };
    const shadowHeaders = [...context.headers, DEFAULTS.shadowHeader, '1'];
    if (handle?.beforeShadow !== undefined && servedBy === context.selection.side) {
      let prepared = false;
      try {
        prepared = await handle.beforeShadow({ method: context.method, path: context.target, body }, { side: servedBy, response: primary });
      } catch (error) {
        logger.warn({ err: error, route: route.name }, 'shadow store preparation failed');
      }
      if (!prepared && mirror.sideEffects === 'isolated') {
        // Its store was not seeded for this request (or another comparison owns its keys): a shadow sent now would
        // write into that comparison's state and answer from the wrong one. The checker counted why.
        handle.release();
        return;
      }
    }
    const result: ShadowResult = await sendShadow({
      target, method: context.method, path: context.target, headers: shadowHeaders, body,
      timeoutMs: mirror.timeoutMs, maxBodyBytes: route.config.compare.maxBodyBytes,
    });
    let extraFindings: Finding[] | undefined;
    if (handle !== undefined) {
      if ('response' in result && servedBy === context.selection.side) {
        try {
          const found = await handle.compare({ side: servedBy, response: primary }, { side: shadowSide, response: result.response }, { method: context.method, path: context.target, body });
          if (found === null) return;
          extraFindings = found;
        } catch (error) {
          logger.warn({ err: error, route: route.name }, 'Redis comparison failed');
        }
      } else {
        handle.release();
      }
    }
    await state.comparator.compare({
      route: route.name,
      request,
      primary: { side: servedBy, response: primary },
      shadow: 'response' in result
        ? { side: shadowSide, response: result.response, durationSeconds: result.durationSeconds }
        : { side: shadowSide, error: result.error, durationSeconds: result.durationSeconds },
      ...(extraFindings === undefined ? {} : { extraFindings }),
    });
    if (state.secondaryLegacy !== undefined && (context.method === 'GET' || context.method === 'HEAD')) {
      await measureLegacyNoise(context, state.secondaryLegacy, servedBy === 'legacy' ? primary : 'response' in result ? result.response : undefined);
    }
  }

  /** Diffy's method: ask a second legacy instance the same idempotent question; what differs between the two is noise. */
  async function measureLegacyNoise(context: ExchangeContext, pool: Pool, legacyAnswer: CapturedResponse | undefined): Promise<void> {
    if (legacyAnswer === undefined) return;
    const route = context.route;
    const secondary: UpstreamTarget = { name: 'secondary-legacy', origin: '', basePath: new URL(route.config.compare.secondaryLegacy!).pathname.replace(/\/$/, ''), pool: pool as unknown as UpstreamTarget['pool'] };
    const result = await sendShadow({
      target: secondary, method: context.method, path: context.target, headers: [...context.headers, DEFAULTS.shadowHeader, '1'], body: Buffer.alloc(0),
      timeoutMs: route.config.mirror!.timeoutMs, maxBodyBytes: route.config.compare.maxBodyBytes,
    });
    if ('response' in result) learner.observeLegacyPair(route.name, legacyAnswer, result.response, route.config.compare);
  }

  const admin = (app: FastifyInstance): void => {
    app.get('/api/diffs', async () => ({ routes: store === undefined ? [] : await store.summaries() }));
    app.get<{ Params: { route: string }; Querystring: { class?: string; limit?: string } }>('/api/diffs/:route/samples', async (request) => {
      const limit = Math.min(200, Math.max(1, Number(request.query.limit ?? 20) || 20));
      const samples = store === undefined ? [] : await store.samples(request.params.route, {
        ...(request.query.class === undefined ? {} : { class: request.query.class }), limit,
      });
      return { route: request.params.route, samples };
    });
    app.get<{ Params: { route: string } }>('/api/diffs/:route/noise', async (request) => ({ route: request.params.route, learned: learner.learned(request.params.route) }));
  };

  return {
    plugin,
    admin,
    applied,
    learner,
    store: () => store,
    async close() {
      for (const state of routes.values()) await state.secondaryLegacy?.close();
      await sideEffects?.close();
      await store?.close();
    },
  };
}
