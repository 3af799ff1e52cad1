/**
 * The data plane: a node:http server that validates a request, picks its route and side, and streams it to the
 * chosen upstream through an undici Pool with a raw dispatch handler (the cheapest path measured; see README).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server as NetServer, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { errorBody, PROXY_ERRORS, rawErrorResponse, type ProxyErrorCode } from './errors.js';
import { normalisePath, splitTarget } from './forward/path.js';
import { clientAddressOf, clientResponseHeaders, isTrusted, upstreamRequestHeaders } from './forward/headers.js';
import { hostWithoutPort } from './routing/match.js';
import { readBodyAhead } from './forward/read-ahead.js';
import type { CompiledRoute, RuntimeSnapshot, UpstreamTarget } from './runtime.js';
import type { GatewayMetrics } from './metrics.js';
import type { Selection } from './routing/select.js';
import type { Side } from '../shadow-report/types.js';
import { DEFAULTS, type ClientTimeouts } from './config/schema.js';

/** Upstream error codes meaning the request never reached the upstream, so trying the other side is safe for any method. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** ExchangeContext describes a request that is about to be forwarded; plugins (the mirror) look at it. */
export interface ExchangeContext {
  route: CompiledRoute;
  selection: Selection;
  req: IncomingMessage;
  method: string;
  /** Normalised path with query, as forwarded (without the upstream's base path). */
  target: string;
  /** Headers as sent upstream, flat [name, value, ...]. */
  headers: string[];
  requestId: string;
  hasBody: boolean;
  /**
   * readBody reads the client's body before forwarding, up to `limit` bytes (a plugin that must see it first, e.g.
   * to name the Redis keys a request will write). Whatever it read is forwarded first, then the rest streams.
   * Undefined when the client went away.
   */
  readBody(limit: number): Promise<PrefetchedBody | undefined>;
  /** What readBody read, once it did. */
  prefetched?: PrefetchedBody;
}

/** PrefetchedBody is the part of a request body a plugin read before forwarding (the rest, if any, still streams). */
export interface PrefetchedBody {
  chunks: Buffer[];
  /** True when the whole body was read. */
  complete: boolean;
}

/** ExchangeObserver watches one exchange (the primary answer) for a plugin. Its methods must not throw or block. */
export interface ExchangeObserver {
  /** Capture the request body up to this many bytes; more means onRequestBody(undefined). */
  requestBodyLimit?: number;
  onRequestBody?(body: Buffer | undefined): void;
  onResponseStart(status: number, headers: Buffer[], side: Side): void;
  onResponseData(chunk: Buffer): void;
  onResponseEnd(): void;
  onAbort(reason: string): void;
}

/** GatewayPlugin may observe exchanges; a returned promise is awaited before forwarding (bounded by the plugin). */
export interface GatewayPlugin {
  observe(context: ExchangeContext): ExchangeObserver | undefined | Promise<ExchangeObserver | undefined>;
}

/** GatewayOptions wire the data plane to its snapshot, metrics and logs. */
export interface GatewayOptions {
  snapshot(): RuntimeSnapshot;
  metrics: GatewayMetrics;
  logger: Logger;
  accessLog: boolean;
  maxHeaderBytes: number;
  plugins?: GatewayPlugin[];
  /** Limits on slow and idle clients; default the schema's defaults. */
  clientTimeouts?: ClientTimeouts;
  /** Names of the data-plane listeners (entrypoints) to build, one server each. Default ['gateway']. */
  entrypoints?: readonly string[];
}

/** Gateway is the running data plane. */
export interface Gateway {
  /** server is the first data-plane listener: `gateway`, or the first entrypoint when that one is disabled. */
  server: Server;
  /** servers are all data-plane listeners by entrypoint name. */
  servers: ReadonlyMap<string, Server>;
  /** inFlight is the number of requests being served. */
  readonly inFlight: number;
  /** drain stops accepting connections and waits up to graceMs for in-flight requests, then closes what is left. */
  drain(graceMs: number): Promise<{ drained: boolean; abandoned: number }>;
}

/**
 * CLOSING marks a client connection figway has answered with `Connection: close`. Node's parser may already have
 * split further (pipelined, or smuggled inside a body figway refused) requests off that connection; none of them
 * may reach an upstream, so the request handler drops them unanswered and the socket closes after the refusal.
 */
const CLOSING = Symbol('figway.closing');
type ClientSocket = Socket & { [CLOSING]?: true };

function rejectRequest(res: ServerResponse, code: ProxyErrorCode, requestId: string | undefined, metrics: GatewayMetrics, closeConnection = false): void {
  metrics.rejected(code);
  const body = errorBody(code, requestId);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  if (closeConnection) {
    headers.connection = 'close';
    (res.req.socket as ClientSocket)[CLOSING] = true;
  }
  res.writeHead(PROXY_ERRORS[code].status, headers);
  res.end(body);
}

/**
 * Request ids figway makes are UUID-shaped: a random per-process prefix and a counter in the last 12 hex digits.
 * Unique per process for 2^48 requests and across processes by the random prefix, at a fraction of randomUUID()'s
 * cost per request (they identify requests in logs; they are not secrets).
 */
const requestIdPrefix = randomUUID().slice(0, 24);
let requestIdCounter = 0;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && given.length > 0 && given.length <= 200 && /^[\x21-\x7e]+$/.test(given)) return given;
  requestIdCounter = (requestIdCounter + 1) % 0x1000000000000;
  return requestIdPrefix + requestIdCounter.toString(16).padStart(12, '0');
}

/** bodyOf streams the client's body with a byte limit, optionally copying it for a plugin. It never destroys `req`. */
async function* bodyOf(req: IncomingMessage, limit: number, exchange: Exchange, head: readonly Buffer[] = []): AsyncGenerator<Buffer> {
  let total = 0;
  for (const chunk of head) {
    total += chunk.length;
    exchange.captureRequestChunk(chunk);
    yield chunk;
  }
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw Object.assign(new Error('request body exceeds the route limit'), { code: 'FIGWAY_BODY_TOO_LARGE' });
    exchange.captureRequestChunk(chunk);
    yield chunk;
  }
  exchange.requestBodyDone();
}

/**
 * Exchange is one forwarded request: it is the undici dispatch handler (legacy handler API, which undici's core
 * calls without wrapping) and owns the client response.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((reason?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private responded = false;
  /** The upstream error that cut the answer after its headers, if one did. */
  private truncatedBy: string | undefined;
  private finished = false;
  private failedOver = false;
  private status = 0;
  private observer: ExchangeObserver | undefined;
  private captured: Buffer[] | undefined;
  private capturedBytes = 0;
  private requestBodyComplete = false;
  private side: Side;
  private target: UpstreamTarget;
  private stallWatched = false;
  private awaitingDrain = false;
  private readonly onDrain = (): void => {
    const socket = this.res.socket;
    // Node also emits 'drain' on the answer being written whenever an answer pipelined behind it moves (its own
    // bookkeeping, whatever this socket's buffer holds): then wait for the socket itself to drain.
    if (socket !== null && socket.writableNeedDrain) {
      socket.once('drain', this.onDrain);
      return;
    }
    this.awaitingDrain = false;
    if (this.stallWatched) this.res.socket?.setTimeout(0);
    this.resumeUpstream?.();
  };

  constructor(
    private readonly gateway: GatewayCore,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly route: CompiledRoute,
    private readonly context: ExchangeContext,
    private readonly started: number,
  ) {
    this.side = context.selection.side;
    this.target = route.targets[this.side];
  }

  attach(observer: ExchangeObserver | undefined): void {
    this.observer = observer;
    if (observer?.requestBodyLimit !== undefined) this.captured = [];
    if (observer !== undefined && !this.context.hasBody) observer.onRequestBody?.(Buffer.alloc(0));
  }



  captureRequestChunk(chunk: Buffer): void {
    if (this.captured === undefined) return;
    this.capturedBytes += chunk.length;
    if (this.capturedBytes > this.observer!.requestBodyLimit!) {
      this.captured = undefined;
      this.observer!.onRequestBody?.(undefined);
      return;
    }
    this.captured.push(chunk);
  }

  requestBodyDone(): void {
    this.requestBodyComplete = true;
    if (this.captured !== undefined) {
      this.observer!.onRequestBody?.(Buffer.concat(this.captured));
      this.captured = undefined;
    }
  }

  start(): void {
    if (this.res.destroyed || this.req.socket.destroyed) {
      // The client left while a plugin prepared the exchange: nothing to forward.
      this.clientGone();
      return;
    }
    // The response's one 'close' listener (GatewayCore.handle) calls closed() from now on.
    (this.res as ResponseWithExchange)[kExchange] = this;
    this.dispatch();
  }

  /** closed runs when the client response closes: before the answer ended, the client went away. */
  closed(): void {
    if (!this.finished) this.clientGone();
  }

  /**
   * bodyForUpstream picks the cheapest safe body: with a Content-Length (already checked against the limit, and
   * enforced by Node's parser) and nobody copying it, the request stream itself; otherwise a generator that counts
   * bytes against the limit and copies chunks for an observer.
   */
  private bodyForUpstream(): Dispatcher.DispatchOptions['body'] {
    if (!this.context.hasBody) return null;
    const prefetched = this.context.prefetched;
    if (prefetched !== undefined) {
      if (prefetched.complete) {
        const body = Buffer.concat(prefetched.chunks);
        this.captureRequestChunk(body);
        this.requestBodyDone();
        return body;
      }
      return bodyOf(this.req, this.route.config.maxBodyBytes, this, prefetched.chunks) as unknown as Dispatcher.DispatchOptions['body'];
    }
    if (this.req.headers['content-length'] !== undefined && this.observer === undefined) {
      this.req.once('end', () => this.requestBodyDone());
      return this.req;
    }
    // undici accepts async iterables as bodies at run time; its types only list streams.
    return bodyOf(this.req, this.route.config.maxBodyBytes, this) as unknown as Dispatcher.DispatchOptions['body'];
  }

  private dispatch(): void {
    const route = this.route;
    const options: Dispatcher.DispatchOptions = {
      method: this.context.method as Dispatcher.HttpMethod,
      path: this.target.basePath + this.context.target,
      headers: this.context.headers,
      body: this.bodyForUpstream(),
      headersTimeout: route.config.timeouts.responseMs,
      bodyTimeout: route.config.timeouts.bodyMs,
    };
    this.target.pool.dispatch(options, this);
  }

  // --- undici handler ---
  onConnect(abort: (reason?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.finished) return false;
    this.resumeUpstream = resume;
    this.status = statusCode;
    const headers = clientResponseHeaders(rawHeaders);
    if (this.gateway.draining) headers.push('connection', 'close');
    this.responded = true;
    this.res.writeHead(statusCode, statusText, headers);
    this.observer?.onResponseStart(statusCode, rawHeaders, this.side);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.observer?.onResponseData(chunk);
    if (this.res.write(chunk)) return true;
    // undici may deliver more of what it already read after a pause: one 'drain' listener per backpressure episode,
    // or a stale one would clear the stall limit armed after it.
    if (!this.awaitingDrain) {
      this.awaitingDrain = true;
      this.res.once('drain', this.onDrain);
    }
    this.watchStall();
    return false;
  }

  /**
   * watchStall arms the slow-read limit while the client is not taking the answer: the upstream is paused (its
   * connection held) until it does, so a client that reads nothing for responseStallMs is cut and the upstream freed.
   */
  private watchStall(): void {
    const stallMs = this.gateway.clientTimeouts.responseStallMs;
    if (stallMs === 0) return;
    if (!this.stallWatched) {
      this.stallWatched = true;
      this.res.on('timeout', this.onStall);
    }
    this.res.socket?.setTimeout(stallMs);
  }

  private readonly onStall = (): void => {
    if (this.res.writableFinished) return;
    this.gateway.metrics.rejected('PROXY_RESPONSE_STALLED');
    // A reset, not a FIN: the unread answer is dropped from the kernel's buffers at once instead of being trickled
    // out to the slow reader, and the reader learns on its next read that the connection is gone.
    const socket = this.res.socket;
    if (socket !== null) socket.resetAndDestroy();
    else this.res.destroy();
  };

  /** clientStalled answers 408 to a client whose body paused too long, and abandons the upstream exchange. */
  clientStalled(): void {
    if (this.finished) return;
    this.respondError('PROXY_REQUEST_TIMEOUT', true);
    this.abortUpstream?.(Object.assign(new Error('client body stalled'), { code: 'FIGWAY_CLIENT_STALLED' }));
  }

  onComplete(): void {
    if (this.finished) return;
    this.res.end();
    // The end of the answer may still wait in figway's buffer for a client that stopped reading.
    if (this.res.writableLength > 0) this.watchStall();
    this.observer?.onResponseEnd();
    this.finish();
  }

  onError(error: Error & { code?: string }): void {
    if (this.finished) return;
    const code = error.code ?? 'UNKNOWN';
    if (code === 'FIGWAY_BODY_TOO_LARGE') {
      this.respondError('PROXY_BODY_TOO_LARGE', true);
      return;
    }
    this.gateway.metrics.upstreamError(this.route.name, this.side, code);
    if (!this.responded && !this.failedOver && this.route.config.failover && NOT_SENT_CODES.has(code)) {
      // The chosen side never saw the request (nothing was sent), so the other side may take it, whatever the method.
      const from = this.side;
      this.failedOver = true;
      this.side = from === 'new' ? 'legacy' : 'new';
      this.target = this.route.targets[this.side];
      this.gateway.metrics.failover(this.route.name, from, this.side);
      this.gateway.logger.warn({ route: this.route.name, from, to: this.side, code, requestId: this.context.requestId }, 'failover');
      this.dispatch();
      return;
    }
    if (this.responded) {
      // Headers are out: the only honest signal left is to cut the connection. The client saw a status (often 200)
      // and then a reset, so the answer is counted and logged as an error, not as that status.
      this.observer?.onAbort(code);
      this.res.destroy(error);
      this.gateway.metrics.truncated(this.route.name, this.side);
      this.truncatedBy = code;
      this.finish();
      return;
    }
    const errorCode: ProxyErrorCode = code === 'UND_ERR_HEADERS_TIMEOUT' ? 'PROXY_UPSTREAM_TIMEOUT'
      : NOT_SENT_CODES.has(code) ? 'PROXY_UPSTREAM_UNREACHABLE' : 'PROXY_UPSTREAM_FAILED';
    this.respondError(errorCode, !this.requestBodyComplete && this.context.hasBody);
  }

  private respondError(code: ProxyErrorCode, closeConnection: boolean): void {
    this.observer?.onAbort(code);
    if (!this.res.headersSent) {
      this.status = PROXY_ERRORS[code].status;
      rejectRequest(this.res, code, this.context.requestId, this.gateway.metrics, closeConnection || this.gateway.draining);
    } else {
      this.res.destroy();
    }
    this.finish();
  }

  private clientGone(): void {
    this.observer?.onAbort('client-closed');
    this.abortUpstream?.(Object.assign(new Error('client closed the connection'), { code: 'FIGWAY_CLIENT_CLOSED' }));
    this.status = this.status || 499;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.res.off('drain', this.onDrain);
    this.res.socket?.off('drain', this.onDrain);
    this.gateway.requestDone(this.route.name, this.side, this.status, this.started, this.context, this.truncatedBy);
  }
}

/**
 * closeWithConnection covers a pipelined request whose answer is queued behind another: Node never emits 'close' on
 * a queued response when the connection ends first, so the exchange would never learn that its client is gone.
 */
function closeWithConnection(socket: Socket, res: ServerResponse): void {
  const orphaned = (): void => { res.emit('close'); };
  socket.once('close', orphaned);
  res.once('socket', () => socket.off('close', orphaned));
}

/**
 * framingRefusal checks what is only worth checking on unusual requests (not exactly one Host, not HTTP/1.1): the
 * cases where figway and an upstream could disagree on where the request ends or whom it is for.
 */
function framingRefusal(req: IncomingMessage, hosts: number): ProxyErrorCode | undefined {
  if (hosts > 1) return 'PROXY_DUPLICATE_HOST';
  if (req.httpVersionMajor !== 1) return 'PROXY_HTTP_VERSION';
  // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
  if (hosts === 0 && req.httpVersionMinor === 1) return 'PROXY_MISSING_HOST';
  // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 is a framing fault (the classic smuggling vector).
  if (req.httpVersionMinor === 0 && req.headers['transfer-encoding'] !== undefined) return 'PROXY_TE_ON_HTTP10';
  return undefined;
}

const kCore = Symbol('figway.core');
const kExchange = Symbol('figway.exchange');
type ResponseWithExchange = ServerResponse & { [kCore]?: GatewayCore; [kExchange]?: Exchange };

/** onResponseClose is every client response's 'close' listener; `this` is the response. */
function onResponseClose(this: ResponseWithExchange): void {
  this[kCore]?.responseClosed();
  this[kExchange]?.closed();
}

/** GatewayCore holds the shared state of the request handler. */
class GatewayCore {
  draining = false;
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  readonly clientTimeouts: ClientTimeouts;

  constructor(readonly options: GatewayOptions, readonly metrics = options.metrics, readonly logger = options.logger) {
    this.clientTimeouts = options.clientTimeouts ?? DEFAULT_CLIENT_TIMEOUTS;
  }

  handle(req: IncomingMessage, res: ServerResponse, entrypoint: string): void {
    if ((req.socket as ClientSocket)[CLOSING] === true) {
      // Parsed behind a request figway refused and closed: never forward it, never answer it.
      this.metrics.rejected('PROXY_REQUEST_AFTER_CLOSE');
      return;
    }
    const started = performance.now();
    this.inFlight++;
    (res as ResponseWithExchange)[kCore] = this;
    res.on('close', onResponseClose);
    if (res.socket === null) closeWithConnection(req.socket, res);
    const snapshot = this.options.snapshot();
    const raw = req.rawHeaders;

    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
    if (hosts !== 1 || req.httpVersionMinor !== 1 || req.httpVersionMajor !== 1) {
      const refusal = framingRefusal(req, hosts);
      if (refusal !== undefined) return rejectRequest(res, refusal, undefined, this.metrics, true);
    }

    let target = req.url ?? '/';
    if (target.charCodeAt(0) !== 47 /* / */) {
      let absolute: URL;
      try {
        absolute = new URL(target);
      } catch {
        return rejectRequest(res, 'PROXY_BAD_PATH', undefined, this.metrics);
      }
      if (absolute.host.toLowerCase() !== (req.headers.host ?? '').toLowerCase()) {
        return rejectRequest(res, 'PROXY_FOREIGN_ABSOLUTE_TARGET', undefined, this.metrics);
      }
      target = absolute.pathname + absolute.search;
    }
    const { path: rawPath, query } = splitTarget(target);
    const path = normalisePath(rawPath);
    if (path === undefined) return rejectRequest(res, 'PROXY_BAD_PATH', undefined, this.metrics);

    const method = req.method ?? 'GET';
    const host = hostWithoutPort(req.headers.host);
    let route: CompiledRoute | undefined;
    for (const candidate of snapshot.routes) {
      if (candidate.matches(method, path, host, entrypoint)) { route = candidate; break; }
    }
    const requestId = requestIdOf(req);
    if (route === undefined) return rejectRequest(res, 'PROXY_NO_ROUTE', requestId, this.metrics);

    const remoteAddress = req.socket.remoteAddress ?? '';
    const forwardedFor = req.headers['x-forwarded-for'];
    const clientAddress = route.needsClientAddress
      ? clientAddressOf(remoteAddress, typeof forwardedFor === 'string' ? forwardedFor : undefined, snapshot.trusted)
      : remoteAddress;

    let selection: Selection;
    const override = route.overrideEnabled ? req.headers[route.overrideHeader] : undefined;
    if (override !== undefined) {
      const value = (Array.isArray(override) ? override[0] : override)?.trim().toLowerCase();
      if (value !== 'legacy' && value !== 'new') return rejectRequest(res, 'PROXY_BAD_OVERRIDE', requestId, this.metrics);
      selection = { side: value, reason: 'override' };
    } else {
      selection = route.policy.select({ req, query, clientAddress }, route.weight);
    }

    const contentLength = req.headers['content-length'];
    if (contentLength !== undefined && Number(contentLength) > route.config.maxBodyBytes) {
      return rejectRequest(res, 'PROXY_BODY_TOO_LARGE', requestId, this.metrics, true);
    }
    const hasBody = (contentLength !== undefined && contentLength !== '0') || req.headers['transfer-encoding'] !== undefined;

    const headers = upstreamRequestHeaders(raw, {
      remoteAddress,
      trusted: snapshot.trusted !== undefined && isTrusted(snapshot.trusted, remoteAddress),
      host: req.headers.host,
      requestId,
      overrideHeader: route.overrideHeader,
    });
    const context: ExchangeContext = {
      route, selection, req, method, target: query === '' ? path : `${path}?${query}`, headers, requestId, hasBody,
      readBody: (limit) => readBodyAhead(req, limit).then((body) => {
        if (body !== undefined) context.prefetched = body;
        return body;
      }),
    };
    const exchange = new Exchange(this, req, res, route, context, started);
    this.metrics.requestStarted(route.name);
    if (res.socket === null) {
      // Pipelined behind an answer still being written: forward it when its turn comes, so one client connection
      // never holds more than one upstream connection (a pipelining slow reader would hold many).
      res.once('socket', () => this.begin(exchange, context, res));
      return;
    }
    this.begin(exchange, context, res);
  }

  private begin(exchange: Exchange, context: ExchangeContext, res: ServerResponse): void {
    if (context.hasBody && this.clientTimeouts.bodyIdleMs > 0) this.watchBody(context.req, res);
    const plugins = this.options.plugins;
    if (plugins === undefined || plugins.length === 0 || !context.route.observed) {
      exchange.start();
      return;
    }
    this.observeThenStart(plugins, context, exchange);
  }

  private observeThenStart(plugins: GatewayPlugin[], context: ExchangeContext, exchange: Exchange): void {
    let observed: ExchangeObserver | undefined | Promise<ExchangeObserver | undefined>;
    try {
      // One observing plugin per exchange: the first that returns an observer wins.
      for (const plugin of plugins) {
        observed = plugin.observe(context);
        if (observed !== undefined) break;
      }
    } catch (error) {
      this.logger.error({ err: error, route: context.route.name }, 'plugin failed; forwarding without it');
      observed = undefined;
    }
    if (observed instanceof Promise) {
      observed.then(
        (observer) => { exchange.attach(observer); exchange.start(); },
        (error: unknown) => { this.logger.error({ err: error, route: context.route.name }, 'plugin failed; forwarding without it'); exchange.start(); },
      );
      return;
    }
    exchange.attach(observed);
    exchange.start();
  }

  /** responseClosed accounts a closed client response (one shared listener, no closure per request). */
  responseClosed(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /**
   * watchBody cuts a request body that pauses longer than bodyIdleMs. Only the client's silence counts: while figway
   * itself is not reading (the upstream is slow to take the body), data waits in the request's buffer and the
   * limit is re-armed.
   */
  private watchBody(req: IncomingMessage, res: ServerResponse): void {
    const idleMs = this.clientTimeouts.bodyIdleMs;
    req.setTimeout(idleMs, () => {
      const bytesRead = req.socket.bytesRead;
      // Timers run before I/O in an event-loop turn: after a busy spell, bytes may be waiting to be read. Decide
      // once they had their chance.
      setImmediate(() => {
        if (req.complete || req.socket.destroyed) return;
        if (req.readableLength > 0 || req.socket.bytesRead !== bytesRead) {
          req.socket.setTimeout(idleMs);
          return;
        }
        const exchange = (res as ResponseWithExchange)[kExchange];
        if (exchange !== undefined) exchange.clientStalled();
        else {
          this.metrics.rejected('PROXY_REQUEST_TIMEOUT');
          req.socket.destroy();
        }
      });
    });
    // Past the body, waiting for the upstream's answer is not the client's silence (once the answer is out, Node's
    // keep-alive timer owns the socket timeout).
    req.once('end', () => { if (!res.writableFinished) req.socket.setTimeout(0); });
  }

  requestDone(route: string, side: Side, status: number, started: number, context: ExchangeContext, truncatedBy?: string): void {
    const seconds = (performance.now() - started) / 1000;
    this.metrics.observeRequest(route, side, status, seconds);
    if (truncatedBy !== undefined) {
      this.logger.warn({
        route, side, status, error: truncatedBy, truncated: true, durationMs: Math.round(seconds * 1e6) / 1e3, requestId: context.requestId,
        method: context.method, path: context.target.split('?', 1)[0],
      }, 'answer cut mid-body: the upstream failed after its headers');
    } else if (this.options.accessLog) {
      this.logger.info({
        route, side, status, durationMs: Math.round(seconds * 1e6) / 1e3, requestId: context.requestId,
        method: context.method, path: context.target.split('?', 1)[0], reason: context.selection.reason,
      }, 'request');
    }
  }

  waitIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function writeRawError(socket: Socket, code: ProxyErrorCode): void {
  socket.end(rawErrorResponse(code));
}

/** DRAIN_IDLE_LINGER_MS is how long idle connections may still bring a request once a drain has begun under load. */
const DRAIN_IDLE_LINGER_MS = 1_000;

/** DEFAULT_CLIENT_TIMEOUTS are the schema's defaults, for gateways built without a configuration. */
const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  headersMs: DEFAULTS.clientHeadersTimeoutMs,
  requestMs: DEFAULTS.clientRequestTimeoutMs,
  bodyIdleMs: DEFAULTS.clientBodyIdleMs,
  responseStallMs: DEFAULTS.clientResponseStallMs,
  keepAliveMs: DEFAULTS.clientKeepAliveMs,
};

/** createListener builds one data-plane server whose requests carry its entrypoint name. */
function createListener(core: GatewayCore, options: GatewayOptions, entrypoint: string): Server {
  const limits = core.clientTimeouts;
  // The head is part of the request: Node refuses a header limit above the request limit.
  const headersTimeout = limits.requestMs === 0 ? limits.headersMs : Math.min(limits.headersMs, limits.requestMs);
  const server = createServer({
    maxHeaderSize: options.maxHeaderBytes,
    requireHostHeader: false,
    headersTimeout,
    requestTimeout: limits.requestMs,
    keepAliveTimeout: limits.keepAliveMs,
    // Node checks these limits on a timer (30 s by default); check often enough that they mean what they say.
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeout / 4))),
  }, (req, res) => core.handle(req, res, entrypoint));
  // A client may close its sending side once its request is out (RFC 9112 §9.6); by default Node then aborts the
  // request unanswered, where the services behind figway (and nginx) answer it. Answer, then close. (Node's own
  // switch for this, a public field it has long had; without it figway would only lose that courtesy.)
  (server as Server & { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const code: ProxyErrorCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'PROXY_HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'PROXY_REQUEST_TIMEOUT' : 'PROXY_BAD_REQUEST';
    options.metrics.rejected(code);
    const answering = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
    if (answering?.req.complete === true) {
      // The bad bytes follow a request still being answered: an error written now would be read as its answer (or
      // land inside it on the wire). Let that answer finish, then close; the bad request gets no answer.
      (socket as ClientSocket)[CLOSING] = true;
      const close = (): void => { socket.destroySoon(); };
      answering.once('finish', close);
      answering.once('close', close);
      return;
    }
    // The bad bytes are in the body of the request being answered: the error is its answer, unless one is on the wire.
    if (answering?.headersSent === true) {
      socket.destroy();
      return;
    }
    writeRawError(socket, code);
  });
  // Node would answer an unknown Expect with a bare 417; answer in figway's format and close (a body may follow).
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.socket as ClientSocket)[CLOSING] === true) return;
    rejectRequest(res, 'PROXY_EXPECTATION_FAILED', undefined, options.metrics, true);
  });
  return server;
}

/** createGateway builds the data-plane servers, one per entrypoint (not yet listening). */
export function createGateway(options: GatewayOptions): Gateway {
  const core = new GatewayCore(options);
  const servers = new Map<string, Server>();
  for (const name of options.entrypoints ?? ['gateway']) servers.set(name, createListener(core, options, name));
  const server = servers.values().next().value as Server;
  const all = [...servers.values()];
  return {
    server,
    servers,
    get inFlight() { return core.inFlight; },
    async drain(graceMs) {
      core.draining = true;
      const deadline = performance.now() + graceMs;
      // Stop accepting connections, but not as http.Server#close does, which also drops every idle keep-alive
      // connection at once: under load a client may be writing its next request on one at that very moment (and
      // would get a reset). Every answer from now on says `Connection: close`; while requests are in flight, idle
      // connections get a short linger to bring what their clients already sent, then they are closed.
      const closed = Promise.all(all.map((one) => new Promise<void>((resolve) => { NetServer.prototype.close.call(one, () => resolve()); })));
      if (core.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_IDLE_LINGER_MS, graceMs)));
      for (const one of all) one.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        core.waitIdle().then(() => true),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now())); }),
      ]);
      clearTimeout(timer);
      const abandoned = core.inFlight;
      for (const one of all) {
        one.closeAllConnections();
        // Node's own close stops its connection-checking timer (the listener is closed already: its error is moot).
        one.close(() => undefined);
      }
      await closed;
      return { drained, abandoned };
    },
  };
}
