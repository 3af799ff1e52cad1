/**
 * The admin listener (fastify, bound to 127.0.0.1 by default): /healthz and /readyz for probes, and — behind a
 * named bearer token or a dashboard session (admin-auth.ts) — /metrics, the route, weight and accepted-difference API,
 * and whatever admin modules (the shadow report, the dashboard) register.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError, formatConfigIssue, rawErrorResponse } from './errors.js';
import type { ConfigManager } from './config/manager.js';
import type { AdminToken } from './config/load.js';
import { AcceptedDifferenceSchema, DEFAULTS } from './config/schema.js';
import type { GatewayMetrics } from './metrics.js';
import { bearerToken, matchToken, registerAdminAuth, SIGN_IN_PAGE, type AdminAuth } from './admin-auth.js';
import { sendAdminError } from './admin-reply.js';
import { principalOf, type AuditLog } from './audit.js';
import type { FigwayEvents } from './events.js';

export { sendAdminError } from './admin-reply.js';

/** AdminModule adds authenticated routes under /api (e.g. the shadow report). */
export type AdminModule = (app: FastifyInstance) => void | Promise<void>;

/** AdminOptions wire the admin API to the running gateway. */
export interface AdminOptions {
  /** Named admin tokens (listeners.admin.tokens plus tokenEnv's token, named `admin`). */
  tokens?: readonly AdminToken[];
  /** A single token named `admin` (older callers); ignored when `tokens` is given. */
  token?: string;
  /** Dashboard session lifetime. Default listeners.admin.sessionTtlSeconds' default. */
  sessionTtlMs?: number;
  now?: () => number;
  manager: ConfigManager;
  metrics: GatewayMetrics;
  ready(): boolean;
  audit: AuditLog;
  /** In-process events (audit entries, ramp changes) for server-sent-event streams; reachable as app.figwayEvents. */
  events: FigwayEvents;
  modules?: AdminModule[];
}

/** tokenMatches compares a bearer Authorization header (any scheme casing) against one token in constant time. */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  const token = bearerToken(header);
  return token !== undefined && matchToken([{ name: 'admin', token: expected }], token) !== undefined;
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/', SIGN_IN_PAGE, '/auth/sign-in']);
/** ASSETS_PREFIX holds the dashboard's static files: public, they are the same for everyone and reveal nothing. */
export const ASSETS_PREFIX = '/dashboard/assets/';

/** isPublicAdminPath tells which admin paths need no authentication. */
export function isPublicAdminPath(path: string): boolean {
  return PUBLIC_PATHS.has(path) || path.startsWith(ASSETS_PREFIX);
}

/** AdminServer is the fastify app plus its authentication state. */
export type AdminServer = FastifyInstance & { auth: AdminAuth };

/** WHOLE_NUMBER is a query parameter holding a whole number (values are not coerced; the handler parses it). */
export const WHOLE_NUMBER = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

/** createAdminServer builds the admin fastify app (not yet listening). */
export async function createAdminServer(options: AdminOptions): Promise<AdminServer> {
  // Unknown body fields are rejected, as in the config files (fastify's default would silently strip them), and
  // values are never coerced ({"weight":"5"} is a bad request, not 5): query numbers are patterns, parsed by hand.
  const app = Fastify({
    logger: false, bodyLimit: 64 * 1024, ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Requests the parser refuses (oversized headers, bad syntax, too slow) get figway's JSON error format too.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const code = error.code === 'HPE_HEADER_OVERFLOW' ? 'ADMIN_HEADERS_TOO_LARGE'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'ADMIN_REQUEST_TIMEOUT' : 'ADMIN_BAD_REQUEST';
      socket.end(rawErrorResponse(code));
    },
    // The admin listener is loopback by default, but compose opens it to Prometheus: bound a request's arrival.
    requestTimeout: DEFAULTS.clientRequestTimeoutMs,
  });
  const tokens = options.tokens ?? (options.token === undefined ? [] : [{ name: 'admin', token: options.token }]);
  const auth = registerAdminAuth(app, {
    tokens,
    sessionTtlMs: options.sessionTtlMs ?? DEFAULTS.adminSessionTtlSeconds * 1000,
    maxSessions: DEFAULTS.adminMaxSessions,
    isPublic: isPublicAdminPath,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  app.setNotFoundHandler((_request, reply) => sendAdminError(reply, 'ADMIN_NOT_FOUND'));
  app.decorate('figwayEvents', options.events);

  app.get('/', async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready' });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  app.get('/api/routes', async () => {
    const snapshot = options.manager.snapshot();
    return {
      routes: snapshot.routes.map((route) => ({
        name: route.name,
        match: route.config.match,
        legacy: route.config.legacy,
        new: route.config.new,
        weight: route.weight,
        sticky: route.config.sticky ?? null,
        mirror: route.config.mirror ?? null,
        accept: route.config.compare.accept,
      })),
    };
  });

  app.put<{ Params: { route: string }; Body: { weight: number; reason?: string } }>('/api/routes/:route/weight', {
    schema: {
      body: {
        type: 'object', required: ['weight'], additionalProperties: false,
        properties: { weight: { type: 'number', minimum: 0, maximum: 100 }, reason: { type: 'string', maxLength: 500 } },
      },
    },
    errorHandler: (error, _request, reply) => sendAdminError(reply, 'ADMIN_BAD_WEIGHT', error.message),
  }, async (request, reply) => {
    const route = request.params.route;
    const old = options.manager.snapshot().weights.get(route) ?? 0;
    try {
      const outcome = await options.manager.setWeight(route, request.body.weight);
      options.audit.record({
        who: principalOf(request), action: 'weight.set', route, old, new: request.body.weight,
        ...(request.body.reason === undefined ? {} : { why: request.body.reason }),
      });
      return { route, weight: request.body.weight, appliedAt: outcome.at };
    } catch (error) {
      const detail = error instanceof ConfigError ? error.issues.map(formatConfigIssue).join('; ') : (error as Error).message;
      return sendAdminError(reply, 'ADMIN_BAD_WEIGHT', detail);
    }
  });

  app.get<{ Querystring: { limit?: string } }>('/api/audit', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: WHOLE_NUMBER } } },
    errorHandler: (error, _request, reply) => sendAdminError(reply, 'ADMIN_BAD_REQUEST', error.message),
  }, async (request, reply) => {
    const limit = Number(request.query.limit ?? 100);
    if (limit < 1 || limit > options.audit.capacity) return sendAdminError(reply, 'ADMIN_BAD_REQUEST', `limit must be 1 to ${options.audit.capacity}`);
    return { entries: options.audit.entries(limit) };
  });

  app.get('/api/config/reloads', async () => ({ reloads: options.manager.history }));

  app.get<{ Params: { route: string } }>('/api/routes/:route/accept', async (request, reply) => {
    const route = options.manager.config.routes.find((candidate) => candidate.name === request.params.route);
    if (route === undefined) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `no route "${request.params.route}"`);
    return { route: route.name, accept: route.compare.accept };
  });

  // Accepting a difference writes figway.yaml through the same validation and comment-keeping writer as a hand edit.
  app.post<{ Params: { route: string }; Body: typeof AcceptedDifferenceSchema.static }>('/api/routes/:route/accept', {
    schema: { body: AcceptedDifferenceSchema },
    errorHandler: (error, _request, reply) => sendAdminError(reply, 'ADMIN_BAD_ACCEPT', error.message),
  }, async (request, reply) => {
    const name = request.params.route;
    if (!options.manager.config.routes.some((candidate) => candidate.name === name)) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `no route "${name}"`);
    try {
      const outcome = await options.manager.addAccepted(name, request.body);
      if (outcome.result === 'applied') {
        options.audit.record({ who: principalOf(request), action: 'compare.accept', route: name, new: request.body, why: request.body.reason });
      }
      return { route: name, accepted: request.body, appliedAt: outcome.at };
    } catch (error) {
      const detail = error instanceof ConfigError ? error.issues.map(formatConfigIssue).join('; ') : (error as Error).message;
      return sendAdminError(reply, 'ADMIN_BAD_ACCEPT', detail);
    }
  });

  for (const module of options.modules ?? []) await module(app);
  app.decorate('auth', auth);
  return app as unknown as AdminServer;
}
