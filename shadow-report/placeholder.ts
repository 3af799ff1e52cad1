/**
 * Redaction placeholders: `«redacted:<json type>:<hex>»`, e.g. `«redacted:number:3f2a19c0»`. Always a string, so a
 * masked number never reads as real data, and the original JSON type stays visible. The hex part is a keyed hash of
 * the value's text, so equal secrets get equal placeholders. The untyped form of earlier versions
 * (`«redacted:3f2a19c0»`) is still recognised, so evidence stored by an older instance reads the same way.
 */

/** PlaceholderType is the JSON type name a placeholder keeps. */
export type PlaceholderType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';

const TYPES = 'string|number|boolean|object|array|null';
/** PLACEHOLDER_SOURCE is the regular expression source of one placeholder (typed or legacy untyped), unanchored. */
export const PLACEHOLDER_SOURCE = `«redacted:(?:(?:${TYPES}):)?[0-9a-f]{4,64}»`;
const WHOLE = new RegExp(`^${PLACEHOLDER_SOURCE}$`);

/** isPlaceholder is true for a string that is one redaction placeholder. */
export function isPlaceholder(value: unknown): value is string {
  return typeof value === 'string' && WHOLE.test(value);
}

/** formatPlaceholder builds the placeholder of a value of `type` whose keyed hash is `hex`. */
export function formatPlaceholder(type: PlaceholderType, hex: string): string {
  return `«redacted:${type}:${hex}»`;
}
