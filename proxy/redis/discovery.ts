/**
 * Discovered side effects: the two shadows' write sets (every key each wrote, from write capture), compared by shape.
 * Keys are folded to patterns (`session:42` → `session:{id}`), so two writes of the same kind under the same name
 * compare as one key; a value written under another name is one `redis-key-renamed` finding naming both patterns
 * (and the two values are compared like any other: a null that became absent still shows); a key only one side
 * writes is `redis-missing-write` (legacy wrote it, new did not) or `redis-extra-write`. Pure: no Redis here.
 */
import { deepEqual } from '../../shadow-report/compare-values.js';
import { looksRandomToken } from '../../shadow-report/generated.js';
import type { Finding } from '../../shadow-report/types.js';
import { compareKeyStates, REDIS_RULE } from './compare-keys.js';
import type { KeyState } from './store-reader.js';

/** DiscoveredWrite is one key a shadow wrote during its request, and what its store holds there afterwards. */
export interface DiscoveredWrite {
  key: string;
  /** Keyspace events seen (set, rpush, del, expire, …). */
  events: readonly string[];
  state: KeyState;
}

/** WriteSetOptions tune the value comparison. */
export interface WriteSetOptions {
  ttlToleranceSeconds: number;
  arrayKeys?: Readonly<Record<string, string>>;
}

/** Pairs scoring below this are not a rename: two unrelated writes. */
const MIN_RENAME_SCORE = 0.5;
const SEPARATORS = /([:/._|#-])/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Identifiers that contain separators themselves, folded before the key is cut at its separators. */
const WHOLE_IDS = [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, /[^\s:/|#@]+@[^\s:/|#@]+\.[a-z]{2,}/gi];
const FOLDED = '{id}';

function isIdentifier(segment: string): boolean {
  return /^\d+$/.test(segment) || UUID.test(segment) || /^[0-9a-f]{8,}$/i.test(segment) || segment.includes('@')
    || looksRandomToken(segment) || (segment.length >= 6 && /\d/.test(segment) && /[a-z]/i.test(segment));
}

/** keyPattern folds the identifier parts of a key (numbers, uuids, hex ids, tokens, e-mails) to `{id}`. */
export function keyPattern(key: string): string {
  if (key === '') return '(empty key)';
  let folded = key;
  for (const pattern of WHOLE_IDS) folded = folded.replace(pattern, FOLDED);
  return folded.split(SEPARATORS).map((part) => (part === '' || part === FOLDED || SEPARATORS.test(part) || !isIdentifier(part) ? part : FOLDED)).join('');
}

function tokensOf(key: string): Set<string> {
  return new Set(key.split(SEPARATORS).filter((part) => part !== '' && !SEPARATORS.test(part)));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const item of a) if (b.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}

/** leaves flattens a value to path → string form, so `1` and `"1"` count as the same leaf. */
function leaves(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) leaves(inner, `${path}.${key.toLowerCase().replace(/[_-]/g, '')}`, out);
  } else {
    out.set(path, String(value));
  }
  return out;
}

function valueSimilarity(a: KeyState, b: KeyState): number {
  if (!a.exists || !b.exists) return a.exists === b.exists ? 0.5 : 0;
  if (a.type !== b.type) return 0.1;
  if (deepEqual(a.value, b.value)) return 1;
  const la = leaves(a.value);
  const lb = leaves(b.value);
  let same = 0;
  for (const [path, text] of la) if (lb.get(path) === text) same++;
  const keys = new Set([...la.keys(), ...lb.keys()]).size;
  return keys === 0 ? 0 : 0.2 + 0.8 * (same / keys);
}

function renameScore(legacy: DiscoveredWrite, candidate: DiscoveredWrite): number {
  return 0.6 * valueSimilarity(legacy.state, candidate.state) + 0.4 * jaccard(tokensOf(legacy.key), tokensOf(candidate.key));
}

function pathOf(pattern: string): string {
  return /^[^.[\]"\s]+$/.test(pattern) ? `redis.${pattern}` : `redis[${JSON.stringify(pattern)}]`;
}

function valueOf(state: KeyState): unknown {
  return state.exists ? state.value : '(deleted)';
}

/**
 * compareWriteSets compares what legacy and new wrote beyond the declared keys (legacy first). Keys written by both
 * under the same name are compared by value; the rest are paired into renames or reported as writes only one side made.
 */
export function compareWriteSets(legacy: readonly DiscoveredWrite[], candidate: readonly DiscoveredWrite[], options: WriteSetOptions): Finding[] {
  const findings: Finding[] = [];
  const byKey = new Map(candidate.map((write) => [write.key, write]));
  const legacyOnly: DiscoveredWrite[] = [];
  for (const write of legacy) {
    const other = byKey.get(write.key);
    if (other === undefined) { legacyOnly.push(write); continue; }
    byKey.delete(write.key);
    findings.push(...compareKeyStates(keyPattern(write.key), write.state, other.state, options.ttlToleranceSeconds, options.arrayKeys, pathOf(keyPattern(write.key))));
  }
  const candidateOnly = [...byKey.values()];
  const pairs: Array<{ legacy: DiscoveredWrite; candidate: DiscoveredWrite; score: number }> = [];
  for (const l of legacyOnly) for (const c of candidateOnly) {
    const score = renameScore(l, c);
    if (score >= MIN_RENAME_SCORE) pairs.push({ legacy: l, candidate: c, score });
  }
  pairs.sort((a, b) => b.score - a.score);
  const paired = new Set<DiscoveredWrite>();
  for (const pair of pairs) {
    if (paired.has(pair.legacy) || paired.has(pair.candidate)) continue;
    paired.add(pair.legacy);
    paired.add(pair.candidate);
    const from = keyPattern(pair.legacy.key);
    const to = keyPattern(pair.candidate.key);
    const path = pathOf(from);
    findings.push({ class: 'redis-key-renamed', path, legacy: from, candidate: to, rule: REDIS_RULE });
    findings.push(...compareKeyStates(from, pair.legacy.state, pair.candidate.state, options.ttlToleranceSeconds, options.arrayKeys, path));
  }
  for (const write of legacyOnly) {
    if (!paired.has(write)) findings.push({ class: 'redis-missing-write', path: pathOf(keyPattern(write.key)), legacy: valueOf(write.state), rule: REDIS_RULE });
  }
  for (const write of candidateOnly) {
    if (!paired.has(write)) findings.push({ class: 'redis-extra-write', path: pathOf(keyPattern(write.key)), candidate: valueOf(write.state), rule: REDIS_RULE });
  }
  return findings;
}
