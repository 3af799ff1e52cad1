/**
 * Finding paths: `status`, `header.<name>`, `body`, `body.a.b[2].c`, `redis.<key name>.<field>`. Keys that contain
 * `.`, `[`, `]`, `"` or whitespace (or are empty) are written as `["…"]`. Patterns add `*` (one segment), `[*]`
 * (one array index) and `**` (any number of segments, none included).
 */
import { DiffError } from './errors.js';
import { PLACEHOLDER_SOURCE } from './placeholder.js';

const PLAIN_KEY = /^[^.[\]"\s]+$/;

/** appendKey returns `path` extended by one object key. */
export function appendKey(path: string, key: string): string {
  if (PLAIN_KEY.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** appendIndex returns `path` extended by one array index. */
export function appendIndex(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** formatPath joins a base path and the first `depth` segments of a walker's segment stack. */
export function formatPath(base: string, segments: readonly (string | number)[], depth: number): string {
  let path = base;
  for (let i = 0; i < depth; i++) {
    const segment = segments[i] as string | number;
    path = typeof segment === 'number' ? appendIndex(path, segment) : appendKey(path, segment);
  }
  return path;
}

/**
 * splitPath cuts a path (or pattern) into tokens: keys verbatim, indices as `[n]`, wildcards as `*`, `**`, `[*]`.
 * It never throws on a path; an unterminated bracket is kept as a literal key.
 */
export function splitPath(path: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  let key = '';
  const flush = (): void => { if (key !== '') { tokens.push(key); key = ''; } };
  while (i < path.length) {
    const ch = path[i] as string;
    if (ch === '.') { flush(); i++; continue; }
    if (ch === '[') {
      flush();
      if (path[i + 1] === '"') {
        // A quoted key: find the closing `"]`, honouring JSON escapes.
        let j = i + 2;
        while (j < path.length && !(path[j] === '"' && path[j + 1] === ']')) j += path[j] === '\\' ? 2 : 1;
        const quoted = path.slice(i + 1, j + 1);
        try { tokens.push(JSON.parse(quoted) as string); } catch { tokens.push(quoted); }
        i = j + 2;
        continue;
      }
      const close = path.indexOf(']', i);
      if (close === -1) { key = path.slice(i); i = path.length; continue; }
      tokens.push(path.slice(i, close + 1));
      i = close + 1;
      continue;
    }
    key += ch;
    i++;
  }
  flush();
  return tokens;
}

const INDEX = /\[\d+\]/g;
const PLACEHOLDER = new RegExp(PLACEHOLDER_SOURCE, 'g');

/** normalizePath replaces array indices by `[*]` and redaction placeholders by `«redacted»`, for per-path counters. */
export function normalizePath(path: string): string {
  if (path.indexOf('[') === -1 && path.indexOf('«') === -1) return path;
  return path.replace(INDEX, '[*]').replace(PLACEHOLDER, '«redacted»');
}

/** PathMatcher tells whether a finding path is covered by a pattern. */
export type PathMatcher = (path: string) => boolean;

const isIndexToken = (token: string): boolean => token.length > 2 && token[0] === '[' && token[token.length - 1] === ']';

function matchTokens(pattern: readonly string[], p: number, path: readonly string[], q: number): boolean {
  while (p < pattern.length) {
    const token = pattern[p] as string;
    if (token === '**') {
      if (p === pattern.length - 1) return true;
      for (let k = q; k <= path.length; k++) if (matchTokens(pattern, p + 1, path, k)) return true;
      return false;
    }
    if (q >= path.length) return false;
    const segment = path[q] as string;
    if (token === '*') { /* any one segment */ } else if (token === '[*]') {
      if (!isIndexToken(segment)) return false;
    } else if (token !== segment) return false;
    p++;
    q++;
  }
  // The whole pattern matched a prefix: a pattern covers the path it names and everything below it.
  return true;
}

/**
 * compilePattern turns a path pattern into a matcher. A pattern covers the path it matches and every path below it
 * (`body.meta` covers `body.meta.etag`). Throws DIFF_BAD_PATTERN on an empty pattern.
 */
export function compilePattern(pattern: string): PathMatcher {
  const trimmed = pattern.trim();
  if (trimmed === '') throw new DiffError('DIFF_BAD_PATTERN', 'empty pattern');
  const tokens = splitPath(trimmed);
  if (!tokens.some((t) => t === '*' || t === '**' || t === '[*]')) {
    return (path) => path === trimmed || (path.startsWith(trimmed) && (path[trimmed.length] === '.' || path[trimmed.length] === '['));
  }
  return (path) => matchTokens(tokens, 0, splitPath(path), 0);
}

/** compilePatterns compiles a list of patterns into one matcher that returns the index of the first match, or -1. */
export function compilePatterns(patterns: readonly string[]): (path: string) => number {
  const matchers = patterns.map(compilePattern);
  if (matchers.length === 0) return () => -1;
  return (path) => {
    for (let i = 0; i < matchers.length; i++) if ((matchers[i] as PathMatcher)(path)) return i;
    return -1;
  };
}
