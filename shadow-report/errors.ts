/**
 * Error codes of the comparison engine. Match on `err.code`, never on the message or `instanceof`.
 *
 * | code | status | meaning |
 * |---|---|---|
 * | DIFF_STORE_UNAVAILABLE | 503 | the diff store (Redis) cannot be reached or timed out; a write is counted, never thrown |
 * | DIFF_COMPARE_FAILED | 500 | a comparison threw; the record is kept with result `error` |
 * | DIFF_SHADOW_FAILED | 502 | one side gave no answer (timeout, connection error), so there was nothing to compare |
 * | DIFF_BAD_PATTERN | 400 | a path pattern in `compare.ignore/noise/accept` cannot be parsed |
 * | DIFF_BAD_OPTIONS | 400 | an engine factory got unusable options (empty redaction key, non-positive bounds) |
 * | DIFF_BAD_QUERY | 400 | a diff API query parameter is malformed (`limit` not a positive integer) |
 * | DIFF_SAMPLE_NOT_FOUND | 404 | no stored sample has this id on this route (never stored, or no longer kept) |
 */

/** DIFF_ERRORS maps each stable code to its HTTP status and message. */
export const DIFF_ERRORS = {
  DIFF_STORE_UNAVAILABLE: { status: 503, message: 'The diff store cannot be reached' },
  DIFF_COMPARE_FAILED: { status: 500, message: 'The comparison failed' },
  DIFF_SHADOW_FAILED: { status: 502, message: 'A side gave no answer to compare' },
  DIFF_BAD_PATTERN: { status: 400, message: 'Invalid finding path pattern' },
  DIFF_BAD_OPTIONS: { status: 400, message: 'Invalid comparison engine options' },
  DIFF_BAD_QUERY: { status: 400, message: 'Invalid diff API query' },
  DIFF_SAMPLE_NOT_FOUND: { status: 404, message: 'No such sample' },
} as const;

/** DiffErrorCode is one of the stable `DIFF_*` codes. */
export type DiffErrorCode = keyof typeof DIFF_ERRORS;

/** DiffError is an error with a stable `DIFF_*` code, an HTTP status and an optional cause. */
export class DiffError extends Error {
  readonly code: DiffErrorCode;
  readonly status: number;

  constructor(code: DiffErrorCode, detail?: string, options?: { cause?: unknown }) {
    const base = DIFF_ERRORS[code].message;
    super(detail === undefined ? base : `${base}: ${detail}`, options);
    this.name = 'DiffError';
    this.code = code;
    this.status = DIFF_ERRORS[code].status;
  }
}
