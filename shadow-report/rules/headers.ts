import type { CapturedResponse, Finding } from '../types.js';
import { DEFAULT_COMPARED_HEADERS } from '../options.js';
import { headerValue } from '../headers.js';
import { appendKey } from '../paths.js';
import type { DiffRule } from './rule.js';

/** ALL_HEADERS in `compare.headers` stands for every response header but the TRANSPORT_HEADERS. */
export const ALL_HEADERS = '*';

/**
 * TRANSPORT_HEADERS are left out of `*`: hop-by-hop headers (RFC 9110 §7.6.1), the framing and coding of the body
 * (compared decoded, so `content-length` and `content-encoding` say nothing about the answer) and `date`. Named
 * explicitly in `compare.headers`, they are still compared.
 */
export const TRANSPORT_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'content-length', 'content-encoding', 'date',
]);

/** Header names a response declares hop-by-hop in its `Connection` header. */
function connectionOptions(res: CapturedResponse): string[] {
  const value = headerValue(res.headers, 'connection');
  return value === undefined ? [] : value.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
}

/** comparedHeaderNames expands the configured names (lower-cased, `*` for all but transport) for one pair of answers. */
export function comparedHeaderNames(configured: readonly string[], legacy: CapturedResponse, candidate: CapturedResponse): string[] {
  const explicit: string[] = [];
  let all = false;
  for (const name of configured) {
    const lower = name.trim().toLowerCase();
    if (lower === ALL_HEADERS) all = true;
    else if (lower !== '' && !explicit.includes(lower)) explicit.push(lower);
  }
  if (!all) return explicit;
  const skip = new Set([...TRANSPORT_HEADERS, ...connectionOptions(legacy), ...connectionOptions(candidate)]);
  const names = new Set(explicit);
  for (const res of [legacy, candidate]) {
    for (const name of Object.keys(res.headers)) {
      const lower = name.toLowerCase();
      if (!skip.has(lower) && res.headers[name] !== undefined) names.add(lower);
    }
  }
  return [...names].sort();
}

/**
 * headersRule compares only the headers the route names (names case-insensitive, values trimmed; `*` = every header
 * but the transport ones) → `header.<name>`.
 */
export const headersRule: DiffRule<CapturedResponse> = {
  id: 'headers',
  run(legacy, candidate, ctx): Finding[] {
    const out: Finding[] = [];
    for (const lower of comparedHeaderNames(ctx.options.headers ?? DEFAULT_COMPARED_HEADERS, legacy, candidate)) {
      const a = headerValue(legacy.headers, lower);
      const b = headerValue(candidate.headers, lower);
      if (a === b) continue;
      const finding: Finding = { class: 'header', path: appendKey('header', lower), rule: 'headers' };
      if (a !== undefined) finding.legacy = a;
      if (b !== undefined) finding.candidate = b;
      out.push(finding);
    }
    return out;
  },
};
