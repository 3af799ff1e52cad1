/**
 * The runtime snapshot: routes compiled from a validated configuration and weight set. A reload builds a new
 * snapshot and swaps one reference; requests in flight keep the snapshot (and pools) they started with.
 */
import type { Pool } from 'undici';
// The Pool module alone, not undici's index: the index also loads fetch, WebSocket, caches and the rest, ~8 MB of
// resident memory a gateway never uses (measured: bench "dependency costs").
import PoolClass from 'undici/lib/dispatcher/pool.js';
import type { BlockList } from 'node:net';
import type { FigwayConfig, RouteConfig, UpstreamConfig } from './config/schema.js';
import { parseTrustedProxies } from './config/load.js';
import { createRouteMatcher, type RouteMatcher } from './routing/match.js';
import { createStickyPolicy, createWeightedDraw, type RandomSource, type SidePolicy } from './routing/select.js';
import type { Side } from '../shadow-report/types.js';

/** UpstreamTarget is one deployment with its connection pool. */
export interface UpstreamTarget {
  name: string;
  origin: string;
  /** Path prefix of the base URL, without trailing slash ('' for none). */
  basePath: string;
  pool: Pool;
}

/** CompiledRoute is a route ready for the hot path. */
export interface CompiledRoute {
  name: string;
  config: RouteConfig;
  matches: RouteMatcher;
  policy: SidePolicy;
  weight: number;
  /** Lower-case override header name; always stripped, honoured only when overrideEnabled. */
  overrideHeader: string;
  overrideEnabled: boolean;
  targets: Record<Side, UpstreamTarget>;
  /** Shadow deployments (isolated mirroring), when declared. */
  shadowTargets: Partial<Record<Side, UpstreamTarget>>;
  needsClientAddress: boolean;
  /** True when plugins may want to observe this route (it mirrors or declares Redis keys); false skips them. */
  observed: boolean;
}

/** RuntimeSnapshot is everything a request needs, immutable once built. */
export interface RuntimeSnapshot {
  config: FigwayConfig;
  routes: CompiledRoute[];
  trusted: BlockList | undefined;
  weights: ReadonlyMap<string, number>;
}

/**
 * PoolRegistry shares undici pools between snapshots: a pool is reused while some route still points at the same
 * origin with the same options, and closed gracefully (in-flight requests finish) once no snapshot uses it.
 */
export class PoolRegistry {
  private pools = new Map<string, Pool>();

  /** acquire returns the pool for an origin and options, creating it on first use. */
  acquire(origin: string, connections: number, connectTimeoutMs: number): { key: string; pool: Pool } {
    const key = `${origin}|${connections}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new PoolClass(origin, {
        connections,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 60_000,
        connect: { timeout: connectTimeoutMs },
        // Per-request timeouts come from the route; these are only upper bounds.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(key, pool);
    }
    return { key, pool };
  }

  /** retainOnly closes pools whose keys are not in `inUse`; close() lets their requests finish first. */
  retainOnly(inUse: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (!inUse.has(key)) {
        this.pools.delete(key);
        pool.close().catch(() => undefined);
      }
    }
  }

  /**
   * closeAll closes every pool, letting requests finish for up to graceMs, then destroys what is left (a stalled
   * shadow must not hold a shutdown hostage: client requests were drained before this is called).
   */
  async closeAll(graceMs = 1_000): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map(async (pool) => {
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        pool.close().then(() => true),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), graceMs); }),
      ]);
      clearTimeout(timer);
      if (!closed) await pool.destroy();
    }));
  }
}

function targetFor(name: string, url: string, connections: number, connectMs: number, pools: PoolRegistry, used: Set<string>): UpstreamTarget {
  const parsed = new URL(url);
  const { key, pool } = pools.acquire(parsed.origin, connections, connectMs);
  used.add(key);
  const basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '');
  return { name, origin: parsed.origin, basePath, pool };
}

/** buildSnapshot compiles config + weights into a snapshot, reusing pools from `pools`. */
export function buildSnapshot(config: FigwayConfig, weights: ReadonlyMap<string, number>, pools: PoolRegistry, random: RandomSource): RuntimeSnapshot {
  const used = new Set<string>();
  const draw = createWeightedDraw(random);
  const routes = config.routes.map((route): CompiledRoute => {
    const upstream = (side: Side): UpstreamConfig => config.upstreams[route[side]]!;
    const connectMs = route.timeouts.connectMs;
    const targets = {
      legacy: targetFor(route.legacy, upstream('legacy').url, upstream('legacy').connections, connectMs, pools, used),
      new: targetFor(route.new, upstream('new').url, upstream('new').connections, connectMs, pools, used),
    };
    const shadowTargets: Partial<Record<Side, UpstreamTarget>> = {};
    for (const side of ['legacy', 'new'] as const) {
      const shadow = upstream(side).shadow;
      if (shadow !== undefined) shadowTargets[side] = targetFor(`${route[side]}-shadow`, shadow.url, upstream(side).connections, connectMs, pools, used);
    }
    return {
      name: route.name,
      config: route,
      matches: createRouteMatcher(route.match),
      policy: route.sticky === undefined ? draw : createStickyPolicy(route.sticky, route.salt ?? route.name, draw),
      weight: weights.get(route.name) ?? 0,
      overrideHeader: route.override.header.toLowerCase(),
      overrideEnabled: route.override.enabled,
      targets,
      shadowTargets,
      needsClientAddress: route.sticky !== undefined && 'clientAddress' in route.sticky,
      observed: route.mirror !== undefined || route.redis !== undefined,
    };
  });
  pools.retainOnly(used);
  return {
    config,
    routes,
    trusted: config.trustedProxies.length === 0 ? undefined : parseTrustedProxies(config.trustedProxies),
    weights,
  };
}
