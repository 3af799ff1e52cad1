/**
 * The ramp's admin API (CONTRACTS.md, "Ramp API"): read ramps, act on one (start, pause, resume, promote, abort —
 * each one audit entry, made by the controller), and read a route's evidence timeline for the dashboard.
 */
import type { FastifyInstance } from 'fastify';
import { sendAdminError, WHOLE_NUMBER } from '../admin.js';
import { principalOf } from '../audit.js';
import type { Evidence } from '../evidence/evidence.js';
import type { ConfigManager } from '../config/manager.js';
import { RampError, type RampController } from './controller.js';
import { RAMP_ACTIONS, type RampAction } from './machine.js';

/** RampAdminOptions: the controller and evidence are created at start, after the admin routes are declared. */
export interface RampAdminOptions {
  controller(): RampController | undefined;
  evidence(): Evidence | undefined;
  manager(): ConfigManager;
}

/** registerRampAdmin adds the ramp routes to the admin app. */
export function registerRampAdmin(app: FastifyInstance, options: RampAdminOptions): void {
  const badRequest = { errorHandler: (error: Error, _request: unknown, reply: Parameters<typeof sendAdminError>[0]) => sendAdminError(reply, 'ADMIN_BAD_REQUEST', error.message) };

  app.get('/api/ramps', async () => ({ ramps: options.controller()?.statuses() ?? [] }));

  app.get<{ Params: { route: string } }>('/api/routes/:route/ramp', async (request, reply) => {
    const status = options.controller()?.status(request.params.route);
    if (status === undefined) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `route "${request.params.route}" has no ramp`);
    return status;
  });

  app.post<{ Params: { route: string; action: RampAction }; Body: { reason?: string } | undefined }>('/api/routes/:route/ramp/:action', {
    schema: {
      params: { type: 'object', properties: { route: { type: 'string' }, action: { type: 'string', enum: [...RAMP_ACTIONS] } } },
      body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } },
    },
    ...badRequest,
  }, async (request, reply) => {
    const controller = options.controller();
    if (controller === undefined) return sendAdminError(reply, 'ADMIN_RAMP_UNAVAILABLE', 'the ramp controller is not running');
    try {
      return await controller.act(request.params.route, request.params.action, principalOf(request), request.body?.reason);
    } catch (error) {
      if (!(error instanceof RampError)) throw error;
      const code = error.status === 404 ? 'ADMIN_NOT_FOUND' : error.status === 409 ? 'ADMIN_RAMP_CONFLICT' : 'ADMIN_RAMP_UNAVAILABLE';
      return sendAdminError(reply, code, error.message);
    }
  });

  app.get<{ Params: { route: string }; Querystring: { since?: string } }>('/api/routes/:route/timeline', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { since: WHOLE_NUMBER } } },
    ...badRequest,
  }, async (request, reply) => {
    const route = request.params.route;
    if (!options.manager().config.routes.some((candidate) => candidate.name === route)) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `no route "${route}"`);
    const evidence = options.evidence();
    if (evidence === undefined) return { route, intervalMs: 0, points: [] };
    return evidence.timeline(route, Number(request.query.since ?? 0));
  });
}
