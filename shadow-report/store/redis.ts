/**
 * A DiffStore in Redis, shared by every figway instance and surviving restarts:
 * - per route, hash counters (HINCRBY) `<prefix>:r:<route>:counts`, and per-path hashes capped by a small Lua script;
 * - per route and bucket, a capped stream of redacted samples (`XADD … MAXLEN ~ samplesPerClass`);
 * - one capped event stream `<prefix>:events` (`XADD … MAXLEN ~ streamMaxLen`) with one compact line per non-matching
 *   comparison, for live tails.
 * A dead or slow Redis never blocks or breaks the caller: commands have a timeout, are not queued while offline, and
 * `record` counts failures instead of throwing (see `stats()`).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ComparisonRecord, DiffStore, RecordOptions, RouteSummary, Sample } from '../types.js';
import { DiffError } from '../errors.js';
import { applyCount, counterDelta, createSampleGate, emptySummary, sampleBuckets, storable } from './record.js';

/** RedisDiffStoreOptions: where and how much. Defaults: 10 000 events, 50 samples per class, 200 paths, 200 ms timeout. */
export interface RedisDiffStoreOptions {
  url: string;
  streamMaxLen?: number;
  samplesPerClass?: number;
  maxPathsPerRoute?: number;
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

// Increment per-path counters, but never let one hash grow beyond the cap (ARGV[1]); pairs of field/increment follow.
const CAPPED_HINCRBY = `
local cap = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 or redis.call('HLEN', KEYS[1]) < cap then
    redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1`;

function toRecord(map: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(map)) out[k] = Number(v);
  return out;
}

/** createRedisDiffStore connects (in the background) and returns the store at once. */
export function createRedisDiffStore(opts: RedisDiffStoreOptions): RedisDiffStore {
  const prefix = opts.prefix ?? 'figway:diff';
  const streamMaxLen = opts.streamMaxLen ?? 10_000;
  const samplesPerClass = opts.samplesPerClass ?? 50;
  const maxPaths = opts.maxPathsPerRoute ?? 200;
  const connectTimeout = opts.connectTimeoutMs ?? 1_000;
  if (!(streamMaxLen >= 1 && samplesPerClass >= 1 && maxPaths >= 1)) throw new DiffError('DIFF_BAD_OPTIONS', 'redis store bounds must be ≥ 1');
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

  const k = {
    routes: `${prefix}:routes`,
    events: `${prefix}:events`,
    counts: (route: string) => `${prefix}:r:${route}:counts`,
    paths: (route: string, verdict: string) => `${prefix}:r:${route}:paths:${verdict}`,
    buckets: (route: string) => `${prefix}:r:${route}:buckets`,
    samples: (route: string, bucket: string) => `${prefix}:r:${route}:s:${bucket}`,
  };

  function fail(error: unknown): never {
    throw new DiffError('DIFF_STORE_UNAVAILABLE', (error as Error).message, { cause: error });
  }

  async function readSamples(route: string, bucket: string, limit: number): Promise<Sample[]> {
    const entries = await redis.xrevrange(k.samples(route, bucket), '+', '-', 'COUNT', limit);
    const out: Sample[] = [];
    for (const [, fields] of entries) {
      const i = fields.indexOf('r');
      if (i === -1 || fields[i + 1] === undefined) continue;
      try { out.push(JSON.parse(fields[i + 1] as string) as Sample); } catch { /* a foreign entry: skip */ }
    }
    return out;
  }

  // Per instance: instances sharing the store each keep at most their share of fresh samples.
  const gate = createSampleGate(samplesPerClass);

  return {
    keeps: (route: string, buckets: readonly string[], at: number) => gate.keeps(route, buckets, at),
    async record(rec: ComparisonRecord, options: RecordOptions = {}) {
      if (closed) return;
      try {
        const d = counterDelta(rec);
        const p = redis.pipeline();
        p.sadd(k.routes, rec.route);
        for (const [field, n] of d.counts) p.hincrby(k.counts(rec.route), field, n);
        for (const [verdict, paths] of [['unexpected', d.unexpectedPaths], ['noise', d.noisePaths], ['accepted', d.acceptedPaths]] as const) {
          if (paths.size === 0) continue;
          const args: (string | number)[] = [maxPaths];
          for (const [path, n] of paths) args.push(path, n);
          p.eval(CAPPED_HINCRBY, 1, k.paths(rec.route, verdict), ...args);
        }
        const buckets = sampleBuckets(rec);
        if (buckets.length > 0 && options.sample === false) {
          p.xadd(k.events, 'MAXLEN', '~', streamMaxLen, '*', 'route', rec.route, 'result', rec.result, 'at', String(rec.at),
            'buckets', buckets.join(','), 'id', '');
        } else if (buckets.length > 0) {
          gate.kept(rec.route, buckets, rec.at);
          const kept = storable(rec);
          const id = randomUUID();
          p.sadd(k.buckets(rec.route), ...buckets);
          for (const bucket of buckets) {
            const sample: Sample = { ...kept, bucket, id };
            p.xadd(k.samples(rec.route, bucket), 'MAXLEN', '~', samplesPerClass, '*', 'r', JSON.stringify(sample));
          }
          p.xadd(k.events, 'MAXLEN', '~', streamMaxLen, '*', 'route', rec.route, 'result', rec.result, 'at', String(rec.at),
            'buckets', buckets.join(','), 'id', id);
        }
        const results = await p.exec();
        const failed = results?.find(([error]) => error !== null);
        if (results === null || failed !== undefined) {
          stats.writeErrors++;
          stats.lastError = failed?.[0]?.message ?? 'pipeline aborted';
          return;
        }
        stats.recorded++;
      } catch (error) {
        // Never into the request path: count it and go on.
        stats.writeErrors++;
        stats.lastError = (error as Error).message;
      }
    },
    async summaries() {
      let routes: string[];
      try { routes = (await redis.smembers(k.routes)).sort(); } catch (error) { fail(error); }
      if (routes.length === 0) return [];
      const p = redis.pipeline();
      for (const route of routes) {
        p.hgetall(k.counts(route));
        p.hgetall(k.paths(route, 'unexpected'));
        p.hgetall(k.paths(route, 'noise'));
        p.hgetall(k.paths(route, 'accepted'));
      }
      let results: [Error | null, unknown][] | null;
      try { results = await p.exec(); } catch (error) { fail(error); }
      if (results === null) fail(new Error('pipeline aborted'));
      const out: RouteSummary[] = [];
      routes.forEach((route, i) => {
        const part = (j: number): Record<string, string> => {
          const [error, value] = results[i * 4 + j] ?? [new Error('missing reply'), null];
          if (error !== null) fail(error);
          return (value ?? {}) as Record<string, string>;
        };
        const summary = emptySummary(route);
        for (const [key, n] of Object.entries(part(0))) applyCount(summary, key, Number(n));
        summary.unexpectedByPath = toRecord(part(1));
        summary.noiseByPath = toRecord(part(2));
        summary.acceptedByPath = toRecord(part(3));
        out.push(summary);
      });
      return out;
    },
    async samples(route, query = {}) {
      const limit = Math.max(0, Math.min(query.limit ?? samplesPerClass, samplesPerClass));
      if (limit === 0) return [];
      try {
        if (query.class !== undefined) return await readSamples(route, query.class, limit);
        const buckets = await redis.smembers(k.buckets(route));
        const all = (await Promise.all(buckets.map((b) => readSamples(route, b, limit)))).flat();
        const seen = new Set<string>();
        return all.sort((a, b) => b.at - a.at).filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true))).slice(0, limit);
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
      closed = true;
      // QUIT needs a live connection; on a dead or reconnecting one it would wait forever, so just drop it.
      if (redis.status !== 'ready') { redis.disconnect(); return; }
      try { await redis.quit(); } catch { redis.disconnect(); }
    },
  };
}
