/**
 * Seeding: the state a mirrored request's shadows start from. Before the primary is forwarded, figway reads the
 * current values of every key the request names (request line, headers, body, and chains over earlier keys) from
 * the primary's store — the state the primary is about to act on. Just before the shadows run, that snapshot is
 * restored into each shadow store (DUMP/RESTORE keeps type, encoding and TTL; an absent key is deleted), so both
 * shadows start exactly where the primary did, however much production has moved since.
 */
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../config/schema.js';
import { RedisCompareError } from './errors.js';
import { keyNamesOf, resolveKeys, type RequestView, type RoutePlan } from './plan.js';
import { seedKeys, snapshotKeys, type KeySnapshot } from './store-reader.js';

/** RequestSnapshot is a request's keys as the primary's store held them before the primary ran. */
export interface RequestSnapshot {
  keys: string[];
  snapshots: KeySnapshot[];
  /** Bytes held (payloads), for the lane's memory bound. */
  bytes: number;
}

/** withDeadline rejects with REDIS_SNAPSHOT_TIMEOUT when `work` takes longer than `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
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

/** takeSnapshot names the request's keys and DUMPs them from `production`, within the plan's snapshot budget. */
export function takeSnapshot(plan: RoutePlan, view: RequestView, production: Redis, now: number, budgetMs: number = DEFAULTS.redisSnapshotTimeoutMs): Promise<RequestSnapshot> {
  return withDeadline((async () => {
    const resolved = await resolveKeys(plan, view, undefined, production, now);
    const keys = keyNamesOf(resolved);
    const snapshots = await snapshotKeys(production, keys);
    let bytes = 0;
    for (const snapshot of snapshots) bytes += snapshot.key.length + (snapshot.payload?.length ?? 0);
    return { keys, snapshots, bytes };
  })(), budgetMs);
}

/** seedStores restores one snapshot into every given store. */
export async function seedStores(stores: readonly Redis[], snapshot: RequestSnapshot): Promise<void> {
  await Promise.all(stores.map((store) => seedKeys(store, snapshot.snapshots)));
}

/** TTL_REFRESH_SLACK_MS: a TTL this much longer after the request than the seed's was set again (a write). */
const TTL_REFRESH_SLACK_MS = 50;

/**
 * changedSince lists the snapshot's keys that `store` no longer holds as seeded: another value, created or deleted,
 * or a TTL set or refreshed. Used when no write capture tells which keys a shadow wrote.
 */
export async function changedSince(store: Redis, snapshot: RequestSnapshot): Promise<Set<string>> {
  const after = await snapshotKeys(store, snapshot.keys);
  const changed = new Set<string>();
  snapshot.snapshots.forEach((before, index) => {
    const now = after[index]!;
    if (before.payload === null || now.payload === null) {
      if (before.payload !== now.payload) changed.add(before.key);
      return;
    }
    const beforeTtl = before.ttlMs;
    const afterTtl = now.ttlMs;
    if (!before.payload.equals(now.payload) || (beforeTtl === 0) !== (afterTtl === 0) || afterTtl > beforeTtl + TTL_REFRESH_SLACK_MS) changed.add(before.key);
  });
  return changed;
}
