/**
 * A route's Redis plan: its declared keys compiled once per configuration, the stores of each side, and the
 * functions every mode shares to name keys for a request and read them from a store.
 */
import type { Redis } from 'ioredis';
import { parseKeyTemplate, type KeyTemplate } from '../config/key-template.js';
import type { RedisKeyConfig, RouteConfig } from '../config/schema.js';
import type { ExchangeContext } from '../gateway.js';
import type { RuntimeSnapshot } from '../runtime.js';
import type { CapturedResponse, Finding, Side } from '../../shadow-report/types.js';
import { compareKeyStates, REDIS_RULE } from './compare-keys.js';
import { readKey, type KeyState } from './store-reader.js';
import { evaluateTemplate, headersFromFlat, parseJsonBody, pathOf, queryOf, type TemplateInput } from './template-eval.js';

/** EMPTY_KEY is the empty key: a write under it is never legitimate (Pesto's revoke with a None key). */
export const EMPTY_KEY = '';

/** KeyPlan is one declared key, compiled. */
export interface KeyPlan {
  name: string;
  template: KeyTemplate;
  when: RedisKeyConfig['when'];
}

/** StoreUrls are one side's stores: production, and its shadow deployment's. */
export interface StoreUrls {
  production: string | undefined;
  shadow: string | undefined;
}

/** RoutePlan is everything the Redis comparison needs of a route. */
export interface RoutePlan {
  route: string;
  keys: KeyPlan[];
  settleMs: number;
  ttlToleranceSeconds: number;
  snapshotTimeoutMs: number;
  liveSampleRate: number;
  discoverWrites: NonNullable<RouteConfig['redis']>['discoverWrites'];
  stores: Record<Side, StoreUrls>;
  compare: RouteConfig['compare'];
  /** True when some template reads the request body: the body must be known before the keys can be named. */
  readsBody: boolean;
}

/** RequestView is what key templates may read of a request. */
export interface RequestView {
  method: string;
  target: string;
  headers: Record<string, string>;
  query: URLSearchParams;
  json: unknown;
}

/** ResolvedKey is a declared key filled for one request and side, with what that side's store holds under it. */
export interface ResolvedKey {
  key: string;
  state: KeyState;
}

/** compilePlan compiles a route's `redis` section against a snapshot's upstreams; undefined for routes without one. */
export function compilePlan(route: RouteConfig, snapshot: RuntimeSnapshot): RoutePlan | undefined {
  const redis = route.redis;
  if (redis === undefined) return undefined;
  const storesOf = (side: Side): StoreUrls => {
    const upstream = snapshot.config.upstreams[route[side]];
    return { production: upstream?.redis?.url, shadow: upstream?.shadow?.redis?.url };
  };
  // Templates were validated by the config loader; parsing again here cannot fail for a loaded config.
  const keys = redis.keys.map((key) => ({ name: key.name, template: parseKeyTemplate(key.key), when: key.when }));
  return {
    route: route.name,
    keys,
    settleMs: redis.settleMs,
    ttlToleranceSeconds: redis.ttlToleranceSeconds,
    snapshotTimeoutMs: redis.snapshotTimeoutMs,
    liveSampleRate: redis.liveSampleRate,
    discoverWrites: redis.discoverWrites,
    stores: { legacy: storesOf('legacy'), new: storesOf('new') },
    compare: route.compare,
    readsBody: keys.some((key) => key.template.parts.some((part) => 'alternatives' in part && part.alternatives.some((source) => source.kind === 'body'))),
  };
}

/** keyApplies tells whether a declared key's `when` admits the request. */
export function keyApplies(plan: KeyPlan, request: RequestView): boolean {
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

/** requestView builds what templates read of a request (the body once it is known). */
export function requestView(context: Pick<ExchangeContext, 'method' | 'target' | 'headers'>, body: Buffer | undefined): RequestView {
  return {
    method: context.method,
    target: context.target,
    headers: headersFromFlat(context.headers),
    query: queryOf(context.target),
    json: parseJsonBody(body),
  };
}

function templateInput(request: RequestView, response: CapturedResponse | undefined, keyValues: ReadonlyMap<string, unknown>, now: number): TemplateInput {
  return { headers: request.headers, query: request.query, requestJson: request.json, response, keyValues, now, path: pathOf(request.target) };
}

/** nameKeys fills the templates that need no earlier key's value (no Redis round trip). */
export function nameKeys(plan: RoutePlan, request: RequestView, response: CapturedResponse | undefined, now: number): string[] {
  const out: string[] = [];
  for (const key of plan.keys) {
    if (key.template.dependsOn.length > 0 || !keyApplies(key, request)) continue;
    const name = evaluateTemplate(key.template, templateInput(request, response, new Map(), now));
    if (name !== undefined) out.push(name);
  }
  return out;
}

/**
 * resolveKeys fills each applicable template in declaration order and reads it from `redis`, so `{keys.x.f}`
 * sees the value this store holds under x. Keys that cannot be filled are left out.
 */
export async function resolveKeys(plan: RoutePlan, request: RequestView, response: CapturedResponse | undefined, redis: Redis, now: number): Promise<Map<string, ResolvedKey>> {
  const out = new Map<string, ResolvedKey>();
  const keyValues = new Map<string, unknown>();
  for (const key of plan.keys) {
    if (!keyApplies(key, request)) continue;
    const name = evaluateTemplate(key.template, templateInput(request, response, keyValues, now));
    if (name === undefined) continue;
    const state = await readKey(redis, name);
    if (state.exists) keyValues.set(key.name, state.value);
    out.set(key.name, { key: name, state });
  }
  return out;
}

/** keyNamesOf lists the distinct store keys of resolved declared keys, without the empty key. */
export function keyNamesOf(resolved: ReadonlyMap<string, ResolvedKey>): string[] {
  return [...new Set([...resolved.values()].map((entry) => entry.key))].filter((key) => key !== EMPTY_KEY);
}

/**
 * SeededWrites says, for a comparison whose stores were seeded, which keys existed before (figway seeded a copy) and
 * which keys each side wrote during the request.
 */
export interface SeededWrites {
  existedBefore: ReadonlySet<string>;
  written: Record<Side, ReadonlySet<string>>;
}

function stateValue(state: KeyState): unknown {
  return state.exists ? state.value : '(deleted)';
}

/**
 * compareSides compares the declared keys of both sides (legacy first), by declared name. With `seeded`, a key that
 * existed before and that only one side wrote is reported as that side's write (`redis-missing-write` /
 * `redis-extra-write`): what the other side holds there is figway's seeded copy, so it is never compared, member by
 * member, as if that side had written it.
 */
export function compareSides(plan: RoutePlan, legacy: ReadonlyMap<string, ResolvedKey>, candidate: ReadonlyMap<string, ResolvedKey>, seeded?: SeededWrites): Finding[] {
  const findings: Finding[] = [];
  const absent: KeyState = { exists: false };
  for (const key of plan.keys) {
    const l = legacy.get(key.name);
    const c = candidate.get(key.name);
    if (l === undefined && c === undefined) continue;
    if (seeded !== undefined && l !== undefined && c !== undefined && l.key === c.key && seeded.existedBefore.has(l.key)) {
      const legacyWrote = seeded.written.legacy.has(l.key);
      const newWrote = seeded.written.new.has(c.key);
      if (legacyWrote && !newWrote) {
        findings.push({ class: 'redis-missing-write', path: `redis.${key.name}`, legacy: stateValue(l.state), rule: REDIS_RULE });
        continue;
      }
      if (newWrote && !legacyWrote) {
        findings.push({ class: 'redis-extra-write', path: `redis.${key.name}`, candidate: stateValue(c.state), rule: REDIS_RULE });
        continue;
      }
    }
    // A key that only one side's answer names (a trial token) counts as absent on the other side.
    const found = compareKeyStates(key.name, l?.state ?? absent, c?.state ?? absent, plan.ttlToleranceSeconds, plan.compare.arrayKeys);
    // Each side named its own key (a trial token from its own answer): two generated records, so their structure,
    // type and TTL are compared but not their values.
    findings.push(...(l !== undefined && c !== undefined && l.key !== c.key ? found.filter((f) => f.class !== 'value') : found));
  }
  return findings;
}

/** delay waits `ms` (0: not at all). */
export function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
