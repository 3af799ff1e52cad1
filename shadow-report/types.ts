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
  | 'redis-shape';

/** Classes that can never be noise: a casing, type or status change is always a real difference. */
export const NEVER_NOISE: ReadonlySet<DiffClass> = new Set<DiffClass>(['status', 'type', 'key-casing', 'redis-type', 'redis-missing-key', 'redis-shape']);

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

/** JudgedFinding is a finding plus its verdict (and the acceptance reason, when accepted). */
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
