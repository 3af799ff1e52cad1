/**
 * Isolated mirroring (mirror.sideEffects: isolated): the copy goes to the OTHER side's shadow deployment, whose store
 * is seeded with the request's keys as the primary's store held them before the primary ran; afterwards the
 * primary's writes (read from production) are compared with the shadow's (read from its own store).
 *
 * Production keeps moving under other clients, so a comparison is only fair when no other request touched its keys
 * between the snapshot and the read. The tracker below records, per production key, every request that may write it
 * (mirrored or not) and the window in which it may (its answer plus settleMs); a comparison overlapping another
 * writer's window is dropped and counted (redis-concurrent-write) instead of reported as a false difference. Dual
 * mirroring (dual.ts) avoids the problem altogether by comparing two shadows.
 */
import type { ExchangeContext, ExchangeObserver } from '../gateway.js';
import type { DropReason, SideEffectOutcome, SideEffectPreparation } from '../mirror/side-effects.js';
import type { Side } from '../../shadow-report/types.js';
import type { RedisClientPool } from './clients.js';
import { skipReasonOf } from './errors.js';
import { compareSides, delay, EMPTY_KEY, nameKeys, requestView, resolveKeys, type ResolvedKey, type RoutePlan } from './plan.js';
import { claimEmptyKey, stateView } from './dual.js';
import { changedSince, seedStores, takeSnapshot, type RequestSnapshot } from './seeding.js';

/** Upper bound of a window whose request never reported its end (its entry must not block comparisons forever). */
const MAX_WINDOW_MS = 10_000;
const MAX_TOUCHES = 100_000;
const TOUCHES_PER_KEY = 64;

/** WriteTracker records which requests may write which production keys, and when. */
export interface WriteTracker {
  /** touch records that a request may write `keys` from `at` on; returns its sequence number. */
  touch(url: string, keys: readonly string[], at?: number): number;
  /** closeWindow records when a request's writes are over (its answer plus settleMs). */
  closeWindow(sequence: number, until?: number): void;
  /** writingAt: was a request other than `sequence`/`own` still possibly writing the key at `at`? */
  writingAt(url: string, key: string, sequence: number, own: number, at: number): boolean;
  /** touchedAfter: did a later request than `sequence` start writing the key before `readAt`? */
  touchedAfter(url: string, key: string, sequence: number, readAt: number, own: number): boolean;
  /** enter marks keys as being written by a primary now; busy when another primary had one of them in flight. */
  enter(url: string, keys: readonly string[]): { busy: boolean; leave: () => void };
}

/** createWriteTracker builds an empty, bounded tracker. */
export function createWriteTracker(): WriteTracker {
  let touchSequence = 0;
  const touches = new Map<string, Array<{ sequence: number; at: number; until: number }>>();
  const openWindows = new Map<number, Array<{ until: number }>>();
  const inFlight = new Map<string, number>();
  return {
    touch(url, keys, at = performance.now()) {
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
    },
    closeWindow(sequence, until = performance.now()) {
      const entries = openWindows.get(sequence);
      if (entries === undefined) return;
      openWindows.delete(sequence);
      for (const entry of entries) entry.until = Math.min(entry.until, until);
    },
    writingAt(url, key, sequence, own, at) {
      return (touches.get(`${url}\u0000${key}`) ?? []).some((entry) => entry.sequence < sequence && entry.sequence !== own && entry.until >= at);
    },
    touchedAfter(url, key, sequence, readAt, own) {
      return (touches.get(`${url}\u0000${key}`) ?? []).some((entry) => entry.sequence > sequence && entry.sequence !== own && entry.at <= readAt);
    },
    enter(url, keys) {
      let busy = false;
      const ids = keys.map((key) => `${url}\u0000${key}`);
      for (const id of ids) {
        const count = inFlight.get(id) ?? 0;
        if (count > 0) busy = true;
        inFlight.set(id, count + 1);
      }
      let left = false;
      return {
        busy,
        leave() {
          if (left) return;
          left = true;
          for (const id of ids) {
            const count = (inFlight.get(id) ?? 1) - 1;
            if (count <= 0) inFlight.delete(id); else inFlight.set(id, count);
          }
        },
      };
    },
  };
}

/** IsolatedDeps are shared by all isolated comparisons. */
export interface IsolatedDeps {
  pool: RedisClientPool;
  tracker: WriteTracker;
  now(): number;
}

/**
 * announceWrites is the observer of a request that is not mirrored on an isolated route: it writes production like
 * any other, so a mirrored request whose snapshot or read overlaps it must not be trusted. Its keys (request body
 * included) count from the request's start; its window ends with its answer plus settleMs.
 */
export function announceWrites(deps: IsolatedDeps, context: ExchangeContext, plan: RoutePlan, bodyLimit: number): ExchangeObserver | undefined {
  const url = plan.stores[context.selection.side].production;
  if (url === undefined) return undefined;
  const startedAt = performance.now();
  const keys = nameKeys(plan, requestView(context, undefined), undefined, deps.now()).filter((key) => key !== EMPTY_KEY);
  const sequences = keys.length === 0 ? [] : [deps.tracker.touch(url, keys, startedAt)];
  const readsBody = context.hasBody && plan.readsBody;
  if (sequences.length === 0 && !readsBody) return undefined;
  const done = (): void => { for (const sequence of sequences) deps.tracker.closeWindow(sequence, performance.now() + plan.settleMs); };
  return {
    ...(readsBody ? {
      requestBodyLimit: bodyLimit,
      onRequestBody(body: Buffer | undefined) {
        const more = nameKeys(plan, requestView(context, body), undefined, deps.now()).filter((key) => key !== EMPTY_KEY && !keys.includes(key));
        if (more.length > 0) sequences.push(deps.tracker.touch(url, more, startedAt));
      },
    } : {}),
    onResponseStart() {}, onResponseData() {}, onResponseEnd: done, onAbort: done,
  };
}

/** prepareIsolated snapshots the request's keys before the primary runs; a string is the reason it cannot be compared. */
export async function prepareIsolated(deps: IsolatedDeps, plan: RoutePlan, context: ExchangeContext, body: Buffer | undefined): Promise<SideEffectPreparation | DropReason> {
  const primarySide = context.selection.side;
  const shadowSide: Side = primarySide === 'legacy' ? 'new' : 'legacy';
  const productionUrl = plan.stores[primarySide].production;
  const shadowUrl = plan.stores[shadowSide].shadow;
  if (productionUrl === undefined || shadowUrl === undefined) return 'redis-not-configured';
  let snapshot: RequestSnapshot;
  const snapshotAt = performance.now();
  try {
    const production = await deps.pool.ready(productionUrl);
    await deps.pool.ready(shadowUrl); // fail fast (and count) when the shadow store is down
    snapshot = await takeSnapshot(plan, requestView(context, body), production, deps.now(), plan.snapshotTimeoutMs);
  } catch (error) {
    return skipReasonOf(error);
  }
  const { tracker } = deps;
  const keys = snapshot.keys;
  const sequence = tracker.touch(productionUrl, keys, snapshotAt);
  // An earlier request whose answer (plus settleMs) had not come when we took the snapshot may still write.
  const earlierStillWriting = keys.some((key) => tracker.writingAt(productionUrl, key, sequence, 0, snapshotAt));
  // Another primary on the same keys still in flight may write after our snapshot.
  const serving = tracker.enter(productionUrl, keys);
  const leaveTimer = setTimeout(serving.leave, 60_000);
  leaveTimer.unref();
  const leave = (): void => { clearTimeout(leaveTimer); serving.leave(); };
  let primaryKeys: Map<string, ResolvedKey> | undefined;
  let primaryWrote: ReadonlySet<string> = new Set();
  let concurrentWrite = false;
  let readAt = 0;
  let ownTouch = 0;
  let seeded = false;

  return {
    resources: keys.map((key) => `${shadowUrl}\u0000${key}`),
    bytes: snapshot.bytes,
    async beforeShadow(primary, request) {
      try {
        if (primary.side !== primarySide) return 'primary-failed-over';
        const view = requestView(context, request.body);
        // Keys named by the answer are known only now; announced as of the snapshot (the primary may have written them since).
        ownTouch = tracker.touch(productionUrl, nameKeys(plan, view, primary.response, deps.now()).filter((key) => !keys.includes(key)), snapshotAt);
        // The primary's writes are read as soon as it answered (plus settleMs): later requests keep changing production.
        await delay(plan.settleMs);
        tracker.closeWindow(sequence);
        tracker.closeWindow(ownTouch);
        const production = await deps.pool.ready(productionUrl);
        primaryKeys = await resolveKeys(plan, view, primary.response, production, deps.now());
        primaryWrote = await changedSince(production, snapshot);
        readAt = performance.now();
        leave();
        concurrentWrite = earlierStillWriting || [...primaryKeys.values()].some((entry) => (serving.busy && keys.includes(entry.key))
          || tracker.touchedAfter(productionUrl, entry.key, sequence, readAt, ownTouch));
        await seedStores([await deps.pool.ready(shadowUrl)], snapshot);
        seeded = true;
        return true;
      } catch (error) {
        return skipReasonOf(error);
      } finally {
        leave();
      }
    },
    async compare(answers, request): Promise<SideEffectOutcome | DropReason> {
      try {
        if (!seeded || primaryKeys === undefined) return 'shadow-store-not-seeded';
        await delay(plan.settleMs);
        const shadowStore = await deps.pool.ready(shadowUrl);
        const shadowKeys = await resolveKeys(plan, requestView(context, request.body), answers[shadowSide], shadowStore, deps.now());
        // Checked this late so requests that wrote before our read but announced themselves after it are seen too.
        if (concurrentWrite || [...primaryKeys.values()].some((entry) => tracker.touchedAfter(productionUrl, entry.key, sequence, readAt, ownTouch))) {
          return 'redis-concurrent-write';
        }
        const legacyKeys = primarySide === 'legacy' ? primaryKeys : shadowKeys;
        const newKeys = primarySide === 'legacy' ? shadowKeys : primaryKeys;
        const shadowWrote = await changedSince(shadowStore, snapshot);
        const findings = compareSides(plan, legacyKeys, newKeys, {
          existedBefore: new Set(snapshot.snapshots.filter((entry) => entry.payload !== null).map((entry) => entry.key)),
          written: primarySide === 'legacy' ? { legacy: primaryWrote, new: shadowWrote } : { legacy: shadowWrote, new: primaryWrote },
        });
        // Only the shadow store is figway's: an empty key there was written by this route's shadow side.
        const empty = await claimEmptyKey(shadowStore, shadowSide);
        if (empty !== undefined) findings.push(empty);
        const values = plan.keys.flatMap((key) => {
          const l = legacyKeys.get(key.name);
          const c = newKeys.get(key.name);
          if (l === undefined && c === undefined) return [];
          return [{ name: key.name, ...(l === undefined ? {} : { legacyKey: l.key, legacy: stateView(l.state) }), ...(c === undefined ? {} : { newKey: c.key, new: stateView(c.state) }) }];
        });
        return { findings, values };
      } catch (error) {
        return skipReasonOf(error);
      }
    },
    async release() {
      leave();
      // Ended early (primary failed, client gone, shadow skipped): whatever it wrote is done within settleMs.
      tracker.closeWindow(sequence, performance.now() + plan.settleMs);
      tracker.closeWindow(ownTouch, performance.now() + plan.settleMs);
    },
  };
}
