/**
 * The mirror extension: for sampled requests on routes with `mirror`, it captures the primary exchange and, once the
 * client has its answer, hands a shadow job to the route's lane (lane.ts): a copy goes to the other side (or its
 * shadow deployment, or — dual — to both sides' shadow deployments), the answers are compared (and, through a
 * SideEffectChecker, what the sides wrote to Redis) and the evidence is recorded. Nothing here can touch the client's
 * answer: shadows start after the primary response has ended.
 *
 * Accounting: every sampled request ends exactly once, as a comparison (figway_comparisons_total, whatever its
 * result) or as a drop with its reason (figway_shadow_dropped_total), so coverage = comparisons ÷ sampled.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { Gauge, type Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { registerDiffApi } from '../../shadow-report/api.js';
import type { Logger } from 'pino';
import type { ExchangeContext, ExchangeObserver, GatewayPlugin } from '../gateway.js';
import type { RuntimeSnapshot, UpstreamTarget } from '../runtime.js';
import type { FigwayExtension } from '../main.js';
import type { GatewayMetrics } from '../metrics.js';
import type { DiffStoreConfig, MirrorConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/schema.js';
import { createCounterSampler } from './sampler.js';
import { createLane, createResourceTable, type Lane, type LaneStats } from './lane.js';
import type { RedisSampleEntry, SideEffectAnswers, SideEffectChecker, SideEffectPreparation } from './side-effects.js';
import { sendShadow, type ShadowResult } from './shadow-request.js';
import { ResponseCapture } from './response-capture.js';
import {
  createComparator, createComparisonMetrics, createMemoryDiffStore, createNoiseLearner, createRedactor, createRedisDiffStore,
  type Comparator, type ComparisonMetrics, type DiffStore, type NoiseLearner, type Redactor,
} from '../../shadow-report/index.js';
import { SAFE_METHODS, type LegacyPairTicket } from '../../shadow-report/noise-learner.js';
import type { CapturedRequest, CapturedResponse, Finding, Side } from '../../shadow-report/types.js';

export type { SideEffectChecker } from './side-effects.js';



/** ShadowContext is the part of an exchange a queued shadow job needs. */
type ShadowContext = Pick<ExchangeContext, 'route' | 'method' | 'target' | 'headers'>;

/** MirrorExtensionOptions inject the clock-free parts tests want to control. */
export interface MirrorExtensionOptions {
  logger: Logger;
  metrics: GatewayMetrics;
  /** HMAC key for redaction placeholders; default FIGWAY_REDACTION_KEY or a random per-process key. */
  redactionKey?: Buffer;
  sideEffects?: SideEffectChecker;
  /** The diff store for a configuration (a cluster worker forwards to its primary); undefined: the configured kind. */
  createStore?: (config: DiffStoreConfig) => DiffStore | undefined;
}

interface RouteState {
  sample: () => boolean;
  lane: Lane;
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

function laneBounds(mirror: MirrorConfig): { maxActive: number; maxQueued: number; maxQueuedBytes: number; maxWaitMs: number } {
  return { maxActive: mirror.maxInFlight, maxQueued: mirror.maxQueued, maxQueuedBytes: mirror.maxQueuedBytes, maxWaitMs: mirror.maxQueueWaitMs };
}

/** registerLaneGauges exposes each route's shadow lane (running, waiting, bytes held) so saturation shows before drops do. */
function registerLaneGauges(registry: Registry, routes: ReadonlyMap<string, RouteState>): void {
  const gauges: Array<[string, string, (stats: LaneStats) => number]> = [
    ['figway_shadow_lane_active', 'Shadow comparisons running now, per route.', (stats) => stats.active],
    ['figway_shadow_lane_queued', 'Sampled requests waiting in the shadow lane, per route.', (stats) => stats.queued],
    ['figway_shadow_lane_queued_bytes', 'Bytes held by waiting samples, per route.', (stats) => stats.queuedBytes],
  ];
  for (const [name, help, read] of gauges) {
    if (registry.getSingleMetric(name) !== undefined) continue;
    new Gauge({
      name, help, labelNames: ['route'], registers: [registry],
      collect() {
        this.reset();
        for (const [route, state] of routes) this.set({ route }, read(state.lane.stats()));
      },
    });
  }
}

/** MirrorExtension is the extension plus what figway's wiring and tests reach into. */
export interface MirrorExtension extends FigwayExtension {
  store(): DiffStore | undefined;
  learner: NoiseLearner;
  /** idle resolves when every lane is empty (every sampled request that finished has been compared or dropped). */
  idle(): Promise<void>;
}

/** createMirrorExtension builds the extension; its store is created from the first applied configuration. */
export function createMirrorExtension(options: MirrorExtensionOptions): MirrorExtension {
  const { logger } = options;
  const comparisonMetrics: ComparisonMetrics = createComparisonMetrics(options.metrics.registry);
  const key = options.redactionKey ?? (process.env.FIGWAY_REDACTION_KEY ? Buffer.from(process.env.FIGWAY_REDACTION_KEY) : randomBytes(32));
  const learner = createNoiseLearner({ minSamples: DEFAULTS.noiseMinSamples, minDifferRatio: DEFAULTS.noiseMinDifferRatio });
  const redactors = new Map<string, Redactor>();
  const routes = new Map<string, RouteState>();
  // Lanes of routes that share a shadow store must not run comparisons on the same keys at once.
  const resources = createResourceTable();
  let store: DiffStore | undefined;
  let storeSignature = '';
  // Waits cut short when figway stops (a stopping figway must not sit out a quarantine).
  const quarantines = new Set<() => void>();
  const quarantine = (ms: number): Promise<void> => new Promise((resolve) => {
    const done = (): void => { clearTimeout(timer); quarantines.delete(done); resolve(); };
    const timer = setTimeout(done, ms);
    quarantines.add(done);
  });
  const sideEffects = options.sideEffects;

  registerLaneGauges(options.metrics.registry, routes);

  // Every sampled request ends as exactly one comparison (the comparator records it) or one drop, counted here in
  // the metrics and in the diff store alike, so /metrics and /api/diffs always agree on coverage.
  const account = {
    sampled(route: string): void {
      comparisonMetrics.sampled(route);
      void store?.sampled(route);
    },
    dropped(route: string, reason: string): void {
      comparisonMetrics.dropped(route, reason);
      void store?.dropped(route, reason);
    },
  };

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
      store = options.createStore?.(snapshot.config.diffStore) ?? createStore(snapshot.config.diffStore, logger);
      storeSignature = signature;
      void previous?.close();
    }
    comparisonMetrics.init(snapshot.routes.filter((route) => route.observed).map((route) => route.name));
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
      // The lane outlives a reload: samples already waiting keep their place.
      const lane = existing?.lane ?? createLane({ ...laneBounds(mirror), resources });
      if (existing !== undefined) lane.resize(laneBounds(mirror));
      routes.set(route.name, {
        sample: createCounterSampler(mirror.sampleRate),
        lane,
        comparator: createComparator({ compare, redactor: redactorFor(compare.redact), learner, store: store!, metrics: comparisonMetrics }),
        secondaryLegacy: compare.secondaryLegacy === undefined ? undefined : new Pool(new URL(compare.secondaryLegacy).origin, { connections: 16 }),
        mirrorSignature,
      });
    }
    for (const name of [...routes.keys()]) {
      if (seen.has(name)) continue;
      const state = routes.get(name)!;
      routes.delete(name);
      void state.secondaryLegacy?.close();
      void state.lane.close();
    }
  }

  const live = (context: ExchangeContext): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined> => sideEffects?.observeLive?.(context);

  const plugin: GatewayPlugin = {
    observe(context) {
      const route = context.route;
      const mirror = route.config.mirror;
      const state = routes.get(route.name);
      if (mirror === undefined || state === undefined) return live(context);
      // A write reached the route: the secondary legacy instance no longer holds the same state (tickets void).
      if (state.secondaryLegacy !== undefined && !SAFE_METHODS.has(context.method)) learner.noteWrite(route.name);
      // A request that is not mirrored may still be a live (Mode 2) Redis check, or announce its writes.
      if (!mirror.methods.includes(context.method) || !state.sample()) return live(context);
      account.sampled(route.name);
      // Taken before the primary runs: the pair is only comparable if no write reaches legacy in between.
      const ticket = state.secondaryLegacy === undefined ? undefined : learner.legacyPairTicket(route.name, context.method);
      const contentLength = Number(context.req.headers['content-length'] ?? 0);
      if (contentLength > mirror.maxBodyBytes) {
        account.dropped(route.name, 'body-too-large');
        return live(context);
      }
      const checker = sideEffects !== undefined && sideEffects.applies(route) ? sideEffects : undefined;
      if (checker === undefined) return createObserver(context, state, undefined, undefined, ticket);
      return prepared(context, state, checker, ticket);
    },
  };

  /**
   * prepared readies a sampled request's side-effect comparison before the primary is forwarded: its body is read
   * first when keys are named by it, then the checker snapshots the keys' state. An isolated or dual shadow answers
   * from its own store, so a request whose store state could not be captured is not mirrored (its drop is counted).
   */
  async function prepared(context: ExchangeContext, state: RouteState, checker: SideEffectChecker, ticket: LegacyPairTicket | undefined): Promise<ExchangeObserver | undefined> {
    const route = context.route;
    const mirror = route.config.mirror!;
    let body: Buffer | undefined = context.hasBody ? undefined : Buffer.alloc(0);
    if (context.hasBody && checker.readsBody(route)) {
      const read = await context.readBody(mirror.maxBodyBytes);
      if (read === undefined) {
        account.dropped(route.name, 'client-closed');
        return undefined;
      }
      if (!read.complete) {
        account.dropped(route.name, 'body-too-large');
        return live(context);
      }
      body = Buffer.concat(read.chunks);
    }
    let preparation: SideEffectPreparation | string;
    try {
      preparation = await checker.prepare(context, body);
    } catch (error) {
      logger.warn({ err: error, route: route.name }, 'side-effect preparation failed');
      preparation = 'shadow-store-not-seeded';
    }
    if (typeof preparation === 'string') {
      account.dropped(route.name, preparation);
      return live(context);
    }
    return createObserver(context, state, preparation, body, ticket);
  }

  function createObserver(
    context: ExchangeContext, state: RouteState, preparation: SideEffectPreparation | undefined, knownBody: Buffer | undefined, ticket: LegacyPairTicket | undefined,
  ): ExchangeObserver {
    // A waiting job keeps only what the shadow needs, not the client's request (its socket, parser, headers): no
    // closure below may name `context`, or V8 keeps it alive with the scope they share.
    const shadowContext: ShadowContext = { route: context.route, method: context.method, target: context.target, headers: context.headers };
    const route = context.route;
    const mirror = route.config.mirror!;
    const compareLimit = route.config.compare.maxBodyBytes;
    let requestBody: Buffer | undefined | null = knownBody ?? null; // null: not yet known
    const capture = new ResponseCapture(compareLimit, context.selection.side);
    let settled = false;
    const drop = (reason: string): void => {
      if (settled) return;
      settled = true;
      account.dropped(route.name, reason);
      void preparation?.release();
    };
    return {
      ...(knownBody === undefined ? { requestBodyLimit: mirror.maxBodyBytes } : {}),
      onRequestBody(body) {
        if (knownBody === undefined) requestBody = body;
      },
      onResponseStart: (statusCode, rawHeaders, side) => capture.start(statusCode, rawHeaders, side),
      onResponseData: (chunk) => capture.data(chunk),
      onResponseEnd() {
        if (requestBody === null || requestBody === undefined) {
          drop(requestBody === undefined ? 'body-too-large' : 'body-incomplete');
          return;
        }
        if (settled) return;
        settled = true;
        const body = requestBody;
        const primary = capture.response();
        const servedBy = capture.side;
        state.lane.submit({
          resources: preparation?.resources ?? [],
          bytes: DEFAULTS.mirrorQueuedJobOverheadBytes + body.length + primary.body.length + (preparation?.bytes ?? 0),
          run: (releaseResources) => runShadow(shadowContext, state, body, servedBy, primary, preparation, ticket, releaseResources),
          drop: (reason) => {
            account.dropped(route.name, reason);
            void preparation?.release();
          },
        });
      },
      onAbort(reason) {
        drop(reason === 'client-closed' ? 'client-closed' : 'primary-failed');
      },
    };
  }

  /** shadowTargetsOf names where the copies go: both shadow deployments (dual), the other side's shadow deployment (isolated) or the other side. */
  function shadowTargetsOf(context: ShadowContext, servedBy: Side): Partial<Record<Side, UpstreamTarget>> | undefined {
    const route = context.route;
    const mode = route.config.mirror!.sideEffects;
    const other: Side = servedBy === 'new' ? 'legacy' : 'new';
    if (mode === 'dual') {
      const { legacy, new: candidate } = route.shadowTargets;
      return legacy === undefined || candidate === undefined ? undefined : { legacy, new: candidate };
    }
    const target = mode === 'isolated' ? route.shadowTargets[other] : route.targets[other];
    return target === undefined ? undefined : { [other]: target };
  }

  async function runShadow(
    context: ShadowContext, state: RouteState, body: Buffer, servedBy: Side, primary: CapturedResponse, preparation: SideEffectPreparation | undefined,
    ticket: LegacyPairTicket | undefined, releaseResources: () => void = () => undefined,
  ): Promise<void> {
    const route = context.route;
    const mirror = route.config.mirror!;
    let released = false;
    const releasePreparation = async (): Promise<void> => {
      if (released) return;
      released = true;
      await preparation?.release();
    };
    try {
      const targets = shadowTargetsOf(context, servedBy);
      if (targets === undefined) {
        account.dropped(route.name, 'no-shadow-target');
        return;
      }
      const sideRequest = { method: context.method, path: context.target, body };
      if (preparation !== undefined) {
        let ready: true | string;
        try {
          ready = await preparation.beforeShadow({ side: servedBy, response: primary }, sideRequest);
        } catch (error) {
          logger.warn({ err: error, route: route.name }, 'shadow store preparation failed');
          ready = 'shadow-store-not-seeded';
        }
        if (ready !== true) {
          // Its store was not seeded for this request: a shadow sent now would answer from the wrong state.
          account.dropped(route.name, ready);
          return;
        }
      }
      const shadowHeaders = [...context.headers, DEFAULTS.shadowHeader, '1'];
      const sides = Object.keys(targets) as Side[];
      const results = await Promise.all(sides.map((side) => sendShadow({
        target: targets[side]!, method: context.method, path: context.target, headers: shadowHeaders, body,
        timeoutMs: mirror.timeoutMs, maxBodyBytes: route.config.compare.maxBodyBytes,
      })));
      const answerOf = new Map<Side, ShadowResult>(sides.map((side, index) => [side, results[index]!]));
      if (preparation !== undefined && results.some((result) => !('response' in result))) {
        // A shadow that gave up (timeout, reset) may still be running and write into its store later: keep this
        // comparison's keys another timeoutMs before they are cleared and handed to the next comparison.
        await quarantine(mirror.timeoutMs);
      }
      // The two answers compared: both shadows (dual), or the primary's and the other side's shadow.
      const dual = sides.length === 2;
      const first: { side: Side; result: ShadowResult } = dual
        ? { side: servedBy, result: answerOf.get(servedBy)! }
        : { side: servedBy, result: { response: primary, durationSeconds: 0 } };
      const secondSide: Side = servedBy === 'new' ? 'legacy' : 'new';
      const second = { side: secondSide, result: answerOf.get(secondSide)! };
      let extraFindings: Finding[] | undefined;
      let redisValues: RedisSampleEntry[] | undefined;
      if (preparation !== undefined && 'response' in first.result && 'response' in second.result) {
        const answers = { [first.side]: first.result.response, [second.side]: second.result.response } as SideEffectAnswers;
        const outcome = await preparation.compare(answers, sideRequest);
        if (typeof outcome === 'string') {
          account.dropped(route.name, outcome);
          return;
        }
        extraFindings = outcome.findings;
        redisValues = outcome.values;
      }
      // The shadow stores are done with: clear them and let the next comparison on these keys start while this one is
      // judged and recorded.
      await releasePreparation();
      releaseResources();
      const request: CapturedRequest = { method: context.method, path: context.target, headers: flatToRecord(context.headers), body };
      const answer = (entry: { side: Side; result: ShadowResult }) => ('response' in entry.result
        ? { side: entry.side, response: entry.result.response, ...(dual || entry.side !== servedBy ? { durationSeconds: entry.result.durationSeconds } : {}) }
        : { side: entry.side, error: entry.result.error, durationSeconds: entry.result.durationSeconds });
      await state.comparator.compare({
        route: route.name,
        request,
        primary: answer(first),
        shadow: answer(second),
        ...(extraFindings === undefined ? {} : { extraFindings }),
        ...(redisValues === undefined ? {} : { redis: redisValues }),
        ...(dual ? { shadows: true } : {}),
      });
      // Diffy's noise baseline: a second legacy instance asked the same question, only while its state can match.
      if (state.secondaryLegacy !== undefined && ticket !== undefined) {
        const legacyAnswer = servedBy === 'legacy' ? primary : 'response' in second.result ? second.result.response : undefined;
        await measureLegacyNoise(context, state.secondaryLegacy, legacyAnswer, ticket);
      }
    } catch (error) {
      // A bug here must not lose the sample silently.
      logger.error({ err: error, route: route.name }, 'shadow comparison failed');
      account.dropped(route.name, 'internal-error');
    } finally {
      await releasePreparation();
    }
  }

  /** Diffy's method: ask a second legacy instance the same idempotent question; what differs between the two is noise. */
  async function measureLegacyNoise(context: ShadowContext, pool: Pool, legacyAnswer: CapturedResponse | undefined, ticket: LegacyPairTicket): Promise<void> {
    if (legacyAnswer === undefined) return;
    const route = context.route;
    const secondary: UpstreamTarget = { name: 'secondary-legacy', origin: '', basePath: new URL(route.config.compare.secondaryLegacy!).pathname.replace(/\/$/, ''), pool: pool as unknown as UpstreamTarget['pool'] };
    const result = await sendShadow({
      target: secondary, method: context.method, path: context.target, headers: [...context.headers, DEFAULTS.shadowHeader, '1'], body: Buffer.alloc(0),
      timeoutMs: route.config.mirror!.timeoutMs, maxBodyBytes: route.config.compare.maxBodyBytes,
    });
    if ('response' in result) learner.observeLegacyPair(route.name, legacyAnswer, result.response, { ...route.config.compare, ticket });
  }

  const admin = (app: FastifyInstance): void => registerDiffApi(app, { store: () => store, learner });

  return {
    plugin,
    admin,
    applied,
    learner,
    store: () => store,
    async idle() {
      await Promise.all([...routes.values()].map((state) => state.lane.idle()));
    },
    async close() {
      for (const done of [...quarantines]) done();
      await Promise.allSettled([...routes.values()].map((state) => state.lane.close()));
      for (const state of routes.values()) await state.secondaryLegacy?.close();
      await sideEffects?.close();
      await store?.close();
    },
  };
}
