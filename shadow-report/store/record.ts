/**
 * What a DiffStore derives from one ComparisonRecord: the counters to add, the sample buckets to keep it under, and a
 * clipped copy small enough to store. Shared by the memory and the Redis store so both count the same way.
 */
import type { ComparisonRecord, DiffStore, RedisSample, RouteSummary } from '../types.js';
import { normalizePath } from '../paths.js';

/** SAMPLE_BODY_CHARS is how much of each body a stored sample keeps. */
export const SAMPLE_BODY_CHARS = 4096;
const VALUE_STRING_CHARS = 512;
const VALUE_ARRAY_ITEMS = 20;
const VALUE_OBJECT_KEYS = 50;
const VALUE_DEPTH = 8;
/** SAMPLE_REDIS_ENTRIES bounds the Redis keys a stored sample shows. */
export const SAMPLE_REDIS_ENTRIES = 20;
/** CounterDelta lists the increments one record makes: plain counters and per-path counters. */
export interface CounterDelta {
  counts: Map<string, number>;
  unexpectedPaths: Map<string, number>;
  noisePaths: Map<string, number>;
  acceptedPaths: Map<string, number>;
}

const RESULT_COUNTER = {
  match: 'matches',
  differ: 'differ',
  'noise-only': 'noiseOnly',
  'accepted-only': 'acceptedOnly',
  error: 'errors',
  skipped: 'skipped',
} as const;

function inc(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * counterDelta computes the counter increments of one record (keys: see applyCount). A live record adds its findings
 * only: it is no comparison (live checks are counted by DiffStore.liveCheck).
 */
export function counterDelta(rec: ComparisonRecord): CounterDelta {
  const d: CounterDelta = { counts: new Map(), unexpectedPaths: new Map(), noisePaths: new Map(), acceptedPaths: new Map() };
  if (rec.live !== true) {
    inc(d.counts, 'comparisons');
    inc(d.counts, RESULT_COUNTER[rec.result]);
    if (rec.skipped !== undefined) inc(d.counts, `skip:${rec.skipped.reason}`);
  }
  for (const f of rec.findings) {
    const path = normalizePath(f.path);
    if (f.verdict === 'unexpected') { inc(d.counts, 'unexpected'); inc(d.counts, `class:${f.class}`); inc(d.unexpectedPaths, path); }
    else if (f.verdict === 'noise') { inc(d.counts, 'noise'); inc(d.noisePaths, path); }
    else if (f.verdict === 'accepted') { inc(d.counts, 'accepted'); inc(d.acceptedPaths, path); }
  }
  return d;
}

/**
 * sampleBuckets names the buckets a record is kept under: each unexpected class, or `noise`, `accepted`, `error`,
 * `skipped`. None for a match, nor for a record whose findings were all folded out as pervasive.
 */
export function sampleBuckets(rec: ComparisonRecord): string[] {
  const has = (verdict: string): boolean => rec.findings.some((f) => f.verdict === verdict);
  switch (rec.result) {
    case 'match': return [];
    case 'noise-only': return has('noise') ? ['noise'] : [];
    case 'accepted-only': return has('accepted') ? ['accepted'] : [];
    case 'error': return ['error'];
    case 'skipped': return ['skipped'];
    case 'differ': return [...new Set(rec.findings.filter((f) => f.verdict === 'unexpected').map((f) => f.class as string))];
  }
}

/** DROP_REASON is the shape of a drop reason; anything else is counted as `other` (reasons become map keys and labels). */
const DROP_REASON = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * counterMethods builds a store's `sampled`, `dropped` and `liveCheck` from one function that adds 1 to counter keys
 * of a route (`sampled`, `drop:<reason>`, `liveChecks`, `liveClean`: see applyCount), so every store counts alike.
 */
export function counterMethods(add: (route: string, keys: readonly string[]) => void): Pick<DiffStore, 'sampled' | 'dropped' | 'liveCheck'> {
  return {
    async sampled(route) { add(route, ['sampled']); },
    async dropped(route, reason) { add(route, [`drop:${DROP_REASON.test(reason) ? reason : 'other'}`]); },
    async liveCheck(route, clean) { add(route, clean ? ['liveChecks', 'liveClean'] : ['liveChecks']); },
  };
}

/** emptySummary returns a zeroed RouteSummary. */
export function emptySummary(route: string): RouteSummary {
  return {
    route, comparisons: 0, matches: 0, differ: 0, noiseOnly: 0, acceptedOnly: 0, errors: 0, skipped: 0, skippedByReason: {},
    unexpected: 0, unexpectedByClass: {}, unexpectedByPath: {}, noise: 0, noiseByPath: {}, accepted: 0, acceptedByPath: {},
    sampled: 0, dropped: 0, droppedByReason: {}, coverage: null, liveChecks: 0, liveClean: 0, patterns: [],
  };
}

const PLAIN_COUNTERS = [
  'comparisons', 'matches', 'differ', 'noiseOnly', 'acceptedOnly', 'errors', 'skipped', 'unexpected', 'noise', 'accepted',
  'sampled', 'liveChecks', 'liveClean',
] as const;

/** applyCount adds `n` to the summary field named by a counter key (`comparisons`, `skip:<reason>`, `class:<class>`, `drop:<reason>`). */
export function applyCount(summary: RouteSummary, key: string, n: number): void {
  if (key.startsWith('skip:')) { const r = key.slice(5); summary.skippedByReason[r] = (summary.skippedByReason[r] ?? 0) + n; return; }
  if (key.startsWith('drop:')) {
    const r = key.slice(5);
    summary.droppedByReason[r] = (summary.droppedByReason[r] ?? 0) + n;
    summary.dropped += n;
    return;
  }
  if (key.startsWith('class:')) { const c = key.slice(6); summary.unexpectedByClass[c] = (summary.unexpectedByClass[c] ?? 0) + n; return; }
  if ((PLAIN_COUNTERS as readonly string[]).includes(key)) summary[key as (typeof PLAIN_COUNTERS)[number]] += n;
}

/** withCoverage sets a summary's coverage from its counters: comparisons ÷ sampled, null when nothing was sampled. */
export function withCoverage(summary: RouteSummary): RouteSummary {
  summary.coverage = summary.sampled > 0 ? summary.comparisons / summary.sampled : null;
  return summary;
}

function clipValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > VALUE_STRING_CHARS ? `${value.slice(0, VALUE_STRING_CHARS)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= VALUE_DEPTH) return Array.isArray(value) ? '«array clipped»' : '«object clipped»';
  if (Array.isArray(value)) {
    const items = value.slice(0, VALUE_ARRAY_ITEMS).map((v) => clipValue(v, depth + 1));
    if (value.length > VALUE_ARRAY_ITEMS) items.push(`«${value.length - VALUE_ARRAY_ITEMS} more»`);
    return items;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= VALUE_OBJECT_KEYS) { out['«clipped»'] = `${Object.keys(value).length - VALUE_OBJECT_KEYS} more keys`; break; }
    out[k] = clipValue(v, depth + 1);
  }
  return out;
}

function clipBody<T extends { body: string; bodyClipped?: boolean }>(part: T | undefined): T | undefined {
  if (part === undefined || part.body.length <= SAMPLE_BODY_CHARS) return part;
  return { ...part, body: part.body.slice(0, SAMPLE_BODY_CHARS), bodyClipped: true };
}

/** storable returns a copy of the record with bounded finding values and bodies, without ignored findings. */
export function storable(rec: ComparisonRecord): ComparisonRecord {
  const out: ComparisonRecord = {
    ...rec,
    findings: rec.findings.filter((f) => f.verdict !== 'ignored').map((f) => {
      const c = { ...f };
      if ('legacy' in f) c.legacy = clipValue(f.legacy, 0);
      if ('candidate' in f) c.candidate = clipValue(f.candidate, 0);
      return c;
    }),
  };
  const request = clipBody(rec.request);
  const legacy = clipBody(rec.legacy);
  const candidate = clipBody(rec.candidate);
  if (request !== undefined) out.request = request;
  if (legacy !== undefined) out.legacy = legacy;
  if (candidate !== undefined) out.candidate = candidate;
  if (rec.redis !== undefined) out.redis = rec.redis.slice(0, SAMPLE_REDIS_ENTRIES).map(clipRedis);
  return out;
}

function clipRedis(entry: RedisSample): RedisSample {
  const out: RedisSample = { name: clipValue(entry.name, 0) as string };
  if (entry.legacyKey !== undefined) out.legacyKey = clipValue(entry.legacyKey, 0) as string;
  if (entry.newKey !== undefined) out.newKey = clipValue(entry.newKey, 0) as string;
  if ('legacy' in entry) out.legacy = clipValue(entry.legacy, 0);
  if ('new' in entry) out.new = clipValue(entry.new, 0);
  return out;
}
