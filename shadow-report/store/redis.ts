/**
 * A DiffStore in Redis, shared by every figway instance and surviving restarts:
 * - per route, hash counters (HINCRBY) `<prefix>:r:<route>:counts`, and per-path hashes capped by a small Lua script;
 * - per route, patterns: count hashes per verdict capped by a Lua script (`…:pat:n:<verdict>`), with their key, first
 *   and last sighting, live count and example sample id in hashes beside them;
 * - per route and bucket, a capped stream of redacted samples (`XADD … MAXLEN ~ samplesPerClass`), and per tracked
 *   pattern a stream of its last SAMPLES_PER_PATTERN samples;
 * - one capped event stream `<prefix>:events` (`XADD … MAXLEN ~ streamMaxLen`) with one compact line per non-matching
 *   comparison, for live tails.
 * `sampled`, `dropped` and `liveCheck` only add to an in-process batch, written with the next record or within
 * COUNTER_FLUSH_MS (and before every summary this instance reads), so counting a sampled request costs no round trip.
 * A dead or slow Redis never blocks or breaks the caller: commands have a timeout, are not queued while offline, and
 * the writers count failures instead of throwing (see `stats()`).
 */
import { randomUUID } from 'node:crypto';
import { Redis, type ChainableCommander } from 'ioredis';
import type { ComparisonRecord, DiffStore, PatternVerdict, RecordOptions, RouteSummary, Sample } from '../types.js';
import { DiffError } from '../errors.js';
import { applyCount, counterDelta, counterMethods, emptySummary, sampleBuckets, storable, withCoverage } from './record.js';
import {
  PATTERNS_PER_VERDICT, SAMPLES_PER_PATTERN, foldPervasive, isPervasive, patternsOf, sortPatterns, toDiffPattern,
  type PatternCounts, type PatternKey,
} from './patterns.js';
import { createSampleGate } from './sample-gate.js';

/** RedisDiffStoreOptions: where and how much. Defaults: 10 000 events, 50 samples per class, 200 paths, 100 patterns per verdict, 200 ms timeout. */
export interface RedisDiffStoreOptions {
  url: string;
  streamMaxLen?: number;
  samplesPerClass?: number;
  maxPathsPerRoute?: number;
  maxPatternsPerVerdict?: number;
  /** Key prefix. Default `figway:diff`. */
  prefix?: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** RedisDiffStoreStats counts what this instance could not write. */
export interface RedisDiffStoreStats {
  recorded: number;
  writeErrors: number;
  lastError?: string;
}

/** RedisDiffStore is a DiffStore with connection readiness and write-error counters. */
export interface RedisDiffStore extends DiffStore {
  /** ready resolves true once connected, false if not connected within the connect timeout. */
  ready(): Promise<boolean>;
  stats(): RedisDiffStoreStats;
}

/** COUNTER_FLUSH_MS is the longest a sampled/dropped/live count waits in the batch before it is written. */
export const COUNTER_FLUSH_MS = 250;

// Increment per-path counters, but never let one hash grow beyond the cap (ARGV[1]); pairs of field/increment follow.
const CAPPED_HINCRBY = `
local cap = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 or redis.call('HLEN', KEYS[1]) < cap then
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1`;

// Count one record's patterns, each verdict's hash capped (ARGV[1]); ARGV[2] = at, ARGV[3] = '1' for a live record,
// then triples id / verdict index (0..2) / key JSON. KEYS: counts, key, first, last, live, n:unexpected, n:noise,
// n:accepted. Returns the route's comparisons and live checks, then count and live count per pattern (-1: not tracked).
const COUNT_PATTERNS = `
local cap = tonumber(ARGV[1])
local at = tonumber(ARGV[2])
local live = ARGV[3] == '1'
local out = { tonumber(redis.call('HGET', KEYS[1], 'comparisons') or '0'), tonumber(redis.call('HGET', KEYS[1], 'liveChecks') or '0') }
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local counts = KEYS[6 + tonumber(ARGV[i + 1])]
  if redis.call('HEXISTS', counts, id) == 1 or redis.call('HLEN', counts) < cap then
    out[#out + 1] = redis.call('HINCRBY', counts, id, 1)
    redis.call('HSET', KEYS[2], id, ARGV[i + 2])
    redis.call('HSETNX', KEYS[3], id, at)
    if at > tonumber(redis.call('HGET', KEYS[4], id) or '0') then redis.call('HSET', KEYS[4], id, at) end
    if live then out[#out + 1] = redis.call('HINCRBY', KEYS[5], id, 1) else out[#out + 1] = tonumber(redis.call('HGET', KEYS[5], id) or '0') end
  else
    out[#out + 1] = -1
    out[#out + 1] = 0
  end
end
return out`;

const VERDICTS: readonly PatternVerdict[] = ['unexpected', 'noise', 'accepted'];

function toRecord(map: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(map)) out[k] = Number(v);
  return out;
}

function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** createRedisDiffStore connects (in the background) and returns the store at once. */
export function createRedisDiffStore(opts: RedisDiffStoreOptions): RedisDiffStore {
  const prefix = opts.prefix ?? 'figway:diff';
  const streamMaxLen = opts.streamMaxLen ?? 10_000;
  const samplesPerClass = opts.samplesPerClass ?? 50;
  const maxPaths = opts.maxPathsPerRoute ?? 200;
  const maxPatterns = opts.maxPatternsPerVerdict ?? PATTERNS_PER_VERDICT;
  const connectTimeout = opts.connectTimeoutMs ?? 1_000;
  if (!(streamMaxLen >= 1 && samplesPerClass >= 1 && maxPaths >= 1 && maxPatterns >= 1)) throw new DiffError('DIFF_BAD_OPTIONS', 'redis store bounds must be ≥ 1');
  const redis = new Redis(opts.url, {
    commandTimeout: opts.commandTimeoutMs ?? 200,
    connectTimeout,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Keep trying to come back, but slowly: the store must never hammer a Redis that is down.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  const stats: RedisDiffStoreStats = { recorded: 0, writeErrors: 0 };
  // Without a listener ioredis would raise connection errors as unhandled 'error' events.
  redis.on('error', (error: Error) => { stats.lastError = error.message; });
  let closed = false;
  /** Counts not yet written: route → counter key → increment. */
  let pending = new Map<string, Map<string, number>>();
  let flushTimer: NodeJS.Timeout | undefined;

  const r = (route: string): string => `${prefix}:r:${route}`;
  const k = {
    routes: `${prefix}:routes`,
    events: `${prefix}:events`,
    counts: (route: string) => `${r(route)}:counts`,
    paths: (route: string, verdict: string) => `${r(route)}:paths:${verdict}`,
    buckets: (route: string) => `${r(route)}:buckets`,
    samples: (route: string, bucket: string) => `${r(route)}:s:${bucket}`,
    pattern: (route: string, part: 'key' | 'first' | 'last' | 'live' | 'example') => `${r(route)}:pat:${part}`,
    patternCounts: (route: string, verdict: PatternVerdict) => `${r(route)}:pat:n:${verdict}`,
    patternSamples: (route: string, id: string) => `${r(route)}:p:${id}`,
  };

  function fail(error: unknown): never {
    throw new DiffError('DIFF_STORE_UNAVAILABLE', (error as Error).message, { cause: error });
  }

  function writeFailed(message: string): void {
    stats.writeErrors++;
    stats.lastError = message;
  }

  /** exec runs a write pipeline; false (counted) when it or one of its commands failed. */
  async function exec(p: ChainableCommander): Promise<[Error | null, unknown][] | undefined> {
    const results = await p.exec();
    const failed = results?.find(([error]) => error !== null);
    if (results === null || failed !== undefined) { writeFailed(failed?.[0]?.message ?? 'pipeline aborted'); return undefined; }
    return results;
  }

  /** takePending moves the batched counts into a pipeline (they are lost, and counted as a write error, if it fails). */
  function takePending(p: ChainableCommander): void {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    for (const [route, counts] of batch) {
      p.sadd(k.routes, route);
      for (const [key, n] of counts) p.hincrby(k.counts(route), key, n);
    }
  }

  async function flush(): Promise<void> {
    if (flushTimer !== undefined) { clearTimeout(flushTimer); flushTimer = undefined; }
    if (pending.size === 0 || closed) return;
    try {
      const p = redis.pipeline();
      takePending(p);
      await exec(p);
    } catch (error) {
      writeFailed((error as Error).message);
    }
  }

  function add(route: string, keys: readonly string[]): void {
    if (closed) return;
    let counts = pending.get(route);
    if (counts === undefined) { counts = new Map(); pending.set(route, counts); }
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    if (flushTimer === undefined) {
      flushTimer = setTimeout(() => { flushTimer = undefined; void flush(); }, COUNTER_FLUSH_MS);
      flushTimer.unref();
    }
  }

  function countPatterns(p: ChainableCommander, rec: ComparisonRecord, patterns: readonly PatternKey[]): void {
    const args: (string | number)[] = [maxPatterns, rec.at, rec.live === true ? '1' : '0'];
    for (const key of patterns) args.push(key.id, VERDICTS.indexOf(key.verdict), JSON.stringify(key));
    p.eval(COUNT_PATTERNS, 8, k.counts(rec.route), k.pattern(rec.route, 'key'), k.pattern(rec.route, 'first'), k.pattern(rec.route, 'last'),
      k.pattern(rec.route, 'live'), ...VERDICTS.map((v) => k.patternCounts(rec.route, v)), ...args);
  }

  /** Reads the pattern reply: the ids tracked, and those pervasive counting this record. */
  function readPatternReply(reply: unknown, patterns: readonly PatternKey[]): { tracked: Set<string>; pervasive: Set<string> } {
    const numbers = (Array.isArray(reply) ? reply : []).map(Number);
    const [comparisons = 0, liveChecks = 0] = numbers;
    const tracked = new Set<string>();
    const pervasive = new Set<string>();
    patterns.forEach((key, i) => {
      const count = numbers[2 + 2 * i] ?? -1;
      const liveCount = numbers[3 + 2 * i] ?? 0;
      if (count < 0) return;
      tracked.add(key.id);
      if (isPervasive({ count, liveCount }, comparisons, liveChecks)) pervasive.add(key.id);
    });
    return { tracked, pervasive };
  }

  async function readSamples(key: string, limit: number): Promise<Sample[]> {
    const entries = await redis.xrevrange(key, '+', '-', 'COUNT', limit);
    const out: Sample[] = [];
    for (const [, fields] of entries) {
      const json = field(fields, 'r');
      if (json === undefined) continue;
      try { out.push(JSON.parse(json) as Sample); } catch { /* a foreign entry: skip */ }
    }
    return out;
  }

  /** Looks for one sample id in a list of streams; only the matching entry is parsed. */
  async function findIn(streams: readonly string[], id: string, count: number): Promise<Sample | undefined> {
    if (streams.length === 0) return undefined;
    const p = redis.pipeline();
    for (const stream of streams) p.xrevrange(stream, '+', '-', 'COUNT', count);
    const results = (await p.exec()) ?? [];
    for (const [error, entries] of results) {
      if (error !== null) fail(error);
      for (const [, fields] of entries as [string, string[]][]) {
        if (field(fields, 'id') !== id) continue;
        try { return JSON.parse(field(fields, 'r') ?? '') as Sample; } catch { /* a foreign entry: skip */ }
      }
    }
    return undefined;
  }

  function routeSummary(route: string, part: (j: number) => Record<string, string>): RouteSummary {
    const summary = emptySummary(route);
    for (const [key, n] of Object.entries(part(0))) applyCount(summary, key, Number(n));
    summary.unexpectedByPath = toRecord(part(1));
    summary.noiseByPath = toRecord(part(2));
    summary.acceptedByPath = toRecord(part(3));
    const [keys, first, last, live, example] = [part(4), part(5), part(6), part(7), part(8)];
    VERDICTS.forEach((_verdict, v) => {
      for (const [id, n] of Object.entries(part(9 + v))) {
        let key: PatternKey;
        try { key = JSON.parse(keys[id] ?? '') as PatternKey; } catch { continue; }
        const counts: PatternCounts = { count: Number(n), liveCount: Number(live[id] ?? 0), firstSeen: Number(first[id] ?? 0), lastSeen: Number(last[id] ?? 0) };
        if (example[id] !== undefined) counts.example = example[id];
        summary.patterns.push(toDiffPattern(key, counts, summary.comparisons, summary.liveChecks));
      }
    });
    sortPatterns(summary.patterns);
    return withCoverage(summary);
  }

  // Per instance: instances sharing the store each keep their share of fresh samples.
  const gate = createSampleGate(samplesPerClass);

  return {
    keeps: (rec: ComparisonRecord) => gate.keeps(rec),
    async record(rec: ComparisonRecord, options: RecordOptions = {}) {
      if (closed) return;
      try {
        const d = counterDelta(rec);
        const patterns = [...patternsOf(rec).values()];
        const p = redis.pipeline();
        takePending(p);
        p.sadd(k.routes, rec.route);
        for (const [key, n] of d.counts) p.hincrby(k.counts(rec.route), key, n);
        for (const [verdict, paths] of [['unexpected', d.unexpectedPaths], ['noise', d.noisePaths], ['accepted', d.acceptedPaths]] as const) {
          if (paths.size === 0) continue;
          const args: (string | number)[] = [maxPaths];
          for (const [path, n] of paths) args.push(path, n);
          p.eval(CAPPED_HINCRBY, 1, k.paths(rec.route, verdict), ...args);
        }
        if (patterns.length > 0) countPatterns(p, rec, patterns);
        const counted = await exec(p);
        if (counted === undefined) return;
        const { tracked, pervasive } = patterns.length > 0 ? readPatternReply(counted[counted.length - 1]?.[1], patterns) : { tracked: new Set<string>(), pervasive: new Set<string>() };

        // Second round trip, only for records that keep a sample: pervasiveness is known from the counts just made.
        const folded = foldPervasive(rec, pervasive);
        const buckets = sampleBuckets(folded.record);
        const original = folded.pervasive.length === 0 ? buckets : sampleBuckets(rec);
        if (original.length === 0) { stats.recorded++; return; }
        const sample = options.sample !== false;
        // Offered as a sample: its quota counts even when pervasive findings fold it down to nothing worth keeping.
        if (sample) gate.kept(rec);
        const id = randomUUID();
        const s = redis.pipeline();
        if (buckets.length > 0 && sample) {
          const kept = storable(folded.record);
          const extra = { patterns: folded.patterns, ...(folded.pervasive.length > 0 ? { pervasive: folded.pervasive } : {}) };
          s.sadd(k.buckets(rec.route), ...buckets);
          for (const bucket of buckets) {
            const sample: Sample = { ...kept, bucket, id, ...extra };
            s.xadd(k.samples(rec.route, bucket), 'MAXLEN', '~', samplesPerClass, '*', 'r', JSON.stringify(sample), 'id', id);
          }
          const json = JSON.stringify({ ...kept, bucket: buckets[0]!, id, ...extra } satisfies Sample);
          for (const pid of folded.patterns) {
            if (!tracked.has(pid)) continue;
            s.xadd(k.patternSamples(rec.route, pid), 'MAXLEN', SAMPLES_PER_PATTERN, '*', 'r', json, 'id', id);
            s.hset(k.pattern(rec.route, 'example'), pid, id);
          }
        }
        s.xadd(k.events, 'MAXLEN', '~', streamMaxLen, '*', 'route', rec.route, 'result', rec.result, 'at', String(rec.at),
          'buckets', original.join(','), 'id', buckets.length > 0 && sample ? id : '');
        if (await exec(s) !== undefined) stats.recorded++;
      } catch (error) {
        // Never into the request path: count it and go on.
        writeFailed((error as Error).message);
      }
    },
    ...counterMethods(add),
    async summaries() {
      await flush();
      let routes: string[];
      try { routes = (await redis.smembers(k.routes)).sort(); } catch (error) { fail(error); }
      if (routes.length === 0) return [];
      const p = redis.pipeline();
      const PARTS = 12;
      for (const route of routes) {
        p.hgetall(k.counts(route));
        for (const verdict of VERDICTS) p.hgetall(k.paths(route, verdict));
        for (const part of ['key', 'first', 'last', 'live', 'example'] as const) p.hgetall(k.pattern(route, part));
        for (const verdict of VERDICTS) p.hgetall(k.patternCounts(route, verdict));
      }
      let results: [Error | null, unknown][] | null;
      try { results = await p.exec(); } catch (error) { fail(error); }
      if (results === null) fail(new Error('pipeline aborted'));
      return routes.map((route, i) => routeSummary(route, (j) => {
        const [error, value] = results[i * PARTS + j] ?? [new Error('missing reply'), null];
        if (error !== null) fail(error);
        return (value ?? {}) as Record<string, string>;
      }));
    },
    async samples(route, query = {}) {
      const limit = Math.max(0, Math.min(query.limit ?? samplesPerClass, samplesPerClass));
      if (limit === 0) return [];
      try {
        if (query.pattern !== undefined) {
          const list = await readSamples(k.patternSamples(route, query.pattern), SAMPLES_PER_PATTERN);
          return (query.class === undefined ? list : list.filter((s) => s.findings.some((f) => f.class === query.class))).slice(0, limit);
        }
        if (query.class !== undefined) return await readSamples(k.samples(route, query.class), limit);
        const buckets = await redis.smembers(k.buckets(route));
        const all = (await Promise.all(buckets.map((b) => readSamples(k.samples(route, b), limit)))).flat();
        const seen = new Set<string>();
        return all.sort((a, b) => b.at - a.at).filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true))).slice(0, limit);
      } catch (error) {
        if (error instanceof DiffError) throw error;
        fail(error);
      }
    },
    async sample(route, id) {
      try {
        const buckets = await redis.smembers(k.buckets(route));
        const inBuckets = await findIn(buckets.map((b) => k.samples(route, b)), id, samplesPerClass * 2);
        if (inBuckets !== undefined) return inBuckets;
        // A rare pattern keeps its samples after the class buckets have moved on.
        const p = redis.pipeline();
        for (const verdict of VERDICTS) p.hkeys(k.patternCounts(route, verdict));
        const ids = ((await p.exec()) ?? []).flatMap(([error, value]) => (error === null ? value as string[] : []));
        return await findIn(ids.map((pid) => k.patternSamples(route, pid)), id, SAMPLES_PER_PATTERN);
      } catch (error) {
        if (error instanceof DiffError) throw error;
        fail(error);
      }
    },
    async ready() {
      if (redis.status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => { redis.off('ready', onReady); resolve(false); }, connectTimeout);
        const onReady = (): void => { clearTimeout(timer); resolve(true); };
        redis.once('ready', onReady);
      });
    },
    stats() {
      return { ...stats };
    },
    async close() {
      if (closed) return;
      if (redis.status === 'ready') await flush();
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      closed = true;
      // QUIT needs a live connection; on a dead or reconnecting one it would wait forever, so just drop it.
      if (redis.status !== 'ready') { redis.disconnect(); return; }
      try { await redis.quit(); } catch { redis.disconnect(); }
    },
  };
}
