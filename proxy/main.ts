/**
 * startFigway wires a running figway: config manager (with file watching), data plane, admin listener and plugins.
 * The CLI's `start` and the demo both go through it; tests use it with port 0.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createConfigManager, type ConfigManager } from './config/manager.js';
import { adminTokensFrom, type AdminToken } from './config/load.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { createGateway, type Gateway, type GatewayPlugin } from './gateway.js';
import { createAdminServer, type AdminModule } from './admin.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { createLogger } from './log.js';
import type { RandomSource } from './routing/select.js';
import { createAuditLog, type AuditLog } from './audit.js';
import { createFigwayEvents, type FigwayEvents } from './events.js';
import type { RuntimeSnapshot } from './runtime.js';

/** FigwayExtension plugs a feature (mirroring, comparison, Redis checks) into the gateway and the admin API. */
export interface FigwayExtension {
  plugin?: GatewayPlugin;
  admin?: AdminModule;
  /** Called whenever a new snapshot is applied (also the first). */
  applied?(snapshot: RuntimeSnapshot): void;
  /** Called once the configuration is loaded, before the listeners open, except in a worker (the ramp controller starts here). */
  start?(): void | Promise<void>;
  /** Awaited after the first snapshot, before serving (an extension that loads its code on demand). */
  ready?(): Promise<void>;
  close?(): Promise<void>;
}

/** StartOptions configure startFigway; everything but configPath has a production default. */
export interface StartOptions {
  configPath: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  random?: RandomSource;
  watch?: boolean;
  /** Override the configured ports (tests and the bench use 0). */
  gatewayPort?: number;
  adminPort?: number;
  extensions?: (context: ExtensionContext) => FigwayExtension[] | Promise<FigwayExtension[]>;
  /** Clock (epoch ms) of the audit log and the ramp controller. Default Date.now. */
  now?: () => number;
  /**
   * The process's part when `workers` > 1 (proxy/cluster): a primary serves the admin listener but no data plane,
   * a worker the data plane but no admin listener. Default 'single': both.
   */
  role?: 'single' | 'primary' | 'worker';
  /** The metrics to use (the primary's add up its workers'); default a fresh createGatewayMetrics(). */
  metrics?: GatewayMetrics;
}

/** ExtensionContext is what an extension may use of the running figway. */
export interface ExtensionContext {
  logger: Logger;
  metrics: GatewayMetrics;
  manager: () => ConfigManager;
  audit: AuditLog;
  events: FigwayEvents;
  /** The clock (epoch ms). */
  now: () => number;
}

/** RunningFigway is a started instance. */
export interface RunningFigway {
  /** gatewayUrl is the first data-plane listener's URL (`gateway`, or the first entrypoint when it is disabled). */
  gatewayUrl: string;
  /** entrypointUrls are every data-plane listener's URL by entrypoint name. */
  entrypointUrls: Readonly<Record<string, string>>;
  adminUrl: string | undefined;
  manager: ConfigManager;
  gateway: Gateway;
  admin: FastifyInstance | undefined;
  metrics: GatewayMetrics;
  logger: Logger;
  audit: AuditLog;
  events: FigwayEvents;
  /** stop drains in-flight requests (up to the configured grace), then closes everything. */
  stop(): Promise<{ drained: boolean; abandoned: number }>;
}

/** startFigway starts figway from a configuration file. Throws ConfigError on invalid files and on a listener that cannot bind. */
export async function startFigway(options: StartOptions): Promise<RunningFigway> {
  const env = options.env ?? process.env;
  const metrics = options.metrics ?? createGatewayMetrics();
  const role = options.role ?? 'single';
  let logger = options.logger ?? createLogger('info');
  let managerRef: ConfigManager | undefined;
  const events = createFigwayEvents();
  // The audit log writes through whichever logger is current (the configured one replaces the default below).
  const now = options.now ?? Date.now;
  const audit = createAuditLog({ logger: () => logger, now });
  audit.on('entry', (entry) => events.emit('audit', entry));
  // Whatever is opened is closed again if the start fails, so a failed `figway start` exits (Redis clients included).
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const extensions = options.extensions === undefined ? [] : await options.extensions({ logger, metrics, manager: () => managerRef!, audit, events, now });
    undo.push(async () => { for (const extension of extensions) await extension.close?.(); });
    const manager = await createConfigManager({
      configPath: options.configPath,
      logger,
      metrics,
      ...(options.random === undefined ? {} : { random: options.random }),
      onApplied: (snapshot) => { for (const extension of extensions) extension.applied?.(snapshot); },
    });
    managerRef = manager;
    undo.push(() => manager.close());
    for (const extension of extensions) await extension.ready?.();
    const config = manager.config;
    if (options.logger === undefined) {
      logger = createLogger(config.log.level);
    }
    // Controllers (the ramp) act where the admin listener runs: never in a worker, so N workers are still one ramp.
    if (role !== 'worker') for (const extension of extensions) await extension.start?.();

    let adminTokens: AdminToken[] | undefined;
    if (config.listeners.admin.enabled) {
      const tokens = adminTokensFrom(config, env);
      if (tokens.length === 0 || 'code' in tokens[0]!) throw new ConfigError(tokens as ConfigIssue[]);
      adminTokens = tokens as AdminToken[];
    }

    // Data-plane listeners by entrypoint name: `gateway` (unless disabled), then the named ones, in file order.
    const listeners = new Map<string, { host: string; port: number; field: string }>();
    if (config.listeners.gateway.enabled) {
      listeners.set('gateway', { host: config.listeners.gateway.host, port: options.gatewayPort ?? config.listeners.gateway.port, field: 'listeners.gateway.port' });
    }
    for (const [name, entrypoint] of Object.entries(config.listeners.entrypoints)) {
      listeners.set(name, { host: entrypoint.host, port: entrypoint.port, field: `listeners.entrypoints.${name}.port` });
    }
    const gateway = createGateway({
      snapshot: manager.snapshot,
      metrics,
      logger,
      accessLog: config.log.access,
      maxHeaderBytes: config.maxHeaderBytes,
      clientTimeouts: config.clientTimeouts,
      entrypoints: [...listeners.keys()],
      plugins: extensions.flatMap((extension) => (extension.plugin === undefined ? [] : [extension.plugin])),
    });
    const entrypointUrls: Record<string, string> = {};
    for (const [name, listener] of listeners) {
      entrypointUrls[name] = `http://${urlHost(listener.host)}:${listener.port}`;
      if (role === 'primary') continue;
      const server = gateway.servers.get(name)!;
      undo.push(() => closeServer(server));
      await listenOrExplain(() => new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, listener.host, () => {
          server.off('error', reject);
          resolve();
        });
      }), manager.configPath, listener.field, listener);
      const address = server.address() as AddressInfo;
      entrypointUrls[name] = `http://${urlHost(address.address)}:${address.port}`;
    }
    const gatewayUrl = Object.values(entrypointUrls)[0]!;

    let stopping = false;
    let admin: FastifyInstance | undefined;
    let adminUrl: string | undefined;
    if (adminTokens !== undefined && role !== 'worker') {
      const app = await createAdminServer({
        tokens: adminTokens,
        sessionTtlMs: config.listeners.admin.sessionTtlSeconds * 1000,
        manager,
        metrics,
        audit,
        events,
        ready: () => !stopping,
        modules: extensions.flatMap((extension) => (extension.admin === undefined ? [] : [extension.admin])),
      });
      admin = app;
      undo.push(() => app.close());
      const adminListener = { host: config.listeners.admin.host, port: options.adminPort ?? config.listeners.admin.port };
      await listenOrExplain(() => app.listen(adminListener), manager.configPath, 'listeners.admin.port', adminListener);
      const adminAddress = app.server.address() as AddressInfo;
      adminUrl = `http://${urlHost(adminAddress.address)}:${adminAddress.port}`;
    }
    if (options.watch !== false) manager.watch();
    logger.info({ entrypoints: entrypointUrls, admin: adminUrl ?? 'disabled', routes: manager.snapshot().routes.map((r) => `${r.name}=${r.weight}%`) }, 'figway started');

    return {
      gatewayUrl,
      entrypointUrls,
      adminUrl,
      manager,
      gateway,
      admin,
      metrics,
      logger,
      audit,
      events,
      async stop() {
        stopping = true;
        const result = role === 'primary' ? { drained: true, abandoned: 0 } : await gateway.drain(config.shutdownGraceMs);
        await admin?.close();
        for (const extension of extensions) await extension.close?.();
        await manager.close();
        logger.info(result, 'figway stopped');
        return result;
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

/** LISTEN_PROBLEMS explain the bind errors a user can fix. */
const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use (EADDRINUSE); stop what holds it or choose another port',
  EACCES: 'needs privileges to bind (EACCES); choose a port above 1023',
  EADDRNOTAVAIL: 'is not an address of this machine (EADDRNOTAVAIL)',
  ENOTFOUND: 'names a host that does not resolve (ENOTFOUND)',
};

/** listenOrExplain runs `listen`; a bind failure becomes a ConfigError naming the listener's field and address. */
async function listenOrExplain(listen: () => Promise<unknown>, file: string, field: string, at: { host: string; port: number }): Promise<void> {
  try {
    await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    const problem = LISTEN_PROBLEMS[code] ?? `cannot be bound (${(error as Error).message})`;
    throw new ConfigError([{ code: 'CONFIG_LISTEN_FAILED', file, field, message: `${at.host}:${at.port} ${problem}` }]);
  }
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
