/**
 * The admin listener (fastify, bound to 127.0.0.1 by default): /healthz and /readyz for probes, and — behind a
 * bearer token — /metrics, the route and weight API, and whatever admin modules (the shadow report) register.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ADMIN_ERRORS, ConfigError, formatConfigIssue, type AdminErrorCode } from './errors.js';
import type { ConfigManager } from './config/manager.js';
import type { GatewayMetrics } from './metrics.js';
import { principalOf, type AuditLog } from './audit.js';
import type { FigwayEvents } from './events.js';

/** AdminModule adds authenticated routes under /api (e.g. the shadow report). */
export type AdminModule = (app: FastifyInstance) => void | Promise<void>;

/** AdminOptions wire the admin API to the running gateway. */
export interface AdminOptions {
  token: string;
  manager: ConfigManager;
  metrics: GatewayMetrics;
  ready(): boolean;
  audit: AuditLog;
  /** In-process events (audit entries, ramp changes) for server-sent-event streams; reachable as app.figwayEvents. */
  events: FigwayEvents;
  modules?: AdminModule[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** tokenMatches compares bearer tokens in constant time (hashing first makes lengths equal). */
export function tokenMatches(expected: string, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(expected), digest(header.slice(7).trim()));
}

/** sendAdminError answers with figway's JSON error shape. */
export function sendAdminError(reply: FastifyReply, code: AdminErrorCode, detail?: string): FastifyReply {
  return reply.code(ADMIN_ERRORS[code].status).type('application/json').send({ error: { code, message: detail ?? ADMIN_ERRORS[code].message } });
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);

/** createAdminServer builds the admin fastify app (not yet listening). */
export async function createAdminServer(options: AdminOptions): Promise<FastifyInstance> {
  // Unknown body fields are rejected, as in the config files (fastify's default would silently strip them).
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ajv: { customOptions: { removeAdditional: false } } });
  const expected = options.token;

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    if (PUBLIC_PATHS.has(path)) return;
    if (!tokenMatches(expected, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="figway"');
      return sendAdminError(reply, 'ADMIN_UNAUTHORIZED');
    }
  });
  app.setNotFoundHandler((_request, reply) => sendAdminError(reply, 'ADMIN_NOT_FOUND'));
  app.decorate('figwayEvents', options.events);

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

  app.get<{ Querystring: { limit?: number } }>('/api/audit', {
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: options.audit.capacity, default: 100 } },
      },
    },
    errorHandler: (error, _request, reply) => sendAdminError(reply, 'ADMIN_BAD_REQUEST', error.message),
  }, async (request) => ({ entries: options.audit.entries(request.query.limit ?? 100) }));

  app.get('/api/config/reloads', async () => ({ reloads: options.manager.history }));

  for (const module of options.modules ?? []) await module(app);
  return app;
}
