/**
 * One ioredis client per comparison-store URL, configured so a slow or dead Redis can never hold a request or fill
 * memory: no offline queue (a command on a disconnected client fails at once), one retry, a bounded command
 * timeout, and reconnection with a capped backoff so comparisons resume by themselves when Redis is back.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config/schema.js';
import { RedisCompareError } from './errors.js';

/** Longest pause between reconnection attempts, in ms. */
export const RECONNECT_MAX_DELAY_MS = 1_000;

/** RedisClientPool hands out ready clients by URL. */
export interface RedisClientPool {
  /**
   * ready returns the connected client for `url`. A client still making its very first connection is waited for
   * (at most `firstConnectWaitMs`); a client that lost its connection fails at once with REDIS_UNAVAILABLE.
   */
  ready(url: string): Promise<Redis>;
  /** warm creates (and starts connecting) the client for `url` so the first comparison finds it ready. */
  warm(url: string): void;
  /** retainOnly closes clients whose URLs are not in `urls`. */
  retainOnly(urls: ReadonlySet<string>): void;
  close(): Promise<void>;
}

/** RedisClientPoolOptions tune the pool; tests shorten the timeouts. */
export interface RedisClientPoolOptions {
  logger: Logger;
  commandTimeoutMs?: number;
  /** Longest wait for a client's first connection. Default the command timeout. */
  firstConnectWaitMs?: number;
}

/** createRedisClientPool builds the pool; clients connect on first use and reconnect forever until closed. */
export function createRedisClientPool(options: RedisClientPoolOptions): RedisClientPool {
  const clients = new Map<string, Redis>();
  const connectedOnce = new WeakSet<Redis>();
  const commandTimeout = options.commandTimeoutMs ?? DEFAULTS.redisCommandTimeoutMs;
  // Comparisons still running when figway stops must not open clients nobody will close (they would reconnect forever).
  let closed = false;

  function create(url: string): Redis {
    const client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout,
      connectTimeout: Math.max(commandTimeout, 1_000),
      enableReadyCheck: true,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), RECONNECT_MAX_DELAY_MS),
      reconnectOnError: () => false,
    });
    let down = false;
    client.on('error', (error: Error) => {
      // ioredis emits every failed attempt; log the first of a streak only (key names never reach these messages).
      if (!down) options.logger.warn({ err: { message: error.message } }, 'comparison store unreachable; Redis comparisons are skipped until it is back');
      down = true;
    });
    client.on('ready', () => {
      connectedOnce.add(client);
      if (down) options.logger.info('comparison store reachable again; Redis comparisons resume');
      down = false;
    });
    client.connect().catch(() => undefined); // failures are retried by retryStrategy and reported through 'error'
    return client;
  }

  function get(url: string): Redis {
    if (closed) throw new RedisCompareError('REDIS_UNAVAILABLE', 'comparison stores are closed');
    let client = clients.get(url);
    if (client === undefined) {
      client = create(url);
      clients.set(url, client);
    }
    return client;
  }

  return {
    warm(url) {
      if (!closed) get(url);
    },
    async ready(url) {
      const client = get(url);
      if (client.status === 'ready') return client;
      if (!connectedOnce.has(client) && (client.status === 'connecting' || client.status === 'connect' || client.status === 'wait')) {
        const waitMs = options.firstConnectWaitMs ?? commandTimeout;
        let timer: NodeJS.Timeout | undefined;
        let onReady: (() => void) | undefined;
        await new Promise<void>((resolve) => {
          onReady = resolve;
          client.once('ready', onReady);
          timer = setTimeout(resolve, waitMs);
        });
        clearTimeout(timer);
        client.off('ready', onReady!);
        if ((client.status as string) === 'ready') return client;
      }
      throw new RedisCompareError('REDIS_UNAVAILABLE', `comparison store not connected (${client.status})`);
    },
    retainOnly(urls) {
      for (const [url, client] of clients) {
        if (urls.has(url)) continue;
        clients.delete(url);
        client.disconnect();
      }
    },
    async close() {
      closed = true;
      const all = [...clients.values()];
      clients.clear();
      await Promise.allSettled(all.map(async (client) => {
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      }));
    },
  };
}
