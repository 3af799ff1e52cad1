/**
 * The shared RampStore: with a shared Redis, each ramp's record lives in Redis and every write is one Lua script that
 * compares and sets — the record's version and the shared weight must be what the decision was based on, and an
 * automatic (controller) write must still hold the route's lease with its fencing token — then stores the record and
 * the weight together and publishes both. Any instance may carry out a human action; only the lease holder evaluates.
 * While Redis is unreachable nothing is written: the controller sees `available() === false` and ramps pause.
 */
import type { Logger } from 'pino';
import type { ConfigManager } from '../config/manager.js';
import type { RampRecord } from '../config/schema.js';
import { RampConflictError, RampUnavailableError, type Expected, type RampStore } from '../ramp/store.js';
import type { CoordinationConnection } from './connection.js';
import type { Leases } from './lease.js';
import type { SharedWeights, WeightsMessage } from './weights.js';

// KEYS: ramp record, weights hash, lease. ARGV: expected version, expected weight, record JSON, weight, route,
// fencing token ('' for a human action), instance, weights channel, ramps channel, weights message, ramp message.
const COMMIT = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = cjson.decode(current).version end
if tonumber(version) ~= tonumber(ARGV[1]) then return 'conflict' end
local weight = tonumber(redis.call('HGET', KEYS[2], ARGV[5])) or 0
if weight ~= tonumber(ARGV[2]) then return 'conflict' end
if ARGV[6] ~= '' and redis.call('GET', KEYS[3]) ~= (ARGV[6] .. '|' .. ARGV[7]) then return 'fenced' end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[4])
redis.call('PUBLISH', ARGV[8], ARGV[10])
redis.call('PUBLISH', ARGV[9], ARGV[11])
return 'ok'`;

/** RampMessage is what the ramps channel carries: the route whose record changed, and who changed it. */
interface RampMessage {
  origin: string;
  route: string;
}

/** SharedRampStore is a RampStore whose records live in Redis. */
export interface SharedRampStore extends RampStore {
  refresh(): Promise<void>;
  /** settled waits for the local copies of the last commits (shutdown, tests). */
  settled(): Promise<void>;
}

/** createSharedRampStore keeps ramp records in the shared Redis, leased per route. */
export function createSharedRampStore(options: {
  connection: CoordinationConnection;
  prefix: string;
  instance: string;
  manager: ConfigManager;
  weights: SharedWeights & { key: string; channel: string };
  leases: Leases;
  logger: Logger;
}): SharedRampStore {
  const { connection, manager, weights, leases, instance } = options;
  const records = new Map<string, RampRecord>();
  const pending = new Set<Promise<unknown>>();
  const listeners: ((routes: readonly string[]) => void)[] = [];
  const recordKey = (route: string): string => `${options.prefix}:ramp:${route}`;
  const channel = `${options.prefix}:ramps`;
  const ramped = (): string[] => manager.config.routes.filter((route) => route.ramp !== undefined).map((route) => route.name);
  const notify = (routes: readonly string[]): void => { for (const listener of listeners) listener(routes); };

  async function refreshRoutes(routes: readonly string[]): Promise<void> {
    if (routes.length === 0) return;
    const texts = await connection.redis.mget(...routes.map(recordKey));
    routes.forEach((route, index) => {
      const text = texts[index];
      if (text === null || text === undefined) return;
      try {
        records.set(route, JSON.parse(text) as RampRecord);
      } catch {
        options.logger.error({ route }, 'unreadable shared ramp record');
      }
    });
  }

  void connection.hear<RampMessage>(channel, (message) => {
    void refreshRoutes([message.route]).then(() => notify([message.route]), () => undefined);
  });
  weights.onChange((routes) => notify(routes));

  const store: SharedRampStore = {
    // Until the shared copy was read, the record this instance kept in its own weights file stands in.
    record: (route) => records.get(route) ?? manager.weights.ramps.get(route),
    weight: (route) => weights.weight(route),
    async commit(route, expected: Expected, next) {
      if (!connection.available()) throw new RampUnavailableError('the shared Redis cannot be reached');
      const automatic = next.updatedBy === 'ramp';
      const token = leases.token(route);
      if (automatic && token === undefined) throw new RampConflictError(`this instance no longer holds the lease of ${route}`);
      const record: RampRecord = { ...next, ...(automatic ? { fence: token! } : {}) };
      const message: WeightsMessage = { origin: instance, weights: { [route]: record.weight } };
      let result: string;
      try {
        result = await connection.redis.eval(COMMIT, 3, recordKey(route), weights.key, leases.leaseKey(route),
          String(expected.version), String(expected.weight), JSON.stringify(record), String(record.weight), route,
          automatic ? String(token) : '', instance, weights.channel, channel, JSON.stringify(message),
          JSON.stringify({ origin: instance, route } satisfies RampMessage)) as string;
      } catch (error) {
        throw new RampUnavailableError(`the shared Redis did not take the write: ${(error as Error).message}`);
      }
      if (result !== 'ok') {
        await Promise.all([refreshRoutes([route]), weights.load()]).catch(() => undefined);
        throw new RampConflictError(result === 'fenced' ? `the lease of ${route} was taken over; the new leader carries on` : `the ramp of ${route} changed meanwhile`);
      }
      records.set(route, record);
      // The shared write is done: return at once so the transition is announced (audit, webhook) without waiting for
      // this instance's own copies — the weight applied here and the state kept in the local weights file, so a
      // restart without Redis still shows where the ramp stood.
      const local = weights.heard({ [route]: record.weight })
        .then(() => manager.write({ ramps: { [route]: record } }, 'ramp'))
        .catch((error: unknown) => options.logger.warn({ err: error }, 'ramp state not written to the local weights file'));
      pending.add(local);
      void local.finally(() => pending.delete(local));
    },
    leads: (route) => connection.available() && leases.token(route) !== undefined,
    leader: (route) => leases.holder(route),
    available: () => connection.available(),
    onChange(listener) {
      listeners.push(listener);
      return () => listeners.splice(listeners.indexOf(listener), 1);
    },
    async settled() {
      await Promise.allSettled([...pending]);
    },
    async refresh() {
      if (!connection.available()) return;
      await refreshRoutes(ramped()).catch(() => undefined);
    },
  };
  return store;
}

/** seedRampRecords copies this instance's file records into Redis where Redis has none (the first instance to share). */
export async function seedRampRecords(connection: CoordinationConnection, prefix: string, manager: ConfigManager): Promise<void> {
  for (const [route, record] of manager.weights.ramps) {
    await connection.redis.set(`${prefix}:ramp:${route}`, JSON.stringify(record), 'NX');
  }
}
