/**
 * Shared weights: with a shared Redis, a weight changed on any figway reaches every other within a second. The
 * stored copy is a hash (route → percent) read at start and after every reconnection; each change is published on a
 * channel the others listen to. A change heard from a peer is applied locally (and written to the local weights
 * file, source `peer`) and is never published again. While Redis is down the weights keep their last value.
 */
import type { Logger } from 'pino';
import type { ConfigManager, WeightsEvent } from '../config/manager.js';
import type { CoordinationConnection } from './connection.js';

/** SharedWeights is this instance's view of the shared weights. */
export interface SharedWeights {
  /** weight is the shared weight of a route (the local one until the shared copy was read). */
  weight(route: string): number;
  /** load reads the stored copy (seeding it from this instance's weights when there is none) and applies it. */
  load(): Promise<void>;
  /** heard applies a change published by a peer (also used after a ramp commit made here). */
  heard(weights: Record<string, number>): Promise<string[]>;
  /** onChange hears routes whose weight a peer changed. */
  onChange(listener: (routes: readonly string[]) => void): void;
}

/** WeightsMessage is what is published on the weights channel. */
export interface WeightsMessage {
  origin: string;
  weights: Record<string, number>;
}

/** Sources whose weight changes this instance publishes: its own file, configuration reload, API and CLI. */
const PUBLISHED: ReadonlySet<string> = new Set(['file', 'config', 'api', 'cli']);

// Seed the stored copy from this instance's weights unless it exists, then return it whole.
const SEED = `
if redis.call('EXISTS', KEYS[1]) == 0 and #ARGV > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV))
end
return redis.call('HGETALL', KEYS[1])`;

/** createSharedWeights keeps `manager` and the shared copy in step. */
export function createSharedWeights(options: {
  connection: CoordinationConnection;
  prefix: string;
  instance: string;
  manager: ConfigManager;
  logger: Logger;
}): SharedWeights & { key: string; channel: string } {
  const { connection, manager, logger, instance } = options;
  const key = `${options.prefix}:weights`;
  const channel = `${options.prefix}:weights`;
  const shared = new Map<string, number>();
  // Changes made here while Redis was unreachable: published first when it is back, before the stored copy is read.
  const unpublished = new Map<string, number>();
  const listeners: ((routes: readonly string[]) => void)[] = [];

  async function apply(weights: Record<string, number>): Promise<string[]> {
    const configured = new Set(manager.config.routes.map((route) => route.name));
    const edit: Record<string, number> = {};
    const changed: string[] = [];
    for (const [route, weight] of Object.entries(weights)) {
      if (!Number.isFinite(weight)) continue;
      if (shared.get(route) !== weight) changed.push(route);
      shared.set(route, weight);
      // A route this instance's configuration does not have (a rolling configuration change) is left alone.
      if (configured.has(route) && (manager.weights.weights.get(route) ?? 0) !== weight) edit[route] = weight;
    }
    if (Object.keys(edit).length > 0) {
      await manager.write({ weights: edit }, 'peer').catch((error: unknown) => logger.error({ err: error }, 'could not apply the shared weights locally'));
    }
    if (changed.length > 0) for (const listener of listeners) listener(changed);
    return changed;
  }

  async function publish(weights: Record<string, number>): Promise<void> {
    if (Object.keys(weights).length === 0) return;
    for (const [route, weight] of Object.entries(weights)) shared.set(route, weight);
    const message: WeightsMessage = { origin: instance, weights };
    try {
      const pairs = Object.entries(weights).flatMap(([route, weight]) => [route, String(weight)]);
      const replies = await connection.redis.multi().hset(key, ...pairs).publish(channel, JSON.stringify(message)).exec();
      if (replies === null || replies.some(([error]) => error !== null)) throw new Error('the shared Redis refused the write');
      for (const route of Object.keys(weights)) if (unpublished.get(route) === weights[route]) unpublished.delete(route);
    } catch (error) {
      // Kept here and published when Redis is back (load), before the stored copy is read.
      for (const [route, weight] of Object.entries(weights)) unpublished.set(route, weight);
      logger.warn({ err: { message: (error as Error).message } }, 'weight change not shared yet: the shared Redis is unreachable');
    }
  }

  manager.onWeights((event: WeightsEvent) => {
    if (!PUBLISHED.has(event.source)) return;
    void publish(Object.fromEntries(event.changes.map((change) => [change.route, change.new])));
  });
  void connection.hear<WeightsMessage>(channel, (message) => { void apply(message.weights); });

  return {
    key,
    channel,
    weight: (route) => shared.get(route) ?? manager.weights.weights.get(route) ?? 0,
    async load() {
      if (unpublished.size > 0) await publish(Object.fromEntries(unpublished));
      const local = [...manager.weights.weights].flatMap(([route, weight]) => [route, String(weight)]);
      const flat = await connection.redis.eval(SEED, 1, key, ...local) as string[];
      const stored: Record<string, number> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) stored[flat[i]!] = Number(flat[i + 1]);
      await apply(stored);
    },
    heard: apply,
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
