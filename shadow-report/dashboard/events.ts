/**
 * Server-sent events for the dashboard: a bounded set of open streams, each fed the same events (timeline points,
 * applied configuration, audit entries, ramp changes) and a heartbeat. A slow reader whose unsent data piles up is
 * dropped (its browser reconnects), so one stuck tab cannot grow the server's memory.
 */
import type { ServerResponse } from 'node:http';

/** EventHubOptions bound the hub. */
export interface EventHubOptions {
  maxClients?: number;
  heartbeatMs?: number;
  /** A client with more than this many bytes waiting to be sent is dropped. */
  maxBufferedBytes?: number;
  /** Extra response headers (security headers of the dashboard). */
  headers?: Record<string, string>;
}

/** EventHub fans events out to open streams. */
export interface EventHub {
  /** attach takes over a response as an event stream; false when the hub is full (the caller answers 503). */
  attach(response: ServerResponse, first?: { event: string; data: unknown }): boolean;
  broadcast(event: string, data: unknown): void;
  readonly clients: number;
  /** close ends every stream (before the listener closes, so shutdown does not wait for them). */
  close(): void;
}

function frame(event: string, data: unknown): string {
  // JSON never contains a raw newline, so one data: line is a whole message.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** createEventHub returns an empty hub; its heartbeat timer runs only while streams are open. */
export function createEventHub(options: EventHubOptions = {}): EventHub {
  const maxClients = options.maxClients ?? 32;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const clients = new Set<ServerResponse>();
  let heartbeat: NodeJS.Timeout | undefined;

  const drop = (response: ServerResponse): void => {
    clients.delete(response);
    if (!response.writableEnded) response.end();
    if (clients.size === 0 && heartbeat !== undefined) { clearInterval(heartbeat); heartbeat = undefined; }
  };
  const send = (response: ServerResponse, text: string): void => {
    if (response.writableLength > maxBuffered) { drop(response); return; }
    response.write(text);
  };

  return {
    attach(response, first) {
      if (clients.size >= maxClients) return false;
      response.writeHead(200, {
        ...options.headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      response.write('retry: 3000\n\n');
      if (first !== undefined) response.write(frame(first.event, first.data));
      clients.add(response);
      response.on('close', () => drop(response));
      if (heartbeat === undefined) {
        heartbeat = setInterval(() => { for (const client of clients) send(client, ': ping\n\n'); }, options.heartbeatMs ?? 15_000);
        heartbeat.unref();
      }
      return true;
    },
    broadcast(event, data) {
      if (clients.size === 0) return;
      const text = frame(event, data);
      for (const client of clients) send(client, text);
    },
    get clients() {
      return clients.size;
    },
    close() {
      for (const client of [...clients]) drop(client);
    },
  };
}
