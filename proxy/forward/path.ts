/**
 * Path normalisation, done once per request: the normalised path is both what routes match and what is forwarded,
 * so a route cannot be bypassed with `/a/../admin` or `%2e%2e` (RFC 3986 §6.2.2: case, percent-encoding, dot segments).
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const ENCODED_SEPARATOR = /%2F|%5C/;
const isDotSegment = (piece: string): boolean => piece === '.' || piece === '..';

/** normalisePath returns the normalised path (no query), or undefined when it is not a valid origin-form path. */
export function normalisePath(rawPath: string): string | undefined {
  if (rawPath.charCodeAt(0) !== 47 /* / */) return undefined;
  const needsWork = rawPath.includes('%') || rawPath.includes('/.') || rawPath.includes('//') || rawPath.includes('\\');
  if (!needsWork) return rawPath;

  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    // RFC 3986 has no backslash in paths, and some upstreams (IIS, .NET) read it as '/': a route bypass.
    if (ch === '\\') return undefined;
    if (ch !== '%') { decoded += ch; continue; }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const char = String.fromCharCode(parseInt(hex, 16));
    decoded += UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
    i += 2;
  }

  const output: string[] = [];
  const segments = decoded.split('/');
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    const last = i === segments.length - 1;
    if (segment === '.' || (segment === '' && !last)) {
      if (last) output.push('');
      continue;
    }
    if (segment === '..') {
      output.pop();
      if (last) output.push('');
      continue;
    }
    // An upstream that decodes %2F or %5C into a separator would see a dot segment figway did not route on.
    if ((segment.includes('%2F') || segment.includes('%5C')) && segment.split(ENCODED_SEPARATOR).some(isDotSegment)) return undefined;
    output.push(segment);
  }
  return `/${output.join('/')}`;
}

/** splitTarget splits an origin-form request target into path and query (without '?'). */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
