/** startCoordination connects this figway to the shared Redis and wires the shared weights, leases, store, evidence and audit. */
import type { ExtensionContext } from '../main.js';
import type { CoordinationConfig } from '../config/schema.js';
import type { EvidenceSource } from '../evidence/evidence.js';
import type { CounterSnapshot } from '../evidence/counters.js';
import { defaultInstanceName } from '../instance.js';
import { createCoordinationConnection } from './connection.js';
import { createSharedWeights } from './weights.js';
import { createLeases, type Leases } from './lease.js';
import { createSharedRampStore, seedRampRecords, type SharedRampStore } from './ramp-store.js';
import { createSharedEvidenceSource } from './evidence.js';
import { shareAudit } from './audit.js';

/** Coordination is a running connection to the fleet. */
export interface Coordination {
  store: SharedRampStore;
  leases: Leases;
  evidenceSource(local: EvidenceSource & { local(): Promise<CounterSnapshot> }): EvidenceSource;
  close(): Promise<void>;
}

/** How long start waits for the shared Redis before serving on the local weights (it keeps trying afterwards). */
const FIRST_CONNECT_WAIT_MS = 2_000;

/** startCoordination: see the module comment. */
export async function startCoordination(context: ExtensionContext, config: CoordinationConfig): Promise<Coordination> {
  const manager = context.manager();
  const logger = context.logger;
  const instance = config.instance ?? defaultInstanceName();
  const prefix = config.prefix;
  const connection = createCoordinationConnection(config.redis.url, instance, logger);
  const weights = createSharedWeights({ connection, prefix, instance, manager, logger });
  const leases = createLeases({
    connection, prefix, instance, leaseMs: config.leaseMs, logger,
    routes: () => manager.config.routes.filter((route) => route.ramp !== undefined).map((route) => route.name),
  });
  const store = createSharedRampStore({ connection, prefix, instance, manager, weights, leases, logger });
  const audit = shareAudit({ connection, prefix, instance, audit: context.audit, logger });
  const load = async (): Promise<void> => {
    try {
      await weights.load();
      await seedRampRecords(connection, prefix, manager);
      await store.refresh();
      await audit.load();
    } catch (error) {
      logger.warn({ err: { message: (error as Error).message } }, 'shared state not read yet; read again on the next reconnection');
    }
  };
  if (await connection.ready(FIRST_CONNECT_WAIT_MS)) await load();
  else logger.warn({ redis: new URL(config.redis.url).host }, 'shared Redis not reachable at start: serving the local weights; ramps wait for it');
  // Every later (re)connection reads the shared copies again: what changed while this instance was cut off.
  connection.onReady(() => { void load(); });
  leases.start();
  return {
    store,
    leases,
    evidenceSource: (local) => createSharedEvidenceSource({
      connection, prefix, instance, local: local.local, intervalMs: manager.config.evidence.intervalMs,
      detailIsGlobal: () => manager.config.diffStore.kind === 'redis',
    }),
    async close() {
      await store.settled();
      await leases.stop();
      await connection.close();
    },
  };
}
