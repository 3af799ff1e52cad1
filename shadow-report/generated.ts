/**
 * Heuristics for "this value looks generated" (random ids, tokens, timestamps): such values differ between the two
 * sides of a comparison for reasons that are not regressions.
 */
import { isPlaceholder } from './placeholder.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const TOKEN_CHARS = /^[A-Za-z0-9_\-+/=.~]+$/;
const HEX = /^[0-9a-f]+$/i;
/** A short word prefix and a separator, as in `TRIAL-…`, `req_…`, `sk_live_…`, `trial-…@domain`. */
const PREFIXED = /^(?:[A-Za-z]{1,12}[-_:])+(.+)$/;
const EMAIL = /^([^@\s]+)@([^@\s]+\.[^@\s]+)$/;

/** shannonBits returns the Shannon entropy of `s` in bits per character. */
export function shannonBits(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function classes(s: string): number {
  let lower = 0; let upper = 0; let digit = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
  }
  return lower + upper + digit;
}

/** looksRandomToken is true for hex ids of 8+ chars and base62/64-style tokens of 16+ chars with high entropy. */
export function looksRandomToken(s: string): boolean {
  if (s.length < 8 || s.length > 4096 || !TOKEN_CHARS.test(s)) return false;
  const bits = shannonBits(s);
  if (HEX.test(s)) {
    // Hex ids (request ids, trace ids, hashes): digits and letters mixed, entropy near its ceiling for the length.
    return classes(s) >= 2 && bits >= Math.min(3, 0.8 * Math.log2(Math.min(s.length, 16)));
  }
  if (s.length < 16 || classes(s) < 2) return false;
  return bits >= 0.75 * Math.log2(Math.min(s.length, 62));
}

/** looksGenerated is true for values that differ by nature: UUIDs, random tokens (also prefixed, e.g. `TRIAL-…`),
 * ISO/HTTP/epoch timestamps, request ids, redaction placeholders and e-mails with a random local part. */
export function looksGenerated(value: unknown): boolean {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return false;
    // Epoch seconds (2001–2286) or milliseconds.
    return (value >= 1e9 && value < 1e10) || (value >= 1e12 && value < 1e13);
  }
  if (typeof value !== 'string') return false;
  const s = value.trim();
  if (s.length < 8) return false;
  if (UUID.test(s) || isPlaceholder(s) || ISO_TIME.test(s) || HTTP_DATE.test(s)) return true;
  if (/^\d{10}(\d{3})?$/.test(s)) return looksGenerated(Number(s));
  const email = EMAIL.exec(s);
  if (email !== null) return looksGeneratedPart(email[1] as string);
  return looksGeneratedPart(s);
}

function looksGeneratedPart(s: string): boolean {
  if (UUID.test(s) || looksRandomToken(s)) return true;
  const prefixed = PREFIXED.exec(s);
  return prefixed !== null && (UUID.test(prefixed[1] as string) || looksRandomToken(prefixed[1] as string));
}
