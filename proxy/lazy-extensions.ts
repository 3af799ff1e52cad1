/**
 * The extensions of `figway start`, loaded only when needed: the comparison stack (mirror, shadow-report, the Redis
 * checker and ioredis: ~10 MB of resident memory and start-up time, measured by the bench) is imported the first
 * time an applied configuration has a route that mirrors or declares Redis keys. A plain gateway never loads it.
 */
import type { FastifyInstance } from 'fastify';
import type { ExchangeContext, GatewayPlugin } from './gateway.js';
import type { FigwayExtension, StartOptions } from './main.js';
import type { RuntimeSnapshot } from './runtime.js';
import { createDashboardExtension } from '../shadow-report/dashboard/server.js';
import { createControlExtensions } from './control-extensions.js';
import type { ComparisonExtensions } from './extensions.js';

/** Marks the inner admin app's own not-found answer, so the outer app answers it as usual. */
const UNMATCHED = 'x-figway-unmatched';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

type ExtensionsFactory = NonNullable<StartOptions['extensions']>;
type ExtensionContext = Parameters<ExtensionsFactory>[0];

/** needsComparison tells whether a snapshot has a route that mirrors or declares Redis keys (the ramp is always there). */
export function needsComparison(snapshot: RuntimeSnapshot): boolean {
  return snapshot.routes.some((route) => route.config.mirror !== undefined || route.config.redis !== undefined);
}

/**
 * createLazyExtension wraps extensions made by `load` (called at most once, when a snapshot first needs them). Until
 * then it observes nothing; its ready() resolves once a pending load is done, so startFigway serves with them.
 */
export function createLazyExtension(
  load: () => Promise<FigwayExtension[]>,
  onError: (error: unknown) => void,
  needs: (snapshot: RuntimeSnapshot) => boolean = needsComparison,
): FigwayExtension {
  let loaded: FigwayExtension[] | undefined;
  let loading: Promise<void> | undefined;
  let latest: RuntimeSnapshot | undefined;
  let closed = false;
  let started = false;
  let plugins: GatewayPlugin[] = [];

  const start = (): Promise<void> => {
    loading ??= load().then((extensions) => {
      if (closed) {
        void Promise.allSettled(extensions.map((extension) => extension.close?.()));
        return;
      }
      loaded = extensions;
      plugins = extensions.flatMap((extension) => (extension.plugin === undefined ? [] : [extension.plugin]));
      if (latest !== undefined) for (const extension of extensions) extension.applied?.(latest);
      // Loaded after startFigway started the extensions (a reload turned a feature on): start these now.
      if (started) return Promise.all(extensions.map((extension) => extension.start?.())).then(() => undefined);
      return undefined;
    }, (error: unknown) => {
      // The next applied snapshot that needs them tries again; at start, ready() fails the start.
      loading = undefined;
      throw error;
    });
    return loading;
  };

  const plugin: GatewayPlugin = {
    observe(context: ExchangeContext) {
      // One observing plugin per exchange, as in the gateway: the first that returns an observer wins.
      for (const inner of plugins) {
        const observed = inner.observe(context);
        if (observed !== undefined) return observed;
      }
      return undefined;
    },
  };

  return {
    plugin,
    applied(snapshot) {
      latest = snapshot;
      if (loaded !== undefined) {
        for (const extension of loaded) extension.applied?.(snapshot);
      } else if (needs(snapshot)) {
        start().catch(onError);
      }
    },
    ready: () => loading ?? Promise.resolve(),
    async start() {
      started = true;
      for (const extension of loaded ?? []) await extension.start?.();
    },
    async admin(app: FastifyInstance) {
      if (loaded !== undefined) {
        for (const extension of loaded) await extension.admin?.(app);
        return;
      }
      // Loaded after the admin listener started (a reload turned mirroring on): fastify cannot add routes to a
      // listening app, so unmatched /api/* requests go to a small app holding the extensions' routes.
      let inner: Promise<FastifyInstance> | undefined;
      const innerApp = async (): Promise<FastifyInstance> => {
        const { default: Fastify } = await import('fastify');
        const created = Fastify({ logger: false, bodyLimit: 64 * 1024, ajv: { customOptions: { removeAdditional: false } } });
        created.setNotFoundHandler((_request, reply) => reply.code(404).header(UNMATCHED, '1').send());
        for (const extension of loaded ?? []) await extension.admin?.(created);
        await created.ready();
        return created;
      };
      app.all('/api/*', async (request, reply) => {
        if (loaded === undefined) return reply.callNotFound();
        inner ??= innerApp();
        const answer = await (await inner).inject({
          method: request.method as 'GET',
          url: request.url,
          headers: request.headers,
          ...(request.body === undefined ? {} : { payload: request.body as string | object }),
        });
        if (answer.headers[UNMATCHED] !== undefined) return reply.callNotFound();
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
        return reply.code(answer.statusCode).headers(headers).send(answer.rawPayload);
      });
    },
    async close() {
      closed = true;
      await loading?.catch(() => undefined);
      for (const extension of loaded ?? []) await extension.close?.();
    },
  };
}

/**
 * lazyDefaultExtensions are figway start's extensions: coordination and the ramp on every figway (they are light, and
 * load Redis clients or undici's request API only when the configuration asks for them — shared weights matter on a
 * plain gateway too), the comparison stack imported when a route mirrors or declares Redis keys, and the dashboard.
 */
export const lazyDefaultExtensions: ExtensionsFactory = (context: ExtensionContext) => {
  let comparison: ComparisonExtensions | undefined;
  const control = createControlExtensions(context, () => comparison?.mirror.store()?.summaries());
  return [
    ...control.extensions,
    createLazyExtension(
      async () => {
        const { createComparisonExtensions } = await import('./extensions.js');
        comparison = createComparisonExtensions(context);
        return comparison.extensions;
      },
      (error) => context.logger.error({ err: error }, 'the comparison features could not be loaded; routes are served without mirroring'),
    ),
    // The dashboard is light and is the first page a user opens: there on every figway, not only once a route mirrors.
    createDashboardExtension({ ...context, timeline: () => control.ramp.evidence() }),
  ];
};
