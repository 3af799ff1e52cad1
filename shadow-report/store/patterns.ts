/**
 * Patterns: a finding folded over requests to (verdict, class, path with indices folded, endpoint), the unit people
 * read first (DESIGN.md "Comparison vocabulary"). Shared by the memory and the Redis store so both fold, count and
 * judge pervasiveness the same way.
 */
import { createHash } from 'node:crypto';
import type { ComparisonRecord, DiffClass, DiffPattern, JudgedFinding, PatternVerdict, SampleRequest } from '../types.js';
import { normalizePath } from '../paths.js';
import { looksGenerated } from '../generated.js';
import { PLACEHOLDER_SOURCE } from '../placeholder.js';

/** PERVASIVE_SHARE is the share of a route's comparisons a pattern must reach to be pervasive. */
export const PERVASIVE_SHARE = 0.9;
/** PERVASIVE_MIN_COMPARISONS is how many comparisons a route needs before any pattern can be pervasive. */
export const PERVASIVE_MIN_COMPARISONS = 20;
/** PATTERNS_PER_VERDICT bounds the patterns a store tracks per route and verdict (so noise cannot crowd out unexpected). */
export const PATTERNS_PER_VERDICT = 100;
/** SAMPLES_PER_PATTERN is how many samples a store keeps per pattern, for GET …/samples?pattern=. */
export const SAMPLES_PER_PATTERN = 3;
/** ANY_ENDPOINT is the endpoint of a record that names no request. */
export const ANY_ENDPOINT = '*';

/** PatternKey is what identifies a pattern (its id is a hash of it), plus the latest reason. */
export interface PatternKey {
  id: string;
  verdict: PatternVerdict;
  class: DiffClass;
  path: string;
  endpoint: string;
  reason?: string;
}

/** PatternCounts is what a store keeps per pattern besides its key. */
export interface PatternCounts {
  count: number;
  /** Of `count`, how many came from live (Mode 2) records. */
  liveCount: number;
  firstSeen: number;
  lastSeen: number;
  example?: string;
}

const VERDICTS: ReadonlySet<string> = new Set<PatternVerdict>(['unexpected', 'noise', 'accepted']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HAS_PLACEHOLDER = new RegExp(PLACEHOLDER_SOURCE);
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** True for a URL path segment that names one thing rather than an endpoint: ids, tokens, placeholders, e-mails. */
function isIdSegment(segment: string): boolean {
  if (/^\d+$/.test(segment) || UUID.test(segment) || HAS_PLACEHOLDER.test(segment)) return true;
  let decoded = segment;
  try { decoded = decodeURIComponent(segment); } catch { /* keep raw */ }
  return HAS_PLACEHOLDER.test(decoded) || EMAIL.test(decoded) || looksGenerated(decoded);
}

/**
 * A small memo: every comparison of a busy route asks for the same few endpoints and pattern ids, each a regex pass
 * or a sha256. Cleared when full, so a stream of distinct paths costs what it did without it.
 */
function memo(limit: number): (key: string, make: () => string) => string {
  const cache = new Map<string, string>();
  return (key, make) => {
    let value = cache.get(key);
    if (value === undefined) {
      if (cache.size >= limit) cache.clear();
      value = make();
      cache.set(key, value);
    }
    return value;
  };
}
const endpoints = memo(1_000);
const patternIds = memo(10_000);

/** endpointOf names the endpoint of a request: `PUT /api/approve`, `GET /api/users/{id}` (query dropped, ids folded). */
export function endpointOf(request: Pick<SampleRequest, 'method' | 'path'> | undefined): string {
  if (request === undefined) return ANY_ENDPOINT;
  const path = request.path.split('?', 1)[0] ?? '';
  return endpoints(`${request.method} ${path}`, () => {
    const folded = path.split('/').map((segment) => (segment !== '' && isIdSegment(segment) ? '{id}' : segment)).join('/');
    return `${request.method.toUpperCase()} ${folded === '' ? '/' : folded}`;
  });
}

/** patternId is the stable id of a pattern: the first 16 hex digits of sha256(verdict|class|path|endpoint). */
export function patternId(verdict: string, cls: string, path: string, endpoint: string): string {
  const key = `${verdict}|${cls}|${path}|${endpoint}`;
  return patternIds(key, () => createHash('sha256').update(key).digest('hex').slice(0, 16));
}

/** findingPattern folds one judged finding of a request to its pattern key; undefined for ignored findings. */
export function findingPattern(f: JudgedFinding, endpoint: string): PatternKey | undefined {
  if (!VERDICTS.has(f.verdict)) return undefined;
  const path = normalizePath(f.path);
  const key: PatternKey = { id: patternId(f.verdict, f.class, path, endpoint), verdict: f.verdict as PatternVerdict, class: f.class, path, endpoint };
  if (f.reason !== undefined) key.reason = f.reason;
  return key;
}

/** patternsOf returns the distinct patterns of one record (a pattern counts once per comparison). */
export function patternsOf(rec: ComparisonRecord): Map<string, PatternKey> {
  const endpoint = endpointOf(rec.request);
  const out = new Map<string, PatternKey>();
  for (const f of rec.findings) {
    const key = findingPattern(f, endpoint);
    if (key !== undefined) out.set(key.id, key);
  }
  return out;
}

/** patternShare is count ÷ the comparisons it could have been on: comparisons, plus live checks when live records had it. */
export function patternShare(counts: Pick<PatternCounts, 'count' | 'liveCount'>, comparisons: number, liveChecks: number): number {
  const denominator = (counts.count > counts.liveCount ? comparisons : 0) + (counts.liveCount > 0 ? liveChecks : 0);
  return denominator <= 0 ? 0 : Math.min(1, counts.count / denominator);
}

/** isPervasive is true for a pattern on nearly every comparison of its route (named constants above). */
export function isPervasive(counts: Pick<PatternCounts, 'count' | 'liveCount'>, comparisons: number, liveChecks: number): boolean {
  const seen = (counts.count > counts.liveCount ? comparisons : 0) + (counts.liveCount > 0 ? liveChecks : 0);
  return seen >= PERVASIVE_MIN_COMPARISONS && patternShare(counts, comparisons, liveChecks) >= PERVASIVE_SHARE;
}

/** FoldedRecord is a record as stored: pervasive findings folded out, the pattern ids it keeps and folded. */
export interface FoldedRecord {
  record: ComparisonRecord;
  patterns: string[];
  pervasive: string[];
}

/**
 * foldPervasive removes the findings of pervasive patterns from a record: they are shown once, as patterns on the
 * route summary, and listed by id on the sample instead of repeated in full in every one.
 */
export function foldPervasive(rec: ComparisonRecord, pervasive: ReadonlySet<string>): FoldedRecord {
  const endpoint = endpointOf(rec.request);
  const kept: JudgedFinding[] = [];
  const patterns = new Set<string>();
  const folded = new Set<string>();
  for (const f of rec.findings) {
    const key = findingPattern(f, endpoint);
    if (key !== undefined && pervasive.has(key.id)) { folded.add(key.id); continue; }
    if (key !== undefined) patterns.add(key.id);
    kept.push(f);
  }
  return { record: folded.size === 0 ? rec : { ...rec, findings: kept }, patterns: [...patterns], pervasive: [...folded] };
}

const VERDICT_ORDER: Record<PatternVerdict, number> = { unexpected: 0, noise: 1, accepted: 2 };

/** toDiffPattern builds the reported pattern from its key and counts, given the route's comparisons and live checks. */
export function toDiffPattern(key: PatternKey, counts: PatternCounts, comparisons: number, liveChecks: number): DiffPattern {
  const out: DiffPattern = {
    id: key.id, verdict: key.verdict, class: key.class, path: key.path, endpoint: key.endpoint,
    count: counts.count, share: patternShare(counts, comparisons, liveChecks),
    firstSeen: counts.firstSeen, lastSeen: counts.lastSeen, pervasive: isPervasive(counts, comparisons, liveChecks),
  };
  if (key.reason !== undefined) out.reason = key.reason;
  if (counts.example !== undefined) out.example = counts.example;
  return out;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** sortPatterns orders patterns for reading: unexpected, noise, accepted; then most frequent first; then by path and endpoint. */
export function sortPatterns(patterns: DiffPattern[]): DiffPattern[] {
  return patterns.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.count - a.count
    || byText(a.path, b.path) || byText(a.endpoint, b.endpoint) || byText(a.class, b.class) || byText(a.id, b.id));
}
