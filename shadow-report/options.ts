/** CompareOptions is the part of a route's `compare` config section the response comparison needs (a structural subset of CompareConfig). */
export interface CompareOptions {
  /** Response headers compared, case-insensitive. Default: content-type. */
  headers?: readonly string[];
  /** Array path → id field. */
  arrayKeys?: Readonly<Record<string, string>>;
  /** Bodies (after decoding) above this many bytes are not compared. Default 1 MiB (DEFAULTS.compareMaxBodyBytes). */
  maxBodyBytes?: number;
}

/** DEFAULT_COMPARE_MAX_BODY_BYTES mirrors DEFAULTS.compareMaxBodyBytes in proxy/config/schema.ts (kept here so shadow-report does not depend on proxy/). */
export const DEFAULT_COMPARE_MAX_BODY_BYTES = 1024 * 1024;

/** DEFAULT_COMPARED_HEADERS mirrors the schema default of `compare.headers`. */
export const DEFAULT_COMPARED_HEADERS: readonly string[] = ['content-type'];
