/**
 * The comparison vocabulary shared by the mirror (proxy/), the Redis comparison and the report.
 * See DESIGN.md "Comparison vocabulary".
 */

/** DiffClass names one kind of difference between the legacy and the new side. */
export type DiffClass =
  | 'status'
  | 'header'
  | 'missing-field'
  | 'extra-field'
  | 'value'
  | 'type'
  | 'key-casing'
  | 'null-vs-absent'
  | 'array-order'
  | 'array-length'
  | 'body-text'
  | 'body-encoding'
  | 'redis-missing-key'
  | 'redis-extra-key'
  | 'redis-ttl'
  | 'redis-type'
  | 'redis-shape'
  | 'redis-key-renamed'
  | 'redis-missing-write'
  | 'redis-extra-write';

/**
 * Classes that can never be noise, declared, learned or measured: a casing, type or status change, a field that is
 * gone, and every Redis class are always real differences (issue #9: noise must never hide a regression).
 */
export const NEVER_NOISE: ReadonlySet<DiffClass> = new Set<DiffClass>([
  'status', 'type', 'key-casing', 'missing-field',
  'redis-missing-key', 'redis-extra-key', 'redis-ttl', 'redis-type', 'redis-shape', 'redis-key-renamed', 'redis-missing-write', 'redis-extra-write',
]);

/** isNeverNoise is true for a NEVER_NOISE class and for any `redis-*` class, also one added later. */
export function isNeverNoise(cls: string): boolean {
  return NEVER_NOISE.has(cls as DiffClass) || cls.startsWith('redis-');
}

/** Side names a request can be served by. */
export type Side = 'legacy' | 'new';

/** Finding is one classified difference. `path` is dotted: status, header.<name>, body, body.a.b[2].c, redis.<key name>.<field>. */
export interface Finding {
  class: DiffClass;
  path: string;
  /** The legacy value (redacted before storage). Absent when the field does not exist on that side. */
  legacy?: unknown;
  /** The new side's value. */
  candidate?: unknown;
  /** Id of the rule that produced it. */
  rule: string;
}

/** How a finding was judged after ignore/noise/accept rules. */
export type Verdict = 'unexpected' | 'noise' | 'accepted' | 'ignored';

/** NoiseSource says why a finding is noise: declared in config, learned from traffic, or measured legacy vs legacy. */
export type NoiseSource = 'declared' | 'learned' | 'measured';

/** JudgedFinding is a finding plus its verdict and, when accepted, the rule's reason; when noise, its NoiseSource. */
export interface JudgedFinding extends Finding {
  verdict: Verdict;
  reason?: string;
}

/** A captured HTTP answer, as the mirror hands it to the comparison engine. */
export interface CapturedResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** True when the body was larger than the capture cap and is cut. */
  truncated?: boolean;
}

/** A captured request (redacted before it is stored). */
export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Overall result of one comparison. */
export type ComparisonResult = 'match' | 'differ' | 'noise-only' | 'accepted-only' | 'error' | 'skipped';

// ---------------------------------------------------------------------------------------------------------------
// Additions by the comparison engine (shadow-report/). Additive only: nothing above is renamed.
// ---------------------------------------------------------------------------------------------------------------

/** DIFF_CLASSES lists every DiffClass, so tests and validators can check a class name. */
export const DIFF_CLASSES: readonly DiffClass[] = [
  'status', 'header', 'missing-field', 'extra-field', 'value', 'type', 'key-casing', 'null-vs-absent', 'array-order',
  'array-length', 'body-text', 'body-encoding', 'redis-missing-key', 'redis-extra-key', 'redis-ttl', 'redis-type', 'redis-shape',
  'redis-key-renamed', 'redis-missing-write', 'redis-extra-write',
];

/** SkipReason says why a comparison (or its body part) was not done. */
export type SkipReason = 'body-too-large' | 'truncated' | 'unsupported-encoding' | 'undecodable';

/** SampleRequest is a redacted request as kept in a stored sample (body as text, clipped). */
export interface SampleRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bodyClipped?: boolean;
}

/** SampleResponse is a redacted response as kept in a stored sample (body decoded to text, clipped). */
export interface SampleResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  bodyClipped?: boolean;
}

/**
 * RedisSample is what both sides hold under one Redis key of a comparison, for the sample view: the declared (or
 * discovered) key name, each side's actual key and value. Redacted like finding values before it is stored.
 */
export interface RedisSample {
  name: string;
  legacyKey?: string;
  newKey?: string;
  legacy?: unknown;
  new?: unknown;
}

/** ComparisonRecord is the redacted outcome of one comparison, as handed to a DiffStore. */
export interface ComparisonRecord {
  route: string;
  /** Epoch milliseconds. */
  at: number;
  result: ComparisonResult;
  /** The side whose answer the client got. */
  primary: Side;
  /** Judged findings, legacy-vs-new, redacted. Ignored findings are left out. */
  findings: JudgedFinding[];
  request?: SampleRequest;
  legacy?: SampleResponse;
  candidate?: SampleResponse;
  skipped?: { reason: SkipReason; detail?: string };
  error?: { code: string; message: string };
  /** Both sides' Redis keys and values (redacted), when the comparison read any. */
  redis?: RedisSample[];
  /**
   * True for the findings of a Mode 2 live check (live split traffic, no mirror). Such a record adds its findings,
   * patterns and sample but is no comparison: live checks are counted by DiffStore.liveCheck, clean or not.
   */
  live?: boolean;
  /** True when both answers came from shadow deployments (dual mirroring): the client's own answer was not compared. */
  shadows?: boolean;
}

/** Sample is a stored ComparisonRecord plus the bucket it was kept under (a class, `noise`, `accepted`, `error`, `skipped`). */
export interface Sample extends ComparisonRecord {
  bucket: string;
  /** Store-assigned id; the same record kept under several buckets has one id. */
  id: string;
  /** Ids of the DiffPatterns of the findings this sample keeps. */
  patterns?: string[];
  /** Ids of pervasive DiffPatterns this comparison also had: folded out of `findings`, shown once on the route. */
  pervasive?: string[];
}

/** PatternVerdict is the verdict of a DiffPattern (ignored findings make none). */
export type PatternVerdict = 'unexpected' | 'noise' | 'accepted';

/**
 * DiffPattern is a finding folded over requests: verdict, class, path (indices folded to `[*]`) and endpoint (method and
 * request path, ids folded to `{id}`), with how many comparisons had it and when. What people read first.
 */
export interface DiffPattern {
  /** Stable: a hash of verdict|class|path|endpoint. */
  id: string;
  verdict: PatternVerdict;
  class: DiffClass;
  path: string;
  /** `PUT /api/approve`, `GET /api/users/{id}`; `*` when the record named no request. */
  endpoint: string;
  /** Comparisons (and live checks) that had it. */
  count: number;
  /** count ÷ the route's comparisons (live checks for a pattern seen only in live checks), 0..1. */
  share: number;
  /** Epoch ms. */
  firstSeen: number;
  lastSeen: number;
  /** On nearly every comparison of the route (≥ PERVASIVE_SHARE after ≥ PERVASIVE_MIN_COMPARISONS): shown once, folded out of samples. */
  pervasive: boolean;
  /** accepted: the rule's reason; noise: its NoiseSource. */
  reason?: string;
  /** Id of a stored sample that shows it in full. */
  example?: string;
}

/** RouteSummary holds the counters a DiffStore keeps per route. Path maps are bounded and use normalized paths (`[*]`). */
export interface RouteSummary {
  route: string;
  comparisons: number;
  matches: number;
  /** Comparisons with at least one unexpected finding. */
  differ: number;
  noiseOnly: number;
  acceptedOnly: number;
  errors: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  /** Unexpected findings (not comparisons). */
  unexpected: number;
  unexpectedByClass: Record<string, number>;
  unexpectedByPath: Record<string, number>;
  noise: number;
  noiseByPath: Record<string, number>;
  accepted: number;
  acceptedByPath: Record<string, number>;
  /** Requests sampled for a shadow comparison (each ends as one comparison or one drop). */
  sampled: number;
  /** Sampled shadows that ended without a comparison, in all and by reason. */
  dropped: number;
  droppedByReason: Record<string, number>;
  /** comparisons ÷ sampled; null when nothing was sampled. */
  coverage: number | null;
  /** Mode 2 live checks, and those that found no drift. */
  liveChecks: number;
  liveClean: number;
  /** Findings folded into patterns, unexpected first, then by count. Bounded per route and verdict. */
  patterns: DiffPattern[];
}

/** RecordOptions: `sample: false` counts a record without keeping it as a sample (it carries no redacted parts). */
export interface RecordOptions { sample?: boolean }

/** SampleQuery selects stored samples: by bucket (`class`), by DiffPattern id, newest first, at most `limit`. */
export interface SampleQuery {
  class?: string;
  pattern?: string;
  limit?: number;
}

/**
 * DiffStore keeps comparison evidence: counters per route, patterns and bounded redacted samples. The writers
 * (`record`, `sampled`, `dropped`, `liveCheck`) never throw; readers throw DIFF_STORE_UNAVAILABLE.
 */
export interface DiffStore {
  /** record counts a comparison and keeps it as a sample unless `options.sample` is false (see keeps). */
  record(rec: ComparisonRecord, options?: RecordOptions): Promise<void>;
  /**
   * keeps tells whether the store would keep this (judged, not yet redacted) record as a sample now. A caller that
   * gets false records it with `sample: false` and need not redact or build its parts: most comparisons of a busy
   * route are only counted. The record must carry its request's method and (redacted) path for the pattern endpoint.
   */
  keeps?(rec: ComparisonRecord): boolean;
  /** sampled counts one request sampled for a shadow comparison (before it is known whether it will be compared). */
  sampled(route: string): Promise<void>;
  /** dropped counts one sampled shadow that ended without a comparison (`in-flight-cap`, `redis-concurrent-write`…). */
  dropped(route: string, reason: string): Promise<void>;
  /** liveCheck counts one Mode 2 live check, `clean` when it found no unexpected drift (findings also go to `record` with `live`). */
  liveCheck(route: string, clean: boolean): Promise<void>;
  summaries(): Promise<RouteSummary[]>;
  samples(route: string, opts?: SampleQuery): Promise<Sample[]>;
  /** sample returns one stored sample by id, or undefined when it is unknown or no longer kept. */
  sample(route: string, id: string): Promise<Sample | undefined>;
  close(): Promise<void>;
}
