/**
 * The dashboard, served by the admin listener (same origin as the API it calls): the sign-in page, the shell page,
 * its static assets (our compiled ES modules, our stylesheet, uPlot from the package's own node_modules — nothing
 * from a CDN), the live event stream (/api/events) and, until the ramp branch serves it, the route timeline.
 * Every view reads and acts through the public admin API, exactly as the CLI does: there is no private back door.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FigwayExtension } from '../../proxy/main.js';
import type { ConfigManager } from '../../proxy/config/manager.js';
import type { GatewayMetrics } from '../../proxy/metrics.js';
import type { FigwayEvents } from '../../proxy/events.js';
import { sendAdminError } from '../../proxy/admin-reply.js';
import { ADMIN_ERRORS } from '../../proxy/errors.js';
import { CONTENT_SECURITY_POLICY, shellPage, signInPage } from './pages.js';
import { createEventHub, type EventHub } from './events.js';
import { createTimelineSampler, type TimelineSampler } from './timeline.js';
import type { TimelinePoint } from './web/model.js';

/** SECURITY_HEADERS go on every dashboard response. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const here = dirname(fileURLToPath(import.meta.url));
const PACKAGE_ROOT = join(here, '..', '..', '..');
/** The browser build (shadow-report/dashboard/web/tsconfig.json) goes to its own tree; the stylesheet stays in the source. */
const WEB_DIST = join(PACKAGE_ROOT, 'dist', 'web', 'shadow-report', 'dashboard', 'web');
const STYLESHEET = join(PACKAGE_ROOT, 'shadow-report', 'dashboard', 'web', 'dashboard.css');

/** TimelineSource is the ramp's evidence layer as the dashboard reads it (proxy/evidence). */
export interface TimelineSource {
  readonly intervalMs: number;
  onInterval(listener: (deltas: unknown, at: number) => void): () => void;
  timeline(route: string, since?: number): { points: TimelinePoint[] };
}

/** DashboardOptions wire the dashboard to the running figway. */
export interface DashboardOptions {
  metrics: GatewayMetrics;
  manager(): ConfigManager;
  /** In-process events of the audit log ('audit') and the ramp ('ramp'), pushed to open dashboards. */
  events?: FigwayEvents;
  /** The ramp's evidence layer; when it runs, its points are pushed and the dashboard keeps no timeline of its own. */
  timeline?: () => TimelineSource | undefined;
  /** Timeline interval and history. Default the configuration's evidence.intervalMs and evidence.timelineMs. */
  intervalMs?: number;
  timelineMs?: number;
  now?: () => number;
}

interface Asset {
  file: string;
  type: string;
}

async function assetTable(): Promise<Map<string, Asset>> {
  const table = new Map<string, Asset>();
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot'));
  table.set('uPlot.esm.js', { file: join(uplot, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' });
  table.set('uPlot.min.css', { file: join(uplot, 'uPlot.min.css'), type: 'text/css; charset=utf-8' });
  table.set('dashboard.css', { file: STYLESHEET, type: 'text/css; charset=utf-8' });
  for (const name of await readdir(WEB_DIST).catch(() => [] as string[])) {
    if (/^[a-z-]+\.js$/.test(name)) table.set(name, { file: join(WEB_DIST, name), type: 'text/javascript; charset=utf-8' });
  }
  return table;
}

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).type('text/html; charset=utf-8').send(body);
}

/** createDashboardExtension returns the dashboard as a figway extension (admin routes, config events, shutdown). */
export function createDashboardExtension(options: DashboardOptions): FigwayExtension & { sampler(): TimelineSampler | undefined; hub: EventHub } {
  const hub = createEventHub({ headers: SECURITY_HEADERS });
  // Made with the admin module, once the configuration (its evidence interval) is known.
  let sampler: TimelineSampler | undefined;
  options.events?.on('audit', (entry) => hub.broadcast('audit', entry));
  options.events?.on('ramp', (status) => hub.broadcast('ramp', status));

  /** pushFrom forwards the ramp evidence's newest point per route to open dashboards after each interval. */
  const pushFrom = (source: TimelineSource): (() => void) => source.onInterval((_deltas, at) => {
    const points: Record<string, TimelinePoint> = {};
    for (const route of options.manager().snapshot().routes) {
      const point = source.timeline(route.name, at).points.at(-1);
      if (point !== undefined) points[route.name] = point;
    }
    hub.broadcast('points', points);
  });
  let unsubscribe: (() => void) | undefined;

  const admin = async (app: FastifyInstance): Promise<void> => {
    const assets = await assetTable();
    app.addHook('preClose', async () => hub.close());
    registerPages(app, assets);
    const source = options.timeline?.();
    if (source !== undefined) {
      unsubscribe = pushFrom(source);
      registerStream(app, source.intervalMs);
      return;
    }
    const evidence = options.manager().config.evidence;
    const intervalMs = options.intervalMs ?? evidence.intervalMs;
    const timeline = createTimelineSampler({
      registry: options.metrics.registry,
      weights: () => options.manager().snapshot().weights,
      routes: () => options.manager().snapshot().routes.map((route) => route.name),
      intervalMs,
      capacity: Math.max(1, Math.ceil((options.timelineMs ?? evidence.timelineMs) / intervalMs)),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    timeline.on('points', (points) => hub.broadcast('points', points));
    sampler = timeline;
    registerStream(app, timeline.intervalMs);

    // The ramp branch owns this endpoint (CONTRACTS.md); serve the dashboard's own points only while it does not.
    if (!app.hasRoute({ method: 'GET', url: '/api/routes/:route/timeline' })) {
      app.get<{ Params: { route: string }; Querystring: { since?: string } }>('/api/routes/:route/timeline', async (request, reply) => {
        const route = request.params.route;
        if (!options.manager().snapshot().routes.some((candidate) => candidate.name === route)) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `no route "${route}"`);
        const since = Number(request.query.since ?? 0);
        return { route, intervalMs: timeline.intervalMs, points: timeline.points(route, Number.isFinite(since) ? since : 0) };
      });
    }
    timeline.start();
  };

  function registerPages(app: FastifyInstance, assets: Map<string, Asset>): void {
    app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/', 302));
    app.get('/dashboard/', async (_request, reply) => html(reply, shellPage()));
    app.get<{ Querystring: { failed?: string } }>('/dashboard/sign-in', async (request, reply) => html(reply, signInPage(request.query.failed === undefined ? 'no' : request.query.failed === 'throttled' ? 'throttled' : 'token')));
    app.get<{ Params: { file: string } }>('/dashboard/assets/:file', async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (asset === undefined) return sendAdminError(reply, 'ADMIN_NOT_FOUND');
      const body = await readFile(asset.file).catch(() => undefined);
      if (body === undefined) return sendAdminError(reply, 'ADMIN_NOT_FOUND', `${request.params.file} is missing: run npm run build`);
      return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).type(asset.type).send(body);
    });
  }

  function registerStream(app: FastifyInstance, intervalMs: number): void {
    // Which optional APIs this figway serves, so the page never probes for them (a 404 is a console error).
    app.get('/api/dashboard/features', async () => ({
      ramps: app.hasRoute({ method: 'GET', url: '/api/ramps' }),
      audit: app.hasRoute({ method: 'GET', url: '/api/audit' }),
      sampleById: app.hasRoute({ method: 'GET', url: '/api/diffs/:route/samples/:id' }),
    }));
    app.get('/api/events', async (request, reply) => {
      reply.hijack();
      const hello = { intervalMs, principal: request.principal?.name ?? null };
      if (!hub.attach(reply.raw, { event: 'hello', data: hello })) {
        reply.raw.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
        reply.raw.end(JSON.stringify({ error: { code: 'ADMIN_BUSY', message: ADMIN_ERRORS.ADMIN_BUSY.message } }));
      }
    });
  }

  return {
    admin,
    sampler: () => sampler,
    hub,
    applied(snapshot) {
      hub.broadcast('config', { weights: Object.fromEntries(snapshot.routes.map((route) => [route.name, route.weight])) });
    },
    async close() {
      sampler?.stop();
      unsubscribe?.();
      hub.close();
    },
  };
}
