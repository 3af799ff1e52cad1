/**
 * The Redis side-effect checker (issue 5). Mode 1, isolated mirroring: before a mirrored request the declared keys'
 * current values are copied from the primary side's production store into the shadow deployment's store; after both
 * answers each side's keys are read from its own store and compared legacy-vs-new. Mode 2, live split traffic: after
 * a sample of live requests the keys the serving side wrote are read from its production store, legacy writes teach
 * the shape and new writes are checked against it. figway itself only ever writes to shadow stores.
 *
 * Nothing here can hurt a client: every Redis failure (down, slow, refused) skips the Redis part of a comparison and
 * is counted in figway_shadow_dropped_total with a reason; clients reconnect on their own and comparisons resume.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { parseKeyTemplate, type KeyTemplate } from '../config/key-template.js';
import { DEFAULTS, type RedisKeyConfig, type RouteConfig } from '../config/schema.js';
import { ResponseCapture } from '../mirror/response-capture.js';
import type { ExchangeContext, ExchangeObserver } from '../gateway.js';
import type { CompiledRoute, RuntimeSnapshot } from '../runtime.js';
import type { SideEffectChecker, SideEffectHandle, SideEffectRequest } from '../mirror/extension.js';
import { createCounterSampler } from '../mirror/sampler.js';
import { createComparisonMetrics, judge, type ComparisonMetrics } from '../../shadow-report/index.js';
import type { CapturedResponse, ComparisonRecord, DiffStore, Finding, Side } from '../../shadow-report/types.js';
import { createRedisClientPool, type RedisClientPool } from './clients.js';
import { RedisCompareError, skipReasonOf } from './errors.js';
import { compareKeyStates, EMPTY_KEY_PATH, REDIS_RULE } from './compare-keys.js';
import { createKeyLocks, type KeyLease, type KeyLocks } from './key-locks.js';
import { createShapeLearner, type ShapeLearner } from './shape.js';
import { readKey, seedKeys, snapshotKeys, type KeySnapshot, type KeyState } from './store-reader.js';
import { evaluateTemplate, headersFromFlat, parseJsonBody, queryOf, type TemplateInput } from './template-eval.js';

/** The empty key: a write under it is never legitimate (Pesto's revoke with a None key). */
const EMPTY_KEY = '';
/** Request bodies captured for Mode 2 key templates ({body.token}). */
const LIVE_REQUEST_BODY_LIMIT = 64 * 1024;

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
  /** Budget of the pre-request copy into the shadow store. Default DEFAULTS.redisSnapshotTimeoutMs. */
  snapshotTimeoutMs?: number;
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

interface KeyPlan {
  name: string;
  template: KeyTemplate;
  when: RedisKeyConfig['when'];
}

interface StoreUrls {
  production: string | undefined;
  shadow: string | undefined;
}

interface RoutePlan {
  route: string;
  keys: KeyPlan[];
  settleMs: number;
  ttlToleranceSeconds: number;
  liveSampleRate: number;
  stores: Record<Side, StoreUrls>;
  compare: RouteConfig['compare'];
}

/** RequestView is what key templates may read of a request. */
interface RequestView {
  method: string;
  target: string;
  headers: Record<string, string>;
  query: URLSearchParams;
  json: unknown;
}

interface ResolvedKey {
  key: string;
  state: KeyState;
}

function isComparisonMetrics(value: Registry | ComparisonMetrics): value is ComparisonMetrics {
  return typeof (value as ComparisonMetrics).dropped === 'function';
}

function keyApplies(plan: KeyPlan, request: RequestView): boolean {
  const when = plan.when;
  if (when === undefined) return true;
  if (when.methods !== undefined && !when.methods.includes(request.method)) return false;
  if (when.pathPrefix !== undefined) {
    const path = request.target.split('?', 1)[0]!;
    const prefix = when.pathPrefix.replace(/\/$/, '');
    if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return false;
  }
  return true;
}

function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/** withDeadline rejects with REDIS_SNAPSHOT_TIMEOUT when `work` takes longer than `ms`. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisCompareError('REDIS_SNAPSHOT_TIMEOUT')), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // a late failure of abandoned work is already accounted for
  }
}

function samePayload(a: KeySnapshot | undefined, b: KeySnapshot | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.payload === null || b.payload === null) return a.payload === b.payload;
  return a.payload.equals(b.payload);
}

function emptyKeyFinding(side: Side, state: KeyState & { exists: true }): Finding {
  return side === 'legacy'
    ? { class: 'redis-extra-key', path: EMPTY_KEY_PATH, legacy: state.value, rule: REDIS_RULE }
    : { class: 'redis-extra-key', path: EMPTY_KEY_PATH, candidate: state.value, rule: REDIS_RULE };
}

/** createRedisSideEffects builds the checker; it opens Redis connections lazily, one per store URL. */
export function createRedisSideEffects(options: RedisSideEffectsOptions): RedisSideEffects {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const snapshotTimeoutMs = options.snapshotTimeoutMs ?? DEFAULTS.redisSnapshotTimeoutMs;
  const metrics = isComparisonMetrics(options.metrics) ? options.metrics : createComparisonMetrics(options.metrics);
  const pool: RedisClientPool = createRedisClientPool({ logger, ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }) });
  const plans = new WeakMap<RouteConfig, RoutePlan>();
  const liveSamplers = new Map<string, { rate: number; sample: () => boolean }>();
  const shapes = createShapeLearner();
  const pending = new Set<Promise<void>>();
  const keyLocks = new Map<string, KeyLocks>();

  // Production keys named by requests before they were forwarded, with a sequence number: a primary's read of a
  // key that a later request may already have changed is not trusted.
  let touchSequence = 0;
  // `until` closes a request's window: its answer plus settleMs (services that write after answering). A window
  // still open when a mirrored request snapshots its keys means that snapshot may miss a write.
  const touches = new Map<string, Array<{ sequence: number; at: number; until: number }>>();
  const openWindows = new Map<number, Array<{ until: number }>>();
  /** Upper bound of a window whose request never reported its end (its entry must not block comparisons forever). */
  const MAX_WINDOW_MS = 10_000;
  const MAX_TOUCHES = 100_000;
  const TOUCHES_PER_KEY = 64;

  // Production keys whose primary is still being served: a snapshot taken meanwhile may miss its write.
  const inFlight = new Map<string, number>();

  /** enter marks keys as being written by a primary; true when another primary already had one of them in flight. */
  function enter(url: string, keys: readonly string[]): { busy: boolean; leave: () => void } {
    let busy = false;
    const ids = keys.map((key) => `${url}\u0000${key}`);
    for (const id of ids) {
      const count = inFlight.get(id) ?? 0;
      if (count > 0) busy = true;
      inFlight.set(id, count + 1);
    }
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      for (const id of ids) {
        const count = (inFlight.get(id) ?? 1) - 1;
        if (count <= 0) inFlight.delete(id); else inFlight.set(id, count);
      }
    };
    return { busy, leave };
  }

  /** touch records that a request may write `keys` from `at` (performance.now()) on; returns its sequence number. */
  function touch(url: string, keys: readonly string[], at = performance.now()): number {
    const sequence = ++touchSequence;
    const entries: Array<{ until: number }> = [];
    for (const key of keys) {
      const id = `${url}\u0000${key}`;
      const list = touches.get(id) ?? [];
      touches.delete(id); // re-insert: Map order is the eviction order
      const entry = { sequence, at, until: at + MAX_WINDOW_MS };
      entries.push(entry);
      list.push(entry);
      if (list.length > TOUCHES_PER_KEY) list.shift();
      touches.set(id, list);
    }
    while (touches.size > MAX_TOUCHES) touches.delete(touches.keys().next().value!);
    if (entries.length > 0) openWindows.set(sequence, entries);
    while (openWindows.size > MAX_TOUCHES) openWindows.delete(openWindows.keys().next().value!);
    return sequence;
  }

  /** closeWindow records when a request's writes are over (its answer plus settleMs). */
  function closeWindow(sequence: number, until = performance.now()): void {
    const entries = openWindows.get(sequence);
    if (entries === undefined) return;
    openWindows.delete(sequence);
    for (const entry of entries) entry.until = Math.min(entry.until, until);
  }

  /** writingAt: was a request other than `sequence`/`own` still possibly writing the key at `at`? */
  function writingAt(url: string, key: string, sequence: number, own: number, at: number): boolean {
    return (touches.get(`${url}\u0000${key}`) ?? []).some((entry) => entry.sequence < sequence && entry.sequence !== own && entry.until >= at);
  }

  /**
   * unmirroredObserver announces the keys of a request that is not mirrored on an isolated route: it writes the
   * production store like any other, so a mirrored request's snapshot or read overlapping it must not be trusted.
   */
  function unmirroredObserver(context: ExchangeContext, plan: RoutePlan): ExchangeObserver | undefined {
    const url = plan.stores[context.selection.side].production;
    if (url === undefined) return undefined;
    const startedAt = performance.now();
    const keys = nameKeys(plan, requestView(context, undefined), undefined).filter((key) => key !== EMPTY_KEY);
    const sequences = keys.length === 0 ? [] : [touch(url, keys, startedAt)];
    const readsBody = context.hasBody && plan.keys.some((key) => key.template.parts.some((part) => 'alternatives' in part && part.alternatives.some((source) => source.kind === 'body')));
    if (sequences.length === 0 && !readsBody) return undefined;
    const done = (): void => { for (const sequence of sequences) closeWindow(sequence, performance.now() + plan.settleMs); };
    return {
      ...(readsBody ? {
        requestBodyLimit: LIVE_REQUEST_BODY_LIMIT,
        // Keys named by the body (approve/revoke name the token there) count from the request's start.
        onRequestBody(body: Buffer | undefined) {
          const more = nameKeys(plan, requestView(context, body), undefined).filter((key) => key !== EMPTY_KEY && !keys.includes(key));
          if (more.length > 0) sequences.push(touch(url, more, startedAt));
        },
      } : {}),
      onResponseStart() {}, onResponseData() {}, onResponseEnd: done, onAbort: done,
    };
  }

  /** touchedAfter: did a later request than `sequence` start writing the key before `readAt`? */
  function touchedAfter(url: string, key: string, sequence: number, readAt: number, own: number): boolean {
    return (touches.get(`${url}\u0000${key}`) ?? []).some((entry) => entry.sequence > sequence && entry.sequence !== own && entry.at <= readAt);
  }

  /** nameKeys fills the templates that need no earlier key's value (no Redis round trip). */
  function nameKeys(plan: RoutePlan, request: RequestView, response: CapturedResponse | undefined): string[] {
    const out: string[] = [];
    for (const key of plan.keys) {
      if (key.template.dependsOn.length > 0 || !keyApplies(key, request)) continue;
      const name = evaluateTemplate(key.template, { headers: request.headers, query: request.query, requestJson: request.json, response, keyValues: new Map(), now: now() });
      if (name !== undefined) out.push(name);
    }
    return out;
  }

  function locksFor(url: string): KeyLocks {
    let locks = keyLocks.get(url);
    if (locks === undefined) {
      locks = createKeyLocks();
      keyLocks.set(url, locks);
    }
    return locks;
  }

  function skip(route: string, error: unknown): undefined {
    const reason = skipReasonOf(error);
    metrics.dropped(route, reason);
    logger.debug({ route, reason, err: { message: (error as Error)?.message } }, 'Redis comparison skipped');
    return undefined;
  }

  function planOf(route: CompiledRoute): RoutePlan | undefined {
    return plans.get(route.config);
  }

  function compile(route: RouteConfig, snapshot: RuntimeSnapshot): RoutePlan | undefined {
    const redis = route.redis;
    if (redis === undefined) return undefined;
    const storesOf = (side: Side): StoreUrls => {
      const upstream = snapshot.config.upstreams[route[side]];
      return { production: upstream?.redis?.url, shadow: upstream?.shadow?.redis?.url };
    };
    return {
      route: route.name,
      // Templates were validated by the config loader; parsing again here cannot fail for a loaded config.
      keys: redis.keys.map((key) => ({ name: key.name, template: parseKeyTemplate(key.key), when: key.when })),
      settleMs: redis.settleMs,
      ttlToleranceSeconds: redis.ttlToleranceSeconds,
      liveSampleRate: redis.liveSampleRate,
      stores: { legacy: storesOf('legacy'), new: storesOf('new') },
      compare: route.compare,
    };
  }

  function requestView(context: ExchangeContext, body: Buffer | undefined): RequestView {
    return {
      method: context.method,
      target: context.target,
      headers: headersFromFlat(context.headers),
      query: queryOf(context.target),
      json: parseJsonBody(body),
    };
  }

  /**
   * resolveKeys fills each applicable template in declaration order and reads it from `redis`, so `{keys.x.f}`
   * sees the value this store holds under x. Keys that cannot be filled are left out.
   */
  async function resolveKeys(plan: RoutePlan, request: RequestView, response: CapturedResponse | undefined, redis: Redis, at: number): Promise<Map<string, ResolvedKey>> {
    const out = new Map<string, ResolvedKey>();
    const keyValues = new Map<string, unknown>();
    for (const key of plan.keys) {
      if (!keyApplies(key, request)) continue;
      const input: TemplateInput = { headers: request.headers, query: request.query, requestJson: request.json, response, keyValues, now: at };
      const name = evaluateTemplate(key.template, input);
      if (name === undefined) continue;
      const state = await readKey(redis, name);
      if (state.exists) keyValues.set(key.name, state.value);
      out.set(key.name, { key: name, state });
    }
    return out;
  }

  function compareSides(plan: RoutePlan, legacy: Map<string, ResolvedKey>, candidate: Map<string, ResolvedKey>): Finding[] {
    const findings: Finding[] = [];
    const absent: KeyState = { exists: false };
    for (const key of plan.keys) {
      const l = legacy.get(key.name);
      const c = candidate.get(key.name);
      if (l === undefined && c === undefined) continue;
      // A key that only one side's answer names (a trial token) counts as absent on the other side.
      const found = compareKeyStates(key.name, l?.state ?? absent, c?.state ?? absent, plan.ttlToleranceSeconds, plan.compare.arrayKeys);
      // Each side named its own key (a trial token from its own answer): two generated records, so their structure,
      // type and TTL are compared but not their values.
      findings.push(...(l !== undefined && c !== undefined && l.key !== c.key ? found.filter((f) => f.class !== 'value') : found));
    }
    return findings;
  }

  // ---- Mode 1: isolated mirroring -------------------------------------------------------------------------------

  async function prepareIsolated(context: ExchangeContext, plan: RoutePlan): Promise<SideEffectHandle> {
    const primarySide = context.selection.side;
    const shadowSide: Side = primarySide === 'legacy' ? 'new' : 'legacy';
    const productionUrl = plan.stores[primarySide].production;
    const shadowUrl = plan.stores[shadowSide].shadow;
    if (productionUrl === undefined || shadowUrl === undefined) throw new RedisCompareError('REDIS_NOT_CONFIGURED');
    const production = await pool.ready(productionUrl);
    await pool.ready(shadowUrl); // fail fast (and count) when the shadow store is down
    // Before the primary is forwarded: the primary's current values of the keys nameable from the request line and
    // headers (and chains over them). Only read here; they are written into the shadow store just before the shadow
    // request. Keys over the body are not known yet (it streams to the primary after this): they are not seeded, and
    // the shadow store keeps what the shadow deployment itself wrote for them on earlier mirrored requests.
    const resolved = await resolveKeys(plan, requestView(context, undefined), undefined, production, now());
    const keys = [...new Set([...resolved.values()].map((entry) => entry.key))].filter((key) => key !== EMPTY_KEY);
    const snapshotAt = performance.now();
    const [emptyBefore, ...snapshots] = await snapshotKeys(production, [EMPTY_KEY, ...keys]);
    const sequence = touch(productionUrl, keys);
    // An earlier request whose answer (plus settleMs) had not come when we took the snapshot may still write.
    const earlierStillWriting = keys.some((key) => writingAt(productionUrl, key, sequence, 0, snapshotAt));
    // Another primary on the same keys still in flight may write after our snapshot: those keys are not compared.
    const serving = enter(productionUrl, keys);
    const leaveTimer = setTimeout(serving.leave, (context.route.config.mirror?.timeoutMs ?? DEFAULTS.mirrorTimeoutMs) * 4 + plan.settleMs + 5_000);
    leaveTimer.unref();
    const leave = (): void => { clearTimeout(leaveTimer); serving.leave(); };
    const mirrorTimeoutMs = context.route.config.mirror?.timeoutMs ?? DEFAULTS.mirrorTimeoutMs;
    let lease: KeyLease | undefined;
    let primaryKeys: Map<string, ResolvedKey> | undefined;
    let shadowEmptyBefore: KeySnapshot | undefined;
    const findings: Finding[] = [];
    let ready = false;
    let concurrentWrite = false;
    let readAt = 0;
    let ownTouch = 0;

    return {
      async beforeShadow(request, primary) {
        try {
          if (primary.side !== primarySide) return false;
          const view = requestView(context, request.body);
          // Keys named by the body or the answer are known only now: announce them at once (the primary has written).
          // Announced as of the snapshot: the primary may have written them any time after it.
          ownTouch = touch(productionUrl, nameKeys(plan, view, primary.response).filter((key) => !keys.includes(key)), snapshotAt);
          // The primary's writes are read as soon as it answered (plus settleMs): later client requests keep
          // changing production while the shadow runs. A key another request touched meanwhile is left out.
          await delay(plan.settleMs);
          closeWindow(sequence);
          closeWindow(ownTouch);
          const productionNow = await pool.ready(productionUrl);
          primaryKeys = await resolveKeys(plan, view, primary.response, productionNow, now());
          readAt = performance.now();
          leave();
          // Another request named one of these keys between our snapshot and this read: production may hold its
          // write, and the shadow would be seeded with a state the primary did not see. Neither the keys nor the
          // answers would compare fairly, so the whole comparison is dropped (counted) once the shadow is done.
          concurrentWrite = earlierStillWriting || [...primaryKeys.values()].some((entry) => (serving.busy && keys.includes(entry.key))
            || touchedAfter(productionUrl, entry.key, sequence, readAt, ownTouch));
          const [emptyAfter] = await snapshotKeys(productionNow, [EMPTY_KEY]);
          if (emptyAfter !== undefined && emptyAfter.payload !== null && !samePayload(emptyBefore, emptyAfter)) {
            const state = await readKey(productionNow, EMPTY_KEY);
            if (state.exists) findings.push(emptyKeyFinding(primarySide, state));
          }
          const shadowStore = await pool.ready(shadowUrl);
          const withBody = await resolveKeys(plan, view, undefined, productionNow, now());
          const bodyKeys = [...withBody.values()].map((entry) => entry.key).filter((key) => !keys.includes(key));
          const held = [...new Set([...keys, ...bodyKeys])];
          lease = await locksFor(shadowUrl).acquire(held, mirrorTimeoutMs, mirrorTimeoutMs * 4 + plan.settleMs + 5_000);
          if (!lease.acquired) {
            // An earlier mirrored request still owns one of these keys: seeding now would falsify its comparison.
            metrics.dropped(plan.route, 'redis-key-busy');
            return false;
          }
          await seedKeys(shadowStore, snapshots);
          [shadowEmptyBefore] = await snapshotKeys(shadowStore, [EMPTY_KEY]);
          ready = true;
          return true;
        } catch (error) {
          skip(plan.route, error);
          return false;
        } finally {
          leave();
        }
      },
      async compare(primary, shadow, request?: SideEffectRequest) {
        try {
          if (!ready || primaryKeys === undefined || primary.side !== primarySide || shadow.side !== shadowSide) return [];
          await delay(plan.settleMs);
          const shadowNow = await pool.ready(shadowUrl);
          const shadowKeys = await resolveKeys(plan, requestView(context, request?.body), shadow.response, shadowNow, now());
          // Checked this late so requests that wrote before our read but announced themselves after it are seen too.
          if (concurrentWrite || [...primaryKeys.values()].some((entry) => touchedAfter(productionUrl, entry.key, sequence, readAt, ownTouch))) {
            metrics.dropped(plan.route, 'redis-concurrent-write');
            return null;
          }
          const legacyKeys = primarySide === 'legacy' ? primaryKeys : shadowKeys;
          const newKeys = primarySide === 'legacy' ? shadowKeys : primaryKeys;
          const out = [...compareSides(plan, legacyKeys, newKeys), ...findings];
          // The empty key in the shadow store: reported when it appeared or changed during this request.
          const [after] = await snapshotKeys(shadowNow, [EMPTY_KEY]);
          if (after !== undefined && after.payload !== null && !samePayload(shadowEmptyBefore, after)) {
            const state = await readKey(shadowNow, EMPTY_KEY);
            if (state.exists) out.push(emptyKeyFinding(shadowSide, state));
            // figway owns the shadow store: clear it so the next write under "" is seen again.
            await shadowNow.del(EMPTY_KEY);
          }
          return out;
        } catch (error) {
          skip(plan.route, error);
          return [];
        } finally {
          lease?.release();
        }
      },
      release() {
        leave();
        lease?.release();
        // Ended early (primary failed, client gone, shadow skipped): whatever it wrote is done within settleMs.
        closeWindow(sequence, performance.now() + plan.settleMs);
        closeWindow(ownTouch, performance.now() + plan.settleMs);
      },
    };
  }

  // ---- Mode 2: live split traffic -------------------------------------------------------------------------------

  function liveSampler(plan: RoutePlan): () => boolean {
    const existing = liveSamplers.get(plan.route);
    if (existing !== undefined && existing.rate === plan.liveSampleRate) return existing.sample;
    const sample = createCounterSampler(plan.liveSampleRate);
    liveSamplers.set(plan.route, { rate: plan.liveSampleRate, sample });
    return sample;
  }

  /** Before forwarding: DUMP the keys nameable from the request line and headers, so the check can tell writes from reads. */
  async function liveBefore(context: ExchangeContext, plan: RoutePlan, url: string): Promise<Map<string, KeySnapshot> | undefined> {
    try {
      const redis = await pool.ready(url);
      return await withDeadline((async () => {
        const resolved = await resolveKeys(plan, requestView(context, undefined), undefined, redis, now());
        const keys = [EMPTY_KEY, ...[...resolved.values()].map((entry) => entry.key).filter((key) => key !== EMPTY_KEY)];
        const snapshots = await snapshotKeys(redis, keys);
        return new Map(snapshots.map((snapshot) => [snapshot.key, snapshot]));
      })(), snapshotTimeoutMs);
    } catch (error) {
      return skip(plan.route, error);
    }
  }

  async function liveCheck(
    context: ExchangeContext, plan: RoutePlan, url: string, before: Map<string, KeySnapshot>, side: Side, body: Buffer | undefined, response: CapturedResponse,
  ): Promise<void> {
    try {
      await delay(plan.settleMs);
      const redis = await pool.ready(url);
      const resolved = await resolveKeys(plan, requestView(context, body), response, redis, now());
      const findings: Finding[] = [];
      for (const [name, entry] of resolved) {
        if (!entry.state.exists) continue;
        const earlier = before.get(entry.key);
        if (earlier !== undefined) {
          // Named before the request: only a changed value is this request's write (reads teach nothing).
          const [after] = await snapshotKeys(redis, [entry.key]);
          if (samePayload(earlier, after)) continue;
        }
        if (side === 'legacy') shapes.learn(plan.route, name, entry.state);
        else findings.push(...(shapes.check(plan.route, name, entry.state) ?? []));
      }
      const [emptyAfter] = await snapshotKeys(redis, [EMPTY_KEY]);
      if (emptyAfter?.payload !== null && !samePayload(before.get(EMPTY_KEY), emptyAfter)) {
        const state = await readKey(redis, EMPTY_KEY);
        // Only the fact and the type: the value may hold a user's record.
        if (state.exists) findings.push({ class: 'redis-extra-key', path: EMPTY_KEY_PATH, ...(side === 'legacy' ? { legacy: state.type } : { candidate: state.type }), rule: REDIS_RULE });
      }
      if (findings.length === 0) return;
      const judged = judge(findings, plan.compare);
      const kept = judged.findings.filter((finding) => finding.verdict !== 'ignored');
      if (kept.length === 0 || judged.result === 'match') return;
      const record: ComparisonRecord = { route: plan.route, at: now(), result: judged.result, primary: side, findings: kept };
      const store = options.store();
      if (store !== undefined) {
        try { await store.record(record); } catch { /* stores count their own failures */ }
      }
      metrics.comparison(record);
    } catch (error) {
      skip(plan.route, error);
    }
  }

  function track(work: Promise<void>): void {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  }

  function liveObserver(context: ExchangeContext, plan: RoutePlan, before: Map<string, KeySnapshot>): ExchangeObserver {
    let body: Buffer | undefined;
    const capture = new ResponseCapture(plan.compare.maxBodyBytes, context.selection.side);
    return {
      requestBodyLimit: LIVE_REQUEST_BODY_LIMIT,
      onRequestBody(captured) { body = captured; },
      onResponseStart: (statusCode, rawHeaders, servedBy) => capture.start(statusCode, rawHeaders, servedBy),
      onResponseData: (chunk) => capture.data(chunk),
      onResponseEnd() {
        const side = capture.side;
        const url = plan.stores[side].production;
        if (url === undefined) return;
        // After a failover the other side answered: its store is read, and what it wrote was not seen before.
        const seen = side === context.selection.side ? before : new Map<string, KeySnapshot>();
        track(liveCheck(context, plan, url, seen, side, body, capture.response()));
      },
      onAbort() { /* the client's exchange failed: nothing to check */ },
    };
  }

  return {
    shapes,
    applied(snapshot) {
      const urls = new Set<string>();
      for (const route of snapshot.routes) {
        const plan = compile(route.config, snapshot);
        if (plan === undefined) continue;
        plans.set(route.config, plan);
        for (const side of ['legacy', 'new'] as const) {
          for (const url of [plan.stores[side].production, plan.stores[side].shadow]) if (url !== undefined) urls.add(url);
        }
      }
      pool.retainOnly(urls);
      for (const url of urls) pool.warm(url);
    },
    applies(route) {
      return route.config.redis !== undefined && route.config.mirror?.sideEffects === 'isolated' && planOf(route) !== undefined;
    },
    async prepare(context, shadowTarget) {
      const plan = planOf(context.route);
      if (plan === undefined || shadowTarget !== 'shadow-deployment') return undefined;
      try {
        return await withDeadline(prepareIsolated(context, plan), snapshotTimeoutMs);
      } catch (error) {
        return skip(plan.route, error);
      }
    },
    observeLive(context) {
      const plan = planOf(context.route);
      if (plan === undefined) return undefined;
      if (context.route.config.mirror?.sideEffects === 'isolated') return unmirroredObserver(context, plan);
      if (plan.liveSampleRate <= 0) return undefined;
      const url = plan.stores[context.selection.side].production;
      if (url === undefined) return undefined;
      if (!liveSampler(plan)()) return undefined;
      // Returned as a promise: the gateway awaits it (bounded by the snapshot budget) before forwarding.
      return liveBefore(context, plan, url).then((before) => (before === undefined ? undefined : liveObserver(context, plan, before)));
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      await Promise.allSettled([...pending]);
      await pool.close();
    },
  };
}
