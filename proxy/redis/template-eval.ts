/**
 * Filling a parsed key template for one side: `counter/{month}/{keys.token.UserEmail}` → `counter/2024-05/a@b.c`.
 * A template that cannot be filled (a missing header, a response without the field…) yields undefined: that key is
 * skipped for this request, never read under a half-filled name.
 */
import type { KeyTemplate, PlaceholderSource } from '../config/key-template.js';
import type { CapturedResponse } from '../../shadow-report/types.js';
import { casingKey } from '../../shadow-report/casing.js';

/** TemplateInput is everything a placeholder may read, for one side of one request. */
export interface TemplateInput {
  /** Request headers, lower-case names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: URLSearchParams;
  /** The request body parsed as JSON, or undefined when it is not JSON (or not known yet). */
  requestJson: unknown;
  /** This side's answer; undefined before forwarding (placeholders over it cannot be filled yet). */
  response: CapturedResponse | undefined;
  /** Values read from earlier keys (by key name), as the store reader returned them (JSON parsed). */
  keyValues: ReadonlyMap<string, unknown>;
  /** Epoch milliseconds, for {month}. */
  now: number;
  /** The request path without the query (`pathOf(target)`), for {path} and {path.N}; absent: those cannot be filled. */
  path?: string;
}

/** Placeholder values longer than this are not used as key parts (a whole document is never a key). */
const MAX_PART_LENGTH = 1024;

/** monthOf formats epoch ms as UTC `YYYY-MM`, like Go's `time.Now().UTC().Format("2006-01")`. */
export function monthOf(now: number): string {
  const date = new Date(now);
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** parseJsonBody parses a body as JSON, undefined when it is empty or not JSON. */
export function parseJsonBody(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * fieldAt walks `path` through objects. With `styleInsensitive`, a segment that is not an own field falls back to
 * the one field whose casing/style-folded name matches (`UserEmail` finds `user_email`); ambiguous folds fail.
 */
export function fieldAt(value: unknown, path: readonly string[], styleInsensitive: boolean): unknown {
  let current = value;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    const record = current as Record<string, unknown>;
    if (Array.isArray(record) && /^\d+$/.test(segment)) { current = record[Number(segment)]; continue; }
    if (Object.hasOwn(record, segment)) { current = record[segment]; continue; }
    if (!styleInsensitive) return undefined;
    const folded = casingKey(segment);
    const matches = Object.keys(record).filter((name) => casingKey(name) === folded);
    if (matches.length !== 1) return undefined;
    current = record[matches[0]!];
  }
  return current;
}

function responseText(response: CapturedResponse): string | undefined {
  const text = response.body.toString('utf8').trim();
  if (text === '') return undefined;
  if (text.startsWith('"')) {
    // A JSON string answer (ASP.NET's Ok(string) with Accept: application/json).
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  // A JSON document or a multi-line text is an answer, not a key.
  if (text.startsWith('{') || text.startsWith('[') || /\s/.test(text)) return undefined;
  return text;
}

function headerOf(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fill(source: PlaceholderSource, input: TemplateInput): string | undefined {
  switch (source.kind) {
    case 'month': return monthOf(input.now);
    case 'path': return input.path;
    case 'path-segment': return input.path === undefined ? undefined : pathSegment(input.path, source.index);
    case 'header': return headerOf(input.headers, source.name);
    case 'query': return input.query.get(source.name) ?? undefined;
    case 'body': return scalar(fieldAt(input.requestJson, source.path, false));
    case 'response-body':
      return input.response === undefined ? undefined : scalar(fieldAt(parseJsonBody(input.response.body), source.path, false));
    case 'response-text': return input.response === undefined ? undefined : responseText(input.response);
    case 'response-header': return input.response === undefined ? undefined : headerOf(input.response.headers, source.name);
    case 'key':
      // Style-insensitive on purpose: `{keys.token.UserEmail}` must still find the counter key when a side wrote the
      // record as `user_email` (Pesto #172). The re-cased record is then reported once, as key-casing on the token
      // key, and the counter is still compared; an exact lookup would silently drop the counter comparison on the
      // drifting side and turn one bug into a confusing missing-key report.
      return scalar(fieldAt(input.keyValues.get(source.key), source.path, true));
  }
}

/** evaluateTemplate fills `template` for one side; undefined when some placeholder has no usable (non-empty) value. */
export function evaluateTemplate(template: KeyTemplate, input: TemplateInput): string | undefined {
  let out = '';
  for (const part of template.parts) {
    if ('literal' in part) { out += part.literal; continue; }
    let value: string | undefined;
    for (const alternative of part.alternatives) {
      const candidate = fill(alternative, input);
      if (candidate !== undefined && candidate !== '' && candidate.length <= MAX_PART_LENGTH) { value = candidate; break; }
    }
    if (value === undefined) return undefined;
    out += value;
  }
  return out === '' ? undefined : out;
}

/** pathOf returns the path of a request target without its query (`/a/b?c=1` → `/a/b`). */
export function pathOf(target: string): string {
  const index = target.indexOf('?');
  return index === -1 ? target : target.slice(0, index);
}

/** pathSegment returns the N-th non-empty segment (0-based) of a path: `/api/users/42`, 2 → `42`. */
export function pathSegment(path: string, index: number): string | undefined {
  let seen = 0;
  for (const segment of path.split('/')) {
    if (segment === '') continue;
    if (seen++ === index) return segment;
  }
  return undefined;
}

/** headersFromFlat turns the gateway's flat [name, value, …] header list into a lower-case record (first value wins). */
export function headersFromFlat(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    if (!Object.hasOwn(out, name)) out[name] = flat[i + 1]!;
  }
  return out;
}

/** queryOf returns the query of a request target (`/a?b=1`). */
export function queryOf(target: string): URLSearchParams {
  const index = target.indexOf('?');
  return new URLSearchParams(index === -1 ? '' : target.slice(index + 1));
}
