/**
 * Admin authentication. Every admin request except the public paths (probes, the dashboard's sign-in page and assets)
 * is authenticated by either
 *  - `Authorization: Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1) against the named tokens, or
 *  - the dashboard session cookie set by `POST /auth/sign-in` (the token arrives in a form body, never in a URL).
 * Requests authenticated by the cookie that change state need the session's CSRF token in `X-Figway-CSRF` (a
 * cross-site form or image cannot set a header) and must not come from another site (`Sec-Fetch-Site`, `Origin`).
 * Bearer requests need neither: a browser never attaches a bearer token by itself.
 * After authentication `request.principal` says who acted and how; the audit log records the name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminToken } from './config/load.js';
import { createSessionStore, type AdminSession, type SessionStore } from './admin-sessions.js';
import { sendAdminError } from './admin-reply.js';
import { createSignInThrottle } from './sign-in-throttle.js';

/** AdminPrincipal is who made an authenticated admin request, and how. */
export interface AdminPrincipal {
  name: string;
  via: 'bearer' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** principal is set for every authenticated admin request (null on public paths). */
    principal: AdminPrincipal | null;
  }
}

/** SESSION_COOKIE is the dashboard session cookie's name. */
export const SESSION_COOKIE = 'figway_session';
/** CSRF_HEADER carries the session's CSRF token on state-changing requests made with the cookie. */
export const CSRF_HEADER = 'x-figway-csrf';
/** SIGN_IN_PAGE is where a browser without a session is sent. */
export const SIGN_IN_PAGE = '/dashboard/sign-in';
/** AFTER_SIGN_IN is where a successful sign-in lands. */
export const AFTER_SIGN_IN = '/dashboard/';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** SIGN_IN_FAILURES failed sign-ins within SIGN_IN_WINDOW_MS make an address wait for the window to pass. */
export const SIGN_IN_FAILURES = 10;
export const SIGN_IN_WINDOW_MS = 5 * 60_000;

/** AdminAuthOptions configure registerAdminAuth. */
export interface AdminAuthOptions {
  tokens: readonly AdminToken[];
  sessionTtlMs: number;
  maxSessions: number;
  /** isPublic tells which paths need no authentication. */
  isPublic(path: string): boolean;
  now?: () => number;
}

/** AdminAuth exposes the session store (tests, the session endpoint). */
export interface AdminAuth {
  sessions: SessionStore;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * matchToken returns the name of the token equal to `presented`, comparing against every token in constant time
 * (digests make the lengths equal; no early exit, so the time does not tell which token came close).
 */
export function matchToken(tokens: readonly AdminToken[], presented: string): string | undefined {
  const candidate = digest(presented);
  let found: string | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(digest(token.token), candidate) && found === undefined) found = token.name;
  }
  return found;
}

/** bearerToken extracts the token of an `Authorization: Bearer` header, any scheme casing; undefined otherwise. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** cookieValue reads one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** isHttps tells whether the browser reached us over https (directly, or through a TLS-terminating proxy). */
function isHttps(request: FastifyRequest): boolean {
  if (request.protocol === 'https') return true;
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/**
 * crossSite tells whether a browser says the request comes from another site. Sec-Fetch-Site is sent by every current
 * browser; Origin covers older ones. Non-browser clients send neither and are judged by their credentials alone.
 */
export function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  // When the browser states it, it is the whole answer (Origin can be "null" under a strict referrer policy).
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${isHttps(request) ? '; Secure' : ''}`;
}

function wantsHtml(request: FastifyRequest): boolean {
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}

/** registerAdminAuth installs the authentication hook, the form parser and the sign-in/sign-out endpoints. */
export function registerAdminAuth(app: FastifyInstance, options: AdminAuthOptions): AdminAuth {
  const now = options.now ?? Date.now;
  const sessions = createSessionStore({ ttlMs: options.sessionTtlMs, max: options.maxSessions, now });
  const throttle = createSignInThrottle({ max: SIGN_IN_FAILURES, windowMs: SIGN_IN_WINDOW_MS, now });
  app.decorateRequest('principal', null);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const unauthorized = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (wantsHtml(request)) return reply.redirect(SIGN_IN_PAGE, 303);
    reply.header('www-authenticate', 'Bearer realm="figway"');
    return sendAdminError(reply, 'ADMIN_UNAUTHORIZED');
  };

  const sessionOf = (request: FastifyRequest): AdminSession | undefined => {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    return id === undefined || id === '' ? undefined : sessions.get(id);
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    if (options.isPublic(path)) return;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      // A presented credential is judged alone: a wrong bearer token never falls back to the cookie.
      const token = bearerToken(authorization);
      const name = token === undefined ? undefined : matchToken(options.tokens, token);
      if (name === undefined) return unauthorized(request, reply);
      request.principal = { name, via: 'bearer' };
      return;
    }
    const session = sessionOf(request);
    if (session === undefined) return unauthorized(request, reply);
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (crossSite(request) || typeof presented !== 'string' || !sameSecret(presented, session.csrf)) {
        return sendAdminError(reply, 'ADMIN_CSRF');
      }
    }
    request.principal = { name: session.name, via: 'session' };
  });

  app.post<{ Body: { token?: string } }>('/auth/sign-in', async (request, reply) => {
    // Login CSRF: another site must not be able to sign a browser in with the attacker's token.
    if (crossSite(request)) return sendAdminError(reply, 'ADMIN_CSRF');
    const address = request.socket.remoteAddress ?? 'unknown';
    if (!throttle.allowed(address)) return reply.redirect(`${SIGN_IN_PAGE}?failed=throttled`, 303);
    const token = typeof request.body?.token === 'string' ? request.body.token : '';
    const name = matchToken(options.tokens, token);
    if (name === undefined) {
      throttle.failed(address);
      return reply.redirect(`${SIGN_IN_PAGE}?failed=1`, 303);
    }
    throttle.succeeded(address);
    const { id } = sessions.create(name);
    reply.header('set-cookie', sessionCookie(request, id, Math.floor(options.sessionTtlMs / 1000)));
    reply.header('cache-control', 'no-store');
    return reply.redirect(AFTER_SIGN_IN, 303);
  });

  app.post('/auth/sign-out', async (request, reply) => {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (id !== undefined) sessions.delete(id);
    reply.header('set-cookie', sessionCookie(request, '', 0));
    return reply.code(204).send();
  });

  app.get('/api/session', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const session = request.principal?.via === 'session' ? sessionOf(request) : undefined;
    return {
      name: request.principal?.name ?? null,
      via: request.principal?.via ?? null,
      ...(session === undefined ? {} : { csrf: session.csrf, csrfHeader: CSRF_HEADER, expiresAt: new Date(session.expiresAt).toISOString() }),
    };
  });

  return { sessions };
}
