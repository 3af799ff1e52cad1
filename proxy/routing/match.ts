import type { RouteConfig } from '../config/schema.js';

/** RouteMatcher tests method, normalised path, host (lower-case, no port) and the entrypoint (listener name) against one route. */
export type RouteMatcher = (method: string, path: string, host: string, entrypoint: string) => boolean;

/** createRouteMatcher compiles a route's match section; the path prefix is segment-aware (/api matches /api/x, not /apix). */
export function createRouteMatcher(match: RouteConfig['match']): RouteMatcher {
  const methods = match.methods === undefined ? undefined : new Set(match.methods);
  const prefix = match.pathPrefix.endsWith('/') && match.pathPrefix !== '/' ? match.pathPrefix.slice(0, -1) : match.pathPrefix;
  const host = match.host?.toLowerCase();
  const entrypoints = match.entrypoints === undefined ? undefined : new Set(match.entrypoints);
  return (method, path, requestHost, entrypoint) => {
    if (entrypoints !== undefined && !entrypoints.has(entrypoint)) return false;
    if (methods !== undefined && !methods.has(method)) return false;
    if (host !== undefined && host !== requestHost) return false;
    if (prefix === '/') return true;
    if (!path.startsWith(prefix)) return false;
    const next = path.charCodeAt(prefix.length);
    return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
  };
}

/** hostWithoutPort lower-cases a Host header value and drops its port (IPv6 literals keep their brackets). */
export function hostWithoutPort(host: string | undefined): string {
  if (host === undefined) return '';
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}
