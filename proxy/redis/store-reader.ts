/**
 * Reading declared keys type-aware (string — parsed when it is JSON —, hash, list, set, sorted set) with existence
 * and TTL, and copying keys from one store to another byte-exactly (DUMP/RESTORE keeps type, encoding and TTL).
 */
import type { Redis } from 'ioredis';

/** RedisValueType is the Redis type of a key that exists. */
export type RedisValueType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream' | 'other';

/** KeyState is what one store holds under one key. */
export type KeyState =
  | { exists: false }
  | {
    exists: true;
    type: RedisValueType;
    /** string: parsed JSON or the text; hash: object; list: array; set: sorted array; zset: [{member, score}]. */
    value: unknown;
    /** Remaining time to live in ms; undefined when the key never expires. */
    ttlMs: number | undefined;
  };

/** Lists and sets longer than this are read partially (a comparison must stay cheap). */
export const MAX_COLLECTION_ITEMS = 1_000;

/** parseStoredString returns the JSON value of a string when it is JSON, else the string itself. */
export function parseStoredString(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return text;
  const first = trimmed.charCodeAt(0);
  // Only documents, strings and numbers: `true`/`null` stored as text are rare and more likely meant as text.
  const looksJson = first === 123 /* { */ || first === 91 /* [ */ || first === 34 /* " */ || first === 45 /* - */ || (first >= 48 && first <= 57);
  if (!looksJson) return text;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

function typeOf(name: string): RedisValueType {
  switch (name) {
    case 'string': case 'hash': case 'list': case 'set': case 'zset': case 'stream': return name;
    default: return 'other';
  }
}

function ttlOf(pttl: number): number | undefined {
  return pttl >= 0 ? pttl : undefined;
}

/** readKey reads one key with its type and TTL; Redis errors propagate (the caller skips and counts). */
export async function readKey(redis: Redis, key: string): Promise<KeyState> {
  const [[typeError, typeName], [ttlError, pttl]] = (await redis.pipeline().type(key).pttl(key).exec()) as [[Error | null, string], [Error | null, number]];
  if (typeError !== null) throw typeError;
  if (ttlError !== null) throw ttlError;
  if (typeName === 'none') return { exists: false };
  const type = typeOf(typeName);
  let value: unknown;
  switch (type) {
    case 'string': {
      const text = await redis.get(key);
      if (text === null) return { exists: false };
      value = parseStoredString(text);
      break;
    }
    case 'hash': {
      const fields = await redis.hgetall(key);
      const parsed: Record<string, unknown> = {};
      for (const [field, text] of Object.entries(fields)) parsed[field] = parseStoredString(text);
      value = parsed;
      break;
    }
    case 'list':
      value = (await redis.lrange(key, 0, MAX_COLLECTION_ITEMS - 1)).map(parseStoredString);
      break;
    case 'set':
      value = (await redis.sscan(key, '0', 'COUNT', MAX_COLLECTION_ITEMS))[1].sort().map(parseStoredString);
      break;
    case 'zset': {
      const flat = await redis.zrange(key, 0, MAX_COLLECTION_ITEMS - 1, 'WITHSCORES');
      const members: Array<{ member: unknown; score: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) members.push({ member: parseStoredString(flat[i]!), score: Number(flat[i + 1]) });
      value = members;
      break;
    }
    default:
      value = null; // streams and module types: existence, type and TTL only
  }
  return { exists: true, type, value, ttlMs: ttlOf(pttl) };
}

/** KeySnapshot is a key's serialized content and TTL, or its absence. */
export type KeySnapshot = { key: string; payload: Buffer; ttlMs: number } | { key: string; payload: null };

/** snapshotKeys DUMPs `keys` with their TTLs in one round trip. */
export async function snapshotKeys(redis: Redis, keys: readonly string[]): Promise<KeySnapshot[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
  const replies = (await pipeline.exec()) ?? [];
  return keys.map((key, index) => {
    const [dumpError, payload] = replies[index * 2] as [Error | null, Buffer | null];
    const [ttlError, pttl] = replies[index * 2 + 1] as [Error | null, number];
    if (dumpError !== null) throw dumpError;
    if (ttlError !== null) throw ttlError;
    if (payload === null || pttl === -2) return { key, payload: null };
    // A key expiring between DUMP and PTTL: keep it with the shortest TTL RESTORE accepts rather than forever.
    return { key, payload, ttlMs: pttl === -1 ? 0 : Math.max(1, pttl) };
  });
}

/** seedKeys makes `redis` hold exactly the snapshots: RESTORE … REPLACE (TTL kept; 0 = none) or DEL when absent. */
export async function seedKeys(redis: Redis, snapshots: readonly KeySnapshot[]): Promise<void> {
  if (snapshots.length === 0) return;
  const pipeline = redis.pipeline();
  for (const snapshot of snapshots) {
    if (snapshot.payload === null) pipeline.del(snapshot.key);
    else pipeline.restore(snapshot.key, snapshot.ttlMs, snapshot.payload, 'REPLACE');
  }
  const replies = (await pipeline.exec()) ?? [];
  for (const [error] of replies) if (error !== null) throw error;
}

/** copyKeys copies `keys` from one store to another (the primary's values into a shadow store before a mirrored request). */
export async function copyKeys(from: Redis, to: Redis, keys: readonly string[]): Promise<KeySnapshot[]> {
  const snapshots = await snapshotKeys(from, keys);
  await seedKeys(to, snapshots);
  return snapshots;
}
