/**
 * Where ramp state lives. Alone, a figway keeps it in its weights file (ramps: section beside routes:), written with
 * the weight in one atomic, comment-keeping write. With a shared Redis (proxy/coordination) the shared store keeps it
 * there, with a leader lease per route and fencing. Both compare-and-set: a write based on a state someone else has
 * changed since (a human action, a hand edit of the weight, another instance) is refused and re-evaluated.
 */
import type { ConfigManager } from '../config/manager.js';
import type { RampRecord } from '../config/schema.js';

/** RampConflictError: the state changed since it was read; nothing was written. */
export class RampConflictError extends Error {
  readonly code = 'RAMP_CONFLICT';
}

/** RampUnavailableError: the shared store cannot be reached; nothing was written (ramps pause, never advance blind). */
export class RampUnavailableError extends Error {
  readonly code = 'RAMP_UNAVAILABLE';
}

/** Expected is what a write was based on: the record's version and the weight in force. */
export interface Expected {
  version: number;
  weight: number;
}

/** RampStore keeps ramp records and the weights they set. */
export interface RampStore {
  record(route: string): RampRecord | undefined;
  weight(route: string): number;
  /** commit writes `next` (and its weight) if the state is still `expected`; throws RampConflictError or RampUnavailableError. */
  commit(route: string, expected: Expected, next: RampRecord): Promise<void>;
  /** leads: may this instance drive the route's ramp now (always, alone). */
  leads(route: string): boolean;
  /** leader names the instance driving the route's ramp, when several share a Redis. */
  leader(route: string): string | null;
  /** available: false while a shared store cannot be reached. */
  available(): boolean;
  /** onChange hears changes made elsewhere (a file edit, another instance): the controller re-checks at once. */
  onChange(listener: (routes: readonly string[]) => void): () => void;
  /** refresh re-reads records kept elsewhere (the shared store) before an evaluation or an action. */
  refresh?(): Promise<void>;
}

/** createFileRampStore keeps ramp state in the weights file through the ConfigManager. */
export function createFileRampStore(manager: ConfigManager): RampStore {
  return {
    record: (route) => manager.weights.ramps.get(route),
    weight: (route) => manager.weights.weights.get(route) ?? 0,
    async commit(route, expected, next) {
      await manager.write({ weights: { [route]: next.weight }, ramps: { [route]: next } }, 'ramp', (current) => {
        const version = current.ramps.get(route)?.version ?? 0;
        const weight = current.weights.get(route) ?? 0;
        if (version !== expected.version || weight !== expected.weight) {
          throw new RampConflictError(`the ramp of ${route} changed meanwhile (version ${version}, weight ${weight}%)`);
        }
      });
    },
    leads: () => true,
    leader: () => null,
    available: () => true,
    onChange(listener) {
      return manager.onWeights((event) => {
        if (event.source === 'ramp') return;
        const routes = new Set([...event.changes.map((change) => change.route), ...event.current.ramps.keys()]);
        listener([...routes]);
      });
    },
  };
}
