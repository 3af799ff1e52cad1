/**
 * Write capture on a store figway owns (a shadow deployment's Redis — never production): keyspace notifications
 * tell which keys every command wrote, so figway knows each shadow's side effects without anyone declaring them.
 *
 * A comparison opens a window around its shadow request. Windows are cut exactly with markers: figway PUBLISHes a
 * marker on its own channel and waits to receive it on the subscriber connection; Redis executes commands one at a
 * time and delivers pub/sub messages in that order, so every notification of a command that ran before the marker
 * has arrived when the marker does.
 *
 * Attribution: a key owned by a comparison (it holds that key in the shadow lane) belongs to it. Any other key
 * belongs to the one window open when it was written; written while several were open it is ambiguous for all of
 * them (they report that their discovered writes are incomplete rather than blame a write on the wrong request).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Server-side events that are not a client's write. */
const NOT_WRITES = new Set(['expired', 'evicted', 'new']);
/** Longest wait for a marker to come back. */
const MARKER_TIMEOUT_MS = 2_000;

/** CapturedWrites is what one window saw. */
export interface CapturedWrites {
  /** Keys written in the window, attributed to it, with the events (set, rpush, del, …). */
  writes: Map<string, Set<string>>;
  /** Keys written by someone while other windows were open too: not attributable. */
  ambiguous: Set<string>;
}

/** CaptureWindow is one open window. */
export interface CaptureWindow {
  close(): Promise<CapturedWrites>;
  /** abandon closes it without waiting for a marker (the comparison was given up). */
  abandon(): void;
}

/** WriteCapture watches one store. */
export interface WriteCapture {
  /** ready resolves true once notifications are on and subscribed; false (with `unavailable`) when they cannot be. */
  ready(): Promise<boolean>;
  /** unavailable says why capture does not work (undefined while it does). */
  readonly unavailable: string | undefined;
  /** own marks keys as held by `owner`: their writes go to that owner's window only. */
  own(owner: string, keys: Iterable<string>): void;
  disown(owner: string, keys: Iterable<string>): void;
  /** open starts a window for `owner` once every earlier write has been seen. */
  open(owner: string): Promise<CaptureWindow>;
  /** barrier resolves once every write executed so far has been seen (or false on timeout). */
  barrier(): Promise<boolean>;
  close(): Promise<void>;
}

/** WriteCaptureOptions locate the store and the client that publishes markers. */
export interface WriteCaptureOptions {
  url: string;
  /** A connected client of the same store (markers are published through it). */
  publisher: () => Promise<Redis>;
  logger: Logger;
}

interface OpenWindow {
  owner: string;
  writes: Map<string, Set<string>>;
  ambiguous: Set<string>;
}

function databaseOf(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  const db = Number(path === '' ? 0 : path);
  return Number.isInteger(db) && db >= 0 ? db : 0;
}

/** notifyFlags returns the notify-keyspace-events value that adds keyevent notifications for every write class. */
export function notifyFlags(current: string): string {
  const flags = new Set(current.split(''));
  flags.add('E');
  flags.add('A');
  return [...flags].join('');
}

/** createWriteCapture subscribes lazily on the first ready(); it turns on keyevent notifications on the store's server. */
export function createWriteCapture(options: WriteCaptureOptions): WriteCapture {
  const db = databaseOf(options.url);
  const channel = `figway:capture:${randomUUID()}`;
  const pattern = `__keyevent@${db}__:*`;
  const owners = new Map<string, string>();
  const windows = new Set<OpenWindow>();
  const markers = new Map<string, () => void>();
  let markerSeq = 0;
  let unavailable: string | undefined;
  let subscriber: Redis | undefined;
  let starting: Promise<boolean> | undefined;
  let closed = false;

  function onEvent(eventChannel: string, key: string): void {
    const event = eventChannel.slice(eventChannel.lastIndexOf(':') + 1);
    if (NOT_WRITES.has(event) || windows.size === 0) return;
    const owner = owners.get(key);
    if (owner !== undefined) {
      for (const window of windows) if (window.owner === owner) record(window, key, event);
      return;
    }
    if (windows.size === 1) {
      for (const window of windows) record(window, key, event);
      return;
    }
    for (const window of windows) window.ambiguous.add(key);
  }

  function record(window: OpenWindow, key: string, event: string): void {
    let events = window.writes.get(key);
    if (events === undefined) {
      events = new Set();
      window.writes.set(key, events);
    }
    events.add(event);
  }

  async function start(): Promise<boolean> {
    try {
      const client = await options.publisher();
      const [, current] = (await client.config('GET', 'notify-keyspace-events')) as [string, string];
      const wanted = notifyFlags(current ?? '');
      if (wanted !== current) await client.config('SET', 'notify-keyspace-events', wanted);
      subscriber = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (attempt) => Math.min(100 * attempt, 1_000) });
      subscriber.on('error', () => undefined);
      subscriber.on('pmessageBuffer', (_pattern: Buffer, eventChannel: Buffer, key: Buffer) => onEvent(eventChannel.toString('latin1'), key.toString('utf8')));
      subscriber.on('message', (from: string, message: string) => {
        if (from !== channel) return;
        const wake = markers.get(message);
        if (wake !== undefined) { markers.delete(message); wake(); }
      });
      subscriber.on('end', () => { if (!closed) unavailable = 'capture connection lost'; });
      // A reconnect resubscribes by itself, but writes made while it was away were not seen: windows open then are suspect.
      subscriber.on('ready', () => { if (unavailable === 'capture connection lost') unavailable = undefined; });
      subscriber.on('close', () => {
        if (closed) return;
        unavailable = 'capture connection lost';
        for (const window of windows) window.ambiguous.add('*');
      });
      await subscriber.connect();
      await subscriber.psubscribe(pattern);
      await subscriber.subscribe(channel);
      unavailable = undefined;
      return true;
    } catch (error) {
      unavailable = `keyspace notifications unavailable: ${(error as Error).message}`;
      options.logger.warn({ err: { message: (error as Error).message } }, 'shadow store write capture unavailable; undeclared writes are not discovered');
      subscriber?.disconnect();
      subscriber = undefined;
      return false;
    }
  }

  async function barrier(): Promise<boolean> {
    if (subscriber === undefined || unavailable !== undefined) return false;
    const id = String(++markerSeq);
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<boolean>((resolve) => {
      markers.set(id, () => resolve(true));
      timer = setTimeout(() => { markers.delete(id); resolve(false); }, MARKER_TIMEOUT_MS);
    });
    try {
      const client = await options.publisher();
      await client.publish(channel, id);
    } catch {
      markers.delete(id);
      clearTimeout(timer);
      return false;
    }
    const ok = await seen;
    clearTimeout(timer);
    return ok;
  }

  return {
    get unavailable() { return unavailable; },
    ready() {
      if (closed) return Promise.resolve(false);
      starting ??= start();
      return starting.then((ok) => ok && unavailable === undefined);
    },
    own(owner, keys) { for (const key of keys) owners.set(key, owner); },
    disown(owner, keys) { for (const key of keys) if (owners.get(key) === owner) owners.delete(key); },
    async open(owner) {
      const window: OpenWindow = { owner, writes: new Map(), ambiguous: new Set() };
      if (!(await barrier())) window.ambiguous.add('*');
      windows.add(window);
      let done = false;
      return {
        async close() {
          if (!done && !(await barrier())) window.ambiguous.add('*');
          done = true;
          windows.delete(window);
          return { writes: window.writes, ambiguous: window.ambiguous };
        },
        abandon() {
          done = true;
          windows.delete(window);
        },
      };
    },
    barrier,
    async close() {
      closed = true;
      for (const wake of markers.values()) wake();
      markers.clear();
      windows.clear();
      const client = subscriber;
      subscriber = undefined;
      if (client !== undefined) await client.quit().catch(() => client.disconnect());
    },
  };
}
