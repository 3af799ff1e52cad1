/**
 * Ramp leases: exactly one figway drives each ramp at a time. The lease is a Redis key `<token>|<instance>` with an
 * expiry, renewed by its holder at a third of the lease time and taken by another instance once it lapses. The token
 * comes from a per-route counter that only grows (a fencing token): every write the leader makes checks, inside Redis,
 * that the lease still holds its token — so a leader that was paused (GC, SIGSTOP, a slow disk) and lost its lease
 * meanwhile cannot write when it wakes up. Locally, a lease counts as held only until the time it was last renewed
 * plus the lease time, measured on the monotonic clock from when the renewal was sent.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { CoordinationConnection } from './connection.js';

// KEYS: lease, fence counter. ARGV: instance, lease ms. Returns {held (0|1), token, holder}.
const ACQUIRE = `
local value = redis.call('GET', KEYS[1])
if value then
  local bar = string.find(value, '|', 1, true)
  local token = string.sub(value, 1, bar - 1)
  local holder = string.sub(value, bar + 1)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, token, holder}
  end
  return {0, token, holder}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. '|' .. ARGV[1], 'PX', ARGV[2])
return {1, tostring(token), ARGV[1]}`;

// KEYS: lease. ARGV: token|instance. Gives the lease up only when it is still ours.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Leases keeps this instance's ramp leases. */
export interface Leases {
  /** token is the fencing token of a lease this instance holds now, else undefined. */
  token(route: string): number | undefined;
  /** holder names the instance holding a route's lease (as last seen), or null. */
  holder(route: string): string | null;
  /** leaseKey is the Redis key of a route's lease (fenced writes check it). */
  leaseKey(route: string): string;
  /** renew acquires or renews every route's lease once (the timer calls it; tests may too). */
  renew(): Promise<void>;
  start(): void;
  /** stop stops renewing and gives up held leases, so another instance takes over at once. */
  stop(): Promise<void>;
  /** suspend stops renewing without giving anything up (tests: a leader that froze). */
  suspend(): void;
}

/** createLeases keeps a lease for each of `routes()` while started. */
export function createLeases(options: {
  connection: CoordinationConnection;
  prefix: string;
  instance: string;
  leaseMs: number;
  routes: () => readonly string[];
  logger: Logger;
  onChange?: (route: string) => void;
}): Leases {
  const { connection, instance, leaseMs } = options;
  const held = new Map<string, { token: number; until: number }>();
  const holders = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;
  const leaseKey = (route: string): string => `${options.prefix}:lease:${route}`;

  async function renewOne(route: string): Promise<void> {
    const sent = performance.now();
    const before = holders.get(route);
    try {
      const [ok, token, holder] = await connection.redis.eval(ACQUIRE, 2, leaseKey(route), `${options.prefix}:fence:${route}`, instance, String(leaseMs)) as [number, string, string];
      holders.set(route, holder);
      if (ok === 1) held.set(route, { token: Number(token), until: sent + leaseMs });
      else held.delete(route);
    } catch {
      // Unreachable: what we held lapses on its own (`until`); nobody else can take it meanwhile either.
    }
    if (holders.get(route) !== before) {
      options.logger.info({ route, leader: holders.get(route) }, 'ramp leader');
      options.onChange?.(route);
    }
  }

  const leases: Leases = {
    token(route) {
      const lease = held.get(route);
      // A small margin: never act on a lease in its last tenth (clock granularity, the write's own latency).
      return lease !== undefined && performance.now() < lease.until - leaseMs / 10 ? lease.token : undefined;
    },
    holder: (route) => holders.get(route) ?? null,
    leaseKey,
    async renew() {
      if (renewing !== undefined) return renewing;
      renewing = Promise.all(options.routes().map(renewOne)).then(() => undefined).finally(() => { renewing = undefined; });
      return renewing;
    },
    start() {
      if (timer !== undefined) return;
      void leases.renew();
      timer = setInterval(() => { void leases.renew(); }, Math.max(100, Math.floor(leaseMs / 3)));
      timer.unref();
    },
    suspend() {
      clearInterval(timer);
      timer = undefined;
    },
    async stop() {
      leases.suspend();
      await renewing;
      await Promise.allSettled([...held].map(([route, lease]) => connection.redis.eval(RELEASE, 1, leaseKey(route), `${lease.token}|${instance}`)));
      held.clear();
    },
  };
  return leases;
}
