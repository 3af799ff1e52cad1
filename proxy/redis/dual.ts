/**
 * Dual-shadow comparison (mirror.sideEffects: dual, Diffy's primary/secondary/candidate made exact for writes): both
 * sides' shadow deployments receive the request, each against its own store, both stores seeded with the request's
 * keys as the primary's store held them before the primary ran. The comparison reads only stores figway owns, and
 * the shadow lane never lets two comparisons on the same keys overlap, so it is exact under any production
 * concurrency: nothing is dropped because another client wrote meanwhile.
 *
 * With write capture on the shadow stores, every key each shadow wrote is known: beyond the declared keys, the two
 * write sets are compared by shape (discovery.ts). After the comparison the shadow stores are cleared of everything
 * the request touched, so they never accumulate state and figway's copies are never blamed on a side.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ExchangeContext } from '../gateway.js';
import type { DropReason, RedisSampleEntry, SideEffectOutcome, SideEffectPreparation, SideEffectRequest } from '../mirror/side-effects.js';
import type { Finding, Side } from '../../shadow-report/types.js';
import type { RedisClientPool } from './clients.js';
import { EMPTY_KEY_PATH, REDIS_RULE } from './compare-keys.js';
import { compareWriteSets, type DiscoveredWrite } from './discovery.js';
import { skipReasonOf } from './errors.js';
import { compareSides, delay, EMPTY_KEY, keyNamesOf, requestView, resolveKeys, type ResolvedKey, type RoutePlan } from './plan.js';
import { changedSince, seedStores, takeSnapshot, type RequestSnapshot } from './seeding.js';
import { readKey, type KeyState } from './store-reader.js';
import type { CaptureWindow, CapturedWrites, WriteCapture } from './write-capture.js';

const SIDES: readonly Side[] = ['legacy', 'new'];

/** DualDeps are what a dual comparison uses, shared by all requests. */
export interface DualDeps {
  pool: RedisClientPool;
  /** The write capture of a shadow store, or undefined when discovery is off for it. */
  capture(url: string): WriteCapture | undefined;
  now(): number;
  /** note counts an event that is not a drop (e.g. discovery-ambiguous). */
  note(route: string, what: string): void;
}

/** stateView is what a sample shows of one key: its type, TTL and (redacted later) value, or absence. */
export function stateView(state: KeyState | undefined): unknown {
  if (state === undefined || !state.exists) return '(absent)';
  return { type: state.type, ttlSeconds: state.ttlMs === undefined ? null : Math.round(state.ttlMs / 1000), value: state.value };
}

/** claimEmptyKey reads and deletes the empty key; only the caller whose DEL removed it reports it (exactly once). */
export async function claimEmptyKey(store: Redis, side: Side): Promise<Finding | undefined> {
  const state = await readKey(store, EMPTY_KEY);
  if (!state.exists) return undefined;
  if ((await store.del(EMPTY_KEY)) !== 1) return undefined;
  return side === 'legacy'
    ? { class: 'redis-extra-key', path: EMPTY_KEY_PATH, legacy: state.value, rule: REDIS_RULE }
    : { class: 'redis-extra-key', path: EMPTY_KEY_PATH, candidate: state.value, rule: REDIS_RULE };
}

/** prepareDual takes the request's snapshot from the primary's store; a string is the reason it cannot be compared. */
export async function prepareDual(deps: DualDeps, plan: RoutePlan, context: ExchangeContext, body: Buffer | undefined): Promise<SideEffectPreparation | DropReason> {
  const productionUrl = plan.stores[context.selection.side].production;
  const shadowUrls = { legacy: plan.stores.legacy.shadow, new: plan.stores.new.shadow };
  if (productionUrl === undefined || shadowUrls.legacy === undefined || shadowUrls.new === undefined) return 'redis-not-configured';
  let snapshot: RequestSnapshot;
  try {
    const production = await deps.pool.ready(productionUrl);
    snapshot = await takeSnapshot(plan, requestView(context, body), production, deps.now(), plan.snapshotTimeoutMs);
  } catch (error) {
    return skipReasonOf(error);
  }
  const urls = shadowUrls as Record<Side, string>;
  const owner = randomUUID();
  const resources = SIDES.flatMap((side) => snapshot.keys.map((key) => `${urls[side]}\u0000${key}`));
  // exclusive: one comparison at a time per shadow store, so every write it sees is its own.
  if (plan.discoverWrites === 'exclusive') resources.push(...SIDES.map((side) => `${urls[side]}\u0000*exclusive*`));
  const captures = plan.discoverWrites === 'off' ? undefined : { legacy: deps.capture(urls.legacy), new: deps.capture(urls.new) };
  const windows: Partial<Record<Side, CaptureWindow>> = {};
  const written: Partial<Record<Side, CapturedWrites>> = {};
  const touched: Record<Side, Set<string>> = { legacy: new Set(snapshot.keys), new: new Set(snapshot.keys) };
  let stores: Record<Side, Redis> | undefined;

  async function readDiscovered(side: Side, declared: ReadonlyMap<string, ResolvedKey>): Promise<DiscoveredWrite[]> {
    const writes = written[side]!.writes;
    const declaredKeys = new Set([...declared.values()].map((entry) => entry.key));
    const out: DiscoveredWrite[] = [];
    for (const [key, events] of writes) {
      if (key === EMPTY_KEY || declaredKeys.has(key)) continue;
      touched[side].add(key);
      out.push({ key, events: [...events], state: await readKey(stores![side], key) });
    }
    return out;
  }

  return {
    resources,
    bytes: snapshot.bytes,
    async beforeShadow() {
      try {
        stores = { legacy: await deps.pool.ready(urls.legacy), new: await deps.pool.ready(urls.new) };
        await Promise.all(SIDES.map(async (side) => {
          const capture = captures?.[side];
          if (capture !== undefined && await capture.ready()) capture.own(owner, snapshot.keys);
        }));
        await seedStores([stores.legacy, stores.new], snapshot);
        await Promise.all(SIDES.map(async (side) => {
          const capture = captures?.[side];
          if (capture !== undefined && capture.unavailable === undefined) windows[side] = await capture.open(owner);
        }));
        return true;
      } catch (error) {
        return skipReasonOf(error);
      }
    },
    async compare(answers, request: SideEffectRequest): Promise<SideEffectOutcome | DropReason> {
      try {
        if (stores === undefined) return 'shadow-store-not-seeded';
        await delay(plan.settleMs);
        const current = stores;
        await Promise.all(SIDES.map(async (side) => {
          const window = windows[side];
          if (window !== undefined) written[side] = await window.close();
        }));
        const view = requestView(context, request.body);
        const at = deps.now();
        const [legacyKeys, newKeys] = await Promise.all(SIDES.map((side) => resolveKeys(plan, view, answers[side], current[side], at)));
        const resolved = { legacy: legacyKeys!, new: newKeys! };
        for (const side of SIDES) for (const key of keyNamesOf(resolved[side])) touched[side].add(key);
        // Which seeded keys each side wrote: from write capture when it saw everything, else from the values.
        const writtenBy = async (side: Side): Promise<ReadonlySet<string>> => {
          const captured = written[side];
          return captured !== undefined && !captured.ambiguous.has('*') ? new Set(captured.writes.keys()) : changedSince(stores![side], snapshot);
        };
        const [legacyWrote, newWrote] = await Promise.all(SIDES.map(writtenBy));
        const seeded = {
          existedBefore: new Set(snapshot.snapshots.filter((entry) => entry.payload !== null).map((entry) => entry.key)),
          written: { legacy: legacyWrote!, new: newWrote! },
        };
        const findings = compareSides(plan, resolved.legacy, resolved.new, seeded);
        if (written.legacy !== undefined && written.new !== undefined) {
          if (written.legacy.ambiguous.size === 0 && written.new.ambiguous.size === 0) {
            const [legacyWrites, newWrites] = await Promise.all(SIDES.map((side) => readDiscovered(side, resolved[side])));
            findings.push(...compareWriteSets(legacyWrites!, newWrites!, {
              ttlToleranceSeconds: plan.ttlToleranceSeconds, arrayKeys: plan.compare.arrayKeys,
            }));
          } else {
            // Another comparison was writing in the same store at the same time: no write set is trusted.
            deps.note(plan.route, 'discovery-ambiguous');
            for (const side of SIDES) for (const key of written[side]!.writes.keys()) if (key !== EMPTY_KEY) touched[side].add(key);
          }
        }
        for (const found of await Promise.all(SIDES.map((side) => claimEmptyKey(current[side], side)))) {
          if (found !== undefined) findings.push(found);
        }
        const values: RedisSampleEntry[] = plan.keys.flatMap((key) => {
          const l = resolved.legacy.get(key.name);
          const c = resolved.new.get(key.name);
          if (l === undefined && c === undefined) return [];
          return [{
            name: key.name,
            ...(l === undefined ? {} : { legacyKey: l.key, legacy: stateView(l.state) }),
            ...(c === undefined ? {} : { newKey: c.key, new: stateView(c.state) }),
          }];
        });
        return { findings, values };
      } catch (error) {
        return skipReasonOf(error);
      }
    },
    async release() {
      for (const side of SIDES) windows[side]?.abandon();
      const current = stores;
      try {
        if (current === undefined) return;
        // Everything this request touched goes: figway's seeded copies and what the shadows wrote. Owned while they
        // are deleted, so other comparisons' windows do not take these deletions for writes of their own.
        await Promise.all(SIDES.map(async (side) => {
          const keys = [...touched[side]];
          if (keys.length === 0) return;
          const capture = windows[side] === undefined ? undefined : captures?.[side];
          capture?.own(owner, keys);
          await current[side].del(...keys);
          if (capture !== undefined) {
            await capture.barrier();
            capture.disown(owner, keys);
          }
        }));
      } catch {
        // A store that went away keeps its leftovers until the next request seeds over them.
      } finally {
        for (const side of SIDES) captures?.[side]?.disown(owner, snapshot.keys);
      }
    },
  };
}
