/**
 * The coordination connection: two ioredis clients to the shared Redis (commands, and a subscriber for pub/sub),
 * configured so a Redis outage never blocks anything: no offline queue, a bounded command timeout, reconnection
 * forever with a capped backoff. `available()` says whether commands can be sent now; `onReady` hears every
 * (re)connection so the stored copies (weights, ramps, audit) are read again after an outage.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** CoordinationConnection is the shared Redis as coordination sees it. */
export interface CoordinationConnection {
  readonly redis: Redis;
  /** subscribe listens on a channel; the handler gets each message's text. */
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /** hear listens on a channel of JSON messages `{ origin, … }` and hands over those other instances sent. */
  hear<T extends { origin: string }>(channel: string, handler: (message: T) => void): Promise<void>;
  available(): boolean;
  /** onReady runs `listener` on every connection of the command client (the first and each reconnection). */
  onReady(listener: () => void): void;
  /** ready resolves true once connected, false after `waitMs` without a connection. */
  ready(waitMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** COMMAND_TIMEOUT_MS bounds every coordination command. */
export const COMMAND_TIMEOUT_MS = 500;

function client(url: string, name: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 1_000,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1_000),
  });
}

/** createCoordinationConnection connects in the background and returns at once. */
export function createCoordinationConnection(url: string, instance: string, logger: Logger): CoordinationConnection {
  const redis = client(url, `figway:${instance}`);
  // The subscriber keeps its subscriptions across reconnections (ioredis re-subscribes) and needs the offline queue
  // for that; it only ever subscribes, so nothing else can pile up in it.
  const subscriber = new Redis(url, { lazyConnect: true, connectionName: `figway:${instance}:sub`, retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1_000) });
  const handlers = new Map<string, (message: string) => void>();
  const readyListeners: (() => void)[] = [];
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: { message: error.message } }, 'shared Redis unreachable: weights keep their last value, ramps pause until it is back');
    down = true;
  });
  subscriber.on('error', () => undefined); // reported through the command client
  // Ready listeners read the shared state (weights, ramps, audit). They run only once BOTH clients are back and the
  // subscriber's re-subscriptions are answered (a PING behind them on the same connection): a peer's change published
  // after that read is heard, one published before it is in what is read — never lost between the two.
  const announceReady = (): void => {
    if (redis.status !== 'ready' || subscriber.status !== 'ready') return;
    subscriber.ping().then(() => {
      if (redis.status !== 'ready') return;
      if (down) logger.info('shared Redis reachable again: reading the shared weights, ramps and audit');
      down = false;
      for (const listener of [...readyListeners]) listener();
    }, () => undefined);
  };
  redis.on('ready', announceReady);
  subscriber.on('ready', announceReady);
  subscriber.on('message', (channel: string, message: string) => handlers.get(channel)?.(message));
  redis.connect().catch(() => undefined);
  subscriber.connect().catch(() => undefined);
  let closed = false;
  const subscribe = async (channel: string, handler: (message: string) => void): Promise<void> => {
    handlers.set(channel, handler);
    await subscriber.subscribe(channel).catch((error: Error) => logger.warn({ err: { message: error.message }, channel }, 'subscription deferred until Redis is back'));
  };
  return {
    redis,
    subscribe,
    hear(channel, handler) {
      return subscribe(channel, (text) => {
        let message: { origin?: unknown };
        try {
          message = JSON.parse(text) as { origin?: unknown };
        } catch {
          return; // not one of ours
        }
        if (message.origin !== instance) handler(message as Parameters<typeof handler>[0]);
      });
    },
    available: () => !closed && redis.status === 'ready',
    onReady(listener) {
      readyListeners.push(listener);
    },
    ready(waitMs) {
      if (redis.status === 'ready' && subscriber.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        let settled = false;
        const finish = (value: boolean): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          readyListeners.splice(readyListeners.indexOf(onBoth), 1);
          resolve(value);
        };
        const onBoth = (): void => finish(true);
        const timer = setTimeout(() => finish(false), waitMs);
        readyListeners.push(onBoth);
      });
    },
    async close() {
      closed = true;
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
