import { randomUUID } from 'node:crypto';
import type { ComparisonRecord, DiffStore, RouteSummary, Sample } from '../types.js';
import { DiffError } from '../errors.js';
import { applyCount, counterDelta, createSampleGate, emptySummary, sampleBuckets, storable } from './record.js';

/** MemoryDiffStoreOptions bounds a memory store. Defaults: 50 samples per class, 200 paths per map, 1000 routes. */
export interface MemoryDiffStoreOptions {
  samplesPerClass?: number;
  maxPathsPerRoute?: number;
  maxRoutes?: number;
}

interface RouteEntry {
  summary: RouteSummary;
  samples: Map<string, Sample[]>;
}

function addPath(map: Record<string, number>, path: string, n: number, cap: number): void {
  if (map[path] !== undefined) map[path] += n;
  else if (Object.keys(map).length < cap) map[path] = n;
}

/** createMemoryDiffStore keeps counters and redacted samples in this process, bounded per route and class. */
export function createMemoryDiffStore(opts: MemoryDiffStoreOptions = {}): DiffStore {
  const samplesPerClass = opts.samplesPerClass ?? 50;
  const maxPaths = opts.maxPathsPerRoute ?? 200;
  const maxRoutes = opts.maxRoutes ?? 1000;
  if (!(samplesPerClass >= 1 && maxPaths >= 1 && maxRoutes >= 1)) throw new DiffError('DIFF_BAD_OPTIONS', 'memory store bounds must be ≥ 1');
  const routes = new Map<string, RouteEntry>();
  const gate = createSampleGate(samplesPerClass);

  return {
    keeps: (route, buckets, at) => gate.keeps(route, buckets, at),
    async record(rec, options = {}) {
      let entry = routes.get(rec.route);
      if (entry === undefined) {
        if (routes.size >= maxRoutes) return;
        entry = { summary: emptySummary(rec.route), samples: new Map() };
        routes.set(rec.route, entry);
      }
      const d = counterDelta(rec);
      for (const [k, n] of d.counts) applyCount(entry.summary, k, n);
      for (const [p, n] of d.unexpectedPaths) addPath(entry.summary.unexpectedByPath, p, n, maxPaths);
      for (const [p, n] of d.noisePaths) addPath(entry.summary.noiseByPath, p, n, maxPaths);
      for (const [p, n] of d.acceptedPaths) addPath(entry.summary.acceptedByPath, p, n, maxPaths);
      const buckets = sampleBuckets(rec);
      if (buckets.length === 0 || options.sample === false) return;
      gate.kept(rec.route, buckets, rec.at);
      const kept = storable(rec);
      const id = randomUUID();
      for (const bucket of buckets) {
        let list = entry.samples.get(bucket);
        if (list === undefined) { list = []; entry.samples.set(bucket, list); }
        list.push({ ...kept, bucket, id });
        if (list.length > samplesPerClass) list.shift();
      }
    },
    async summaries() {
      return [...routes.values()].map((e) => structuredClone(e.summary));
    },
    async samples(route, query = {}) {
      const entry = routes.get(route);
      if (entry === undefined) return [];
      const limit = query.limit ?? samplesPerClass;
      let list: Sample[];
      if (query.class !== undefined) list = [...(entry.samples.get(query.class) ?? [])].reverse();
      else {
        const seen = new Set<string>();
        list = [...entry.samples.values()].flat().sort((a, b) => b.at - a.at).filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
      }
      return structuredClone(list.slice(0, Math.max(0, limit)));
    },
    async close() {
      routes.clear();
    },
  };
}

/** withoutStoreFields returns a stored sample as the record it was made from (without bucket and id). */
export function withoutStoreFields(sample: Sample): ComparisonRecord {
  const { bucket: _bucket, id: _id, ...rec } = sample;
  return rec;
}
