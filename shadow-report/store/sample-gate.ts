/**
 * Which comparisons a store keeps as samples: every one until a sample bucket (class) or a pattern holds its quota,
 * then at most one per SAMPLE_REFRESH_MS each, so samples stay recent. Asked before a sample is built: a comparison
 * the store would not keep is only counted, and its parts are never redacted or copied (issue #13: redaction was a
 * sixth of a mirrored request's CPU). Shared by the memory and the Redis store.
 */
import type { ComparisonRecord } from '../types.js';
import { sampleBuckets } from './record.js';
import { endpointOf, SAMPLES_PER_PATTERN } from './patterns.js';
import { normalizePath } from '../paths.js';

const PATTERN_VERDICTS: ReadonlySet<string> = new Set(['unexpected', 'noise', 'accepted']);

/** SAMPLE_REFRESH_MS: a full bucket or pattern takes at most one new sample per this interval. */
export const SAMPLE_REFRESH_MS = 1_000;

/** SampleGate decides per record; `kept` notes a record that was kept. */
export interface SampleGate {
  keeps(rec: ComparisonRecord): boolean;
  kept(rec: ComparisonRecord): void;
}

interface Quota { key: string; cap: number }

/** createSampleGate bounds buckets to samplesPerClass and patterns to SAMPLES_PER_PATTERN. */
export function createSampleGate(samplesPerClass: number, refreshMs = SAMPLE_REFRESH_MS): SampleGate {
  const state = new Map<string, { count: number; lastAt: number }>();

  function quotas(rec: ComparisonRecord): Quota[] {
    const out: Quota[] = sampleBuckets(rec).map((bucket) => ({ key: `${rec.route}\u0000b\u0000${bucket}`, cap: samplesPerClass }));
    if (out.length === 0) return out;
    const endpoint = endpointOf(rec.request);
    for (const finding of rec.findings) {
      // The pattern's identity (patterns.ts patternId hashes the same parts; the gate needs no hash).
      if (!PATTERN_VERDICTS.has(finding.verdict)) continue;
      out.push({ key: `${rec.route}\u0000p\u0000${finding.verdict}|${finding.class}|${normalizePath(finding.path)}|${endpoint}`, cap: SAMPLES_PER_PATTERN });
    }
    return out;
  }

  return {
    keeps(rec) {
      for (const { key, cap } of quotas(rec)) {
        const entry = state.get(key);
        if (entry === undefined || entry.count < cap || rec.at - entry.lastAt >= refreshMs || rec.at < entry.lastAt) return true;
      }
      return false;
    },
    kept(rec) {
      for (const { key, cap } of quotas(rec)) {
        const entry = state.get(key);
        if (entry === undefined) state.set(key, { count: 1, lastAt: rec.at });
        else { entry.count = Math.min(cap, entry.count + 1); entry.lastAt = rec.at; }
      }
    },
  };
}
