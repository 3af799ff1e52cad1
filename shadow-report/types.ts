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
}

/** Sample is a stored ComparisonRecord plus the bucket it was kept under (a class, `noise`, `accepted`, `error`, `skipped`). */
export interface Sample extends ComparisonRecord {
  bucket: string;
  /** Store-assigned id; the same record kept under several buckets has one id. */
  id: string;
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
}

/** RecordOptions: `sample: false` counts a record without keeping it as a sample (it carries no redacted parts). */
export interface RecordOptions { sample?: boolean }

/** DiffStore keeps comparison evidence: counters per route and bounded redacted samples. `record` never throws. */
export interface DiffStore {
  record(rec: ComparisonRecord, options?: RecordOptions): Promise<void>;
  /**
   * keeps tells whether a record in these sample buckets would be kept as a sample now (a bucket not yet full, or
   * whose newest sample is older than SAMPLE_REFRESH_MS). A caller that gets false records it with `sample: false`
   * and need not redact or build the sample parts: most comparisons only add to the counters.
   */
  keeps?(route: string, buckets: readonly string[], at: number): boolean;
  summaries(): Promise<RouteSummary[]>;
  samples(route: string, opts?: { class?: string; limit?: number }): Promise<Sample[]>;
  close(): Promise<void>;
}
