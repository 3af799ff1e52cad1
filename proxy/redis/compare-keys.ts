/**
 * Legacy-vs-new comparison of what two stores hold under one declared key: existence (redis-missing-key /
 * redis-extra-key), type (redis-type), TTL beyond a tolerance (redis-ttl), then the values with the same walker as
 * response bodies (key-casing, type, missing-field…). Paths use the key's declared NAME (`redis.token.UserEmail`),
 * never the key itself: in Pesto the key is the token.
 */
import { compareValues } from '../../shadow-report/compare-values.js';
import type { Finding } from '../../shadow-report/types.js';
import type { KeyState } from './store-reader.js';

/** EMPTY_KEY_PATH is the finding path of a write under the empty key "" (never legitimate). */
export const EMPTY_KEY_PATH = 'redis.(empty key)';

/** RULE is the rule id on Redis findings. */
export const REDIS_RULE = 'redis';

function ttlSeconds(state: KeyState & { exists: true }): number | string {
  return state.ttlMs === undefined ? 'none' : Math.round(state.ttlMs / 1000);
}

/** compareKeyStates compares one declared key across the two sides (legacy first). */
export function compareKeyStates(
  name: string, legacy: KeyState, candidate: KeyState, ttlToleranceSeconds: number, arrayKeys?: Readonly<Record<string, string>>, path = `redis.${name}`,
): Finding[] {
  if (!legacy.exists && !candidate.exists) return [];
  if (legacy.exists && !candidate.exists) return [{ class: 'redis-missing-key', path, legacy: legacy.value, rule: REDIS_RULE }];
  if (!legacy.exists && candidate.exists) return [{ class: 'redis-extra-key', path, candidate: candidate.value, rule: REDIS_RULE }];
  const l = legacy as KeyState & { exists: true };
  const c = candidate as KeyState & { exists: true };
  if (l.type !== c.type) return [{ class: 'redis-type', path, legacy: l.type, candidate: c.type, rule: REDIS_RULE }];
  const findings: Finding[] = [];
  const toleranceMs = ttlToleranceSeconds * 1000;
  const ttlDiffers = (l.ttlMs === undefined) !== (c.ttlMs === undefined)
    || (l.ttlMs !== undefined && c.ttlMs !== undefined && Math.abs(l.ttlMs - c.ttlMs) > toleranceMs);
  if (ttlDiffers) findings.push({ class: 'redis-ttl', path: `${path}.(ttl)`, legacy: ttlSeconds(l), candidate: ttlSeconds(c), rule: REDIS_RULE });
  findings.push(...compareValues(l.value, c.value, path, { rule: REDIS_RULE, ...(arrayKeys === undefined ? {} : { arrayKeys }) }));
  return findings;
}
