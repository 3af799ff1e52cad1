/**
 * Evidence summed across instances: every instance publishes its cumulative counters to the shared Redis each time it
 * reads them (a key per instance that expires after three intervals, listed in a sorted set by time), and reads every
 * live instance's. The evidence layer takes deltas per instance, so an instance that restarts or goes away never makes
 * a count go backwards. Where unexpected differences were (the diff store's detail) is global already when the diff
 * store is in Redis: it is then read once, not summed over instances. Reading fails while Redis is down, so the
 * ramp's gates get no new evidence and its verdict says the ramp waits.
 */
import { emptyRouteCounters, type CounterSnapshot } from '../evidence/counters.js';
import type { EvidenceSource } from '../evidence/evidence.js';
import type { CoordinationConnection } from './connection.js';

/** GLOBAL_DETAIL names the pseudo-instance that carries a shared diff store's detail. */
export const GLOBAL_DETAIL = '@diff-store';

/** createSharedEvidenceSource publishes this instance's counters and reads everyone's. */
export function createSharedEvidenceSource(options: {
  connection: CoordinationConnection;
  prefix: string;
  instance: string;
  local: () => Promise<CounterSnapshot>;
  intervalMs: number;
  /** True when the diff store is shared (Redis): its detail is the same on every instance. */
  detailIsGlobal: () => boolean;
  now?: () => number;
}): EvidenceSource {
  const { connection, instance } = options;
  const index = `${options.prefix}:evidence:instances`;
  const keyOf = (name: string): string => `${options.prefix}:evidence:${name}`;
  const now = options.now ?? Date.now;
  const ttl = options.intervalMs * 3;
  return {
    async read() {
      const mine = await options.local();
      const global = options.detailIsGlobal();
      const published: CounterSnapshot = {};
      const detail: CounterSnapshot = {};
      for (const [route, counters] of Object.entries(mine)) {
        const { detail: routeDetail, ...rest } = counters;
        published[route] = global ? rest : counters;
        if (global && routeDetail !== undefined) detail[route] = { ...emptyRouteCounters(), detail: routeDetail };
      }
      if (!connection.available()) throw new Error('the shared Redis cannot be reached: no evidence from the other instances');
      const at = now();
      await connection.redis.multi()
        .set(keyOf(instance), JSON.stringify(published), 'PX', ttl)
        .zadd(index, at, instance)
        .zremrangebyscore(index, '-inf', at - ttl * 10)
        .exec();
      const names = (await connection.redis.zrangebyscore(index, at - ttl, '+inf')).filter((name) => name !== instance);
      const texts = names.length === 0 ? [] : await connection.redis.mget(...names.map(keyOf));
      const all = new Map<string, CounterSnapshot>([[instance, published]]);
      names.forEach((name, position) => {
        const text = texts[position];
        if (text !== null && text !== undefined) all.set(name, JSON.parse(text) as CounterSnapshot);
      });
      if (global) all.set(GLOBAL_DETAIL, detail);
      return all;
    },
  };
}
