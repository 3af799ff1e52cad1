import { randomUUID } from 'node:crypto';
import type { ComparisonRecord, DiffStore, PatternVerdict, RouteSummary, Sample } from '../types.js';
import { DiffError } from '../errors.js';
import { applyCount, counterDelta, counterMethods, emptySummary, sampleBuckets, storable, withCoverage } from './record.js';
import {
  PATTERNS_PER_VERDICT, SAMPLES_PER_PATTERN, foldPervasive, isPervasive, patternsOf, sortPatterns, toDiffPattern,
  type PatternCounts, type PatternKey,
} from './patterns.js';
import { createSampleGate } from './sample-gate.js';

/** MemoryDiffStoreOptions bounds a memory store. Defaults: 50 samples per class, 200 paths per map, 100 patterns per verdict, 1000 routes. */
export interface MemoryDiffStoreOptions {
  samplesPerClass?: number;
  maxPathsPerRoute?: number;
  maxPatternsPerVerdict?: number;
  maxRoutes?: number;
}

interface PatternEntry { key: PatternKey; counts: PatternCounts; samples: Sample[] }

interface RouteEntry {
  summary: RouteSummary;
  samples: Map<string, Sample[]>;
  patterns: Map<string, PatternEntry>;
  patternsByVerdict: Record<PatternVerdict, number>;
}

function addPath(map: Record<string, number>, path: string, n: number, cap: number): void {
  if (map[path] !== undefined) map[path] += n;
  else if (Object.keys(map).length < cap) map[path] = n;
}

function keep(list: Sample[], sample: Sample, cap: number): void {
  list.push(sample);
  if (list.length > cap) list.shift();
}

/** createMemoryDiffStore keeps counters, patterns and redacted samples in this process, bounded per route, class and pattern. */
export function createMemoryDiffStore(opts: MemoryDiffStoreOptions = {}): DiffStore {
  const samplesPerClass = opts.samplesPerClass ?? 50;
  const maxPaths = opts.maxPathsPerRoute ?? 200;
  const maxPatterns = opts.maxPatternsPerVerdict ?? PATTERNS_PER_VERDICT;
  const maxRoutes = opts.maxRoutes ?? 1000;
  if (!(samplesPerClass >= 1 && maxPaths >= 1 && maxPatterns >= 1 && maxRoutes >= 1)) throw new DiffError('DIFF_BAD_OPTIONS', 'memory store bounds must be ≥ 1');
  const routes = new Map<string, RouteEntry>();
  const gate = createSampleGate(samplesPerClass);

  function entryOf(route: string): RouteEntry | undefined {
    let entry = routes.get(route);
    if (entry === undefined) {
      if (routes.size >= maxRoutes) return undefined;
      entry = { summary: emptySummary(route), samples: new Map(), patterns: new Map(), patternsByVerdict: { unexpected: 0, noise: 0, accepted: 0 } };
      routes.set(route, entry);
    }
    return entry;
  }

  function count(route: string, keys: readonly string[]): void {
    const entry = entryOf(route);
    if (entry !== undefined) for (const k of keys) applyCount(entry.summary, k, 1);
  }

  /** Counts the record's patterns; returns those pervasive counting this record. */
  function countPatterns(entry: RouteEntry, rec: ComparisonRecord): Set<string> {
    const pervasive = new Set<string>();
    const { comparisons, liveChecks } = entry.summary;
    for (const key of patternsOf(rec).values()) {
      let p = entry.patterns.get(key.id);
      if (p === undefined) {
        if (entry.patternsByVerdict[key.verdict] >= maxPatterns) continue;
        entry.patternsByVerdict[key.verdict]++;
        p = { key, counts: { count: 0, liveCount: 0, firstSeen: rec.at, lastSeen: rec.at }, samples: [] };
        entry.patterns.set(key.id, p);
      }
      p.key = key; // the latest reason wins
      p.counts.count++;
      if (rec.live === true) p.counts.liveCount++;
      p.counts.lastSeen = Math.max(p.counts.lastSeen, rec.at);
      p.counts.firstSeen = Math.min(p.counts.firstSeen, rec.at);
      if (isPervasive(p.counts, comparisons, liveChecks)) pervasive.add(key.id);
    }
    return pervasive;
  }

  function find(entry: RouteEntry, id: string): Sample | undefined {
    for (const list of entry.samples.values()) for (const s of list) if (s.id === id) return s;
    for (const p of entry.patterns.values()) for (const s of p.samples) if (s.id === id) return s;
    return undefined;
  }

  return {
    keeps: (rec) => gate.keeps(rec),
    async record(rec, options = {}) {
      const entry = entryOf(rec.route);
      if (entry === undefined) return;
      const d = counterDelta(rec);
      for (const [k, n] of d.counts) applyCount(entry.summary, k, n);
      for (const [p, n] of d.unexpectedPaths) addPath(entry.summary.unexpectedByPath, p, n, maxPaths);
      for (const [p, n] of d.noisePaths) addPath(entry.summary.noiseByPath, p, n, maxPaths);
      for (const [p, n] of d.acceptedPaths) addPath(entry.summary.acceptedByPath, p, n, maxPaths);
      const folded = foldPervasive(rec, countPatterns(entry, rec));
      const buckets = sampleBuckets(folded.record);
      // Offered as a sample: its quota counts even when pervasive findings fold it down to nothing worth keeping.
      if (options.sample !== false && sampleBuckets(rec).length > 0) gate.kept(rec);
      if (buckets.length === 0 || options.sample === false) return;
      const kept = storable(folded.record);
      const id = randomUUID();
      const extra = { patterns: folded.patterns, ...(folded.pervasive.length > 0 ? { pervasive: folded.pervasive } : {}) };
      for (const bucket of buckets) {
        let list = entry.samples.get(bucket);
        if (list === undefined) { list = []; entry.samples.set(bucket, list); }
        keep(list, { ...kept, bucket, id, ...extra }, samplesPerClass);
      }
      for (const pid of folded.patterns) {
        const p = entry.patterns.get(pid);
        if (p === undefined) continue;
        p.counts.example = id;
        keep(p.samples, { ...kept, bucket: buckets[0]!, id, ...extra }, SAMPLES_PER_PATTERN);
      }
    },
    ...counterMethods(count),
    async summaries() {
      return [...routes.values()].map((e) => {
        const summary = structuredClone(e.summary);
        summary.patterns = sortPatterns([...e.patterns.values()].map((p) => toDiffPattern(p.key, p.counts, summary.comparisons, summary.liveChecks)));
        return withCoverage(summary);
      });
    },
    async samples(route, query = {}) {
      const entry = routes.get(route);
      if (entry === undefined) return [];
      const limit = query.limit ?? samplesPerClass;
      let list: Sample[];
      if (query.pattern !== undefined) list = [...(entry.patterns.get(query.pattern)?.samples ?? [])].reverse();
      else if (query.class !== undefined) list = [...(entry.samples.get(query.class) ?? [])].reverse();
      else {
        const seen = new Set<string>();
        list = [...entry.samples.values()].flat().sort((a, b) => b.at - a.at).filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
      }
      if (query.pattern !== undefined && query.class !== undefined) list = list.filter((s) => s.findings.some((f) => f.class === query.class));
      return structuredClone(list.slice(0, Math.max(0, limit)));
    },
    async sample(route, id) {
      const entry = routes.get(route);
      const found = entry === undefined ? undefined : find(entry, id);
      return found === undefined ? undefined : structuredClone(found);
    },
    async close() {
      routes.clear();
    },
  };
}

/** withoutStoreFields returns a stored sample as the record it was made from (without bucket, id and pattern ids). */
export function withoutStoreFields(sample: Sample): ComparisonRecord {
  const { bucket: _bucket, id: _id, patterns: _patterns, pervasive: _pervasive, ...rec } = sample;
  return rec;
}
