/**
 * startFigway wires a running figway: config manager (with file watching), data plane, admin listener and plugins.
 * The CLI's `start` and the demo both go through it; tests use it with port 0.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createConfigManager, type ConfigManager } from './config/manager.js';
import { adminTokenFrom } from './config/load.js';
import { ConfigError } from './errors.js';
import { createGateway, type Gateway, type GatewayPlugin } from './gateway.js';
import { createAdminServer, type AdminModule } from './admin.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { createLogger } from './log.js';
import type { RandomSource } from './routing/select.js';
import type { RuntimeSnapshot } from './runtime.js';

/** FigwayExtension plugs a feature (mirroring, comparison, Redis checks) into the gateway and the admin API. */
export interface FigwayExtension {
  plugin?: GatewayPlugin;
  admin?: AdminModule;
  /** Called whenever a new snapshot is applied (also the first). */
  applied?(snapshot: RuntimeSnapshot): void;
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
  extensions?: (context: { logger: Logger; metrics: GatewayMetrics; manager: () => ConfigManager }) => FigwayExtension[] | Promise<FigwayExtension[]>;
  /**
   * The process's part when `workers` > 1 (proxy/cluster): a primary serves the admin listener but no data plane,
   * a worker the data plane but no admin listener. Default 'single': both.
   */
  role?: 'single' | 'primary' | 'worker';
  /** The metrics to use (the primary's add up its workers'); default a fresh createGatewayMetrics(). */
  metrics?: GatewayMetrics;
}

/** RunningFigway is a started instance. */
export interface RunningFigway {
  gatewayUrl: string;
  adminUrl: string | undefined;
  manager: ConfigManager;
  gateway: Gateway;
  admin: FastifyInstance | undefined;
  metrics: GatewayMetrics;
  logger: Logger;
  /** stop drains in-flight requests (up to the configured grace), then closes everything. */
  stop(): Promise<{ drained: boolean; abandoned: number }>;
}

/** startFigway starts figway from a configuration file. Throws ConfigError on invalid files. */
export async function startFigway(options: StartOptions): Promise<RunningFigway> {
  const env = options.env ?? process.env;
  const metrics = options.metrics ?? createGatewayMetrics();
  const role = options.role ?? 'single';
  let logger = options.logger ?? createLogger('info');
  let managerRef: ConfigManager | undefined;
  const extensions = options.extensions === undefined ? [] : await options.extensions({ logger, metrics, manager: () => managerRef! });
  const manager = await createConfigManager({
    configPath: options.configPath,
    logger,
    metrics,
    ...(options.random === undefined ? {} : { random: options.random }),
    onApplied: (snapshot) => { for (const extension of extensions) extension.applied?.(snapshot); },
  });
  managerRef = manager;
  for (const extension of extensions) await extension.ready?.();
  const config = manager.config;
  if (options.logger === undefined) {
    logger = createLogger(config.log.level);
  }

  let adminToken: string | undefined;
  if (config.listeners.admin.enabled) {
    const token = adminTokenFrom(config, env);
    if (typeof token !== 'string') throw new ConfigError([token]);
    adminToken = token;
  }

  const gateway = createGateway({
    snapshot: manager.snapshot,
    metrics,
    logger,
    accessLog: config.log.access,
    maxHeaderBytes: config.maxHeaderBytes,
    plugins: extensions.flatMap((extension) => (extension.plugin === undefined ? [] : [extension.plugin])),
  });
  let gatewayUrl = `http://${urlHost(config.listeners.gateway.host)}:${options.gatewayPort ?? config.listeners.gateway.port}`;
  if (role !== 'primary') {
    gateway.server.listen(options.gatewayPort ?? config.listeners.gateway.port, config.listeners.gateway.host);
    await once(gateway.server, 'listening');
    const gatewayAddress = gateway.server.address() as AddressInfo;
    gatewayUrl = `http://${urlHost(gatewayAddress.address)}:${gatewayAddress.port}`;
  }

  let stopping = false;
  let admin: FastifyInstance | undefined;
  let adminUrl: string | undefined;
  if (adminToken !== undefined && role !== 'worker') {
    admin = await createAdminServer({
      token: adminToken,
      manager,
      metrics,
      ready: () => !stopping,
      modules: extensions.flatMap((extension) => (extension.admin === undefined ? [] : [extension.admin])),
    });
    await admin.listen({ port: options.adminPort ?? config.listeners.admin.port, host: config.listeners.admin.host });
    const adminAddress = admin.server.address() as AddressInfo;
    adminUrl = `http://${urlHost(adminAddress.address)}:${adminAddress.port}`;
  }
  if (options.watch !== false) manager.watch();
  logger.info({ gateway: gatewayUrl, admin: adminUrl ?? 'disabled', routes: manager.snapshot().routes.map((r) => `${r.name}=${r.weight}%`) }, 'figway started');

  return {
    gatewayUrl,
    adminUrl,
    manager,
    gateway,
    admin,
    metrics,
    logger,
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
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
