/**
 * Coordination: several figway instances acting as one through a shared Redis (`coordination.redis.url` in
 * figway.yaml) — shared weights (pub/sub plus a stored copy read at start and after every reconnection), one ramp
 * leader per route (lease with fencing), evidence summed across instances, one audit history. Without a
 * `coordination` section it does nothing and the ramp keeps its state in the weights file alone. The section is read
 * at start; changing it needs a restart.
 */
import type { ExtensionContext, FigwayExtension } from '../main.js';
import type { RampStore } from '../ramp/store.js';
import type { EvidenceSource } from '../evidence/evidence.js';
import type { CounterSnapshot } from '../evidence/counters.js';
import type { Leases } from './lease.js';
import type { Coordination } from './shared.js';

/** CoordinationExtension hands the ramp its shared store and evidence source (or the local ones, alone). */
export interface CoordinationExtension extends FigwayExtension {
  rampStore(fileStore: RampStore): RampStore;
  evidenceSource(local: EvidenceSource & { local(): Promise<CounterSnapshot> }): EvidenceSource;
  /** leases, when coordinating (tests look at who holds what). */
  leases(): Leases | undefined;
}

/** createCoordinationExtension returns the extension; it connects at start when the configuration asks for it. */
export function createCoordinationExtension(context: ExtensionContext): CoordinationExtension {
  let coordination: Coordination | undefined;
  return {
    async start() {
      const config = context.manager().config.coordination;
      if (config === undefined) return;
      // ioredis and the rest load only when the configuration asks for coordination: a lone figway never carries them.
      const { startCoordination } = await import('./shared.js');
      coordination = await startCoordination(context, config);
    },
    rampStore: (fileStore) => coordination?.store ?? fileStore,
    evidenceSource: (local) => coordination?.evidenceSource(local) ?? local,
    leases: () => coordination?.leases,
    async close() {
      await coordination?.close();
    },
  };
}
