/**
 * Raw-byte HTTP helpers for hostile-input tests: a client that writes exact bytes and reports what came back and
 * whether the server closed the connection, and an upstream that records which requests reached it, complete or not.
 */
import { connect } from 'node:net';
import { listenTestServer, type TestServer } from './http-servers.js';

/** RawExchange is what a raw client saw: the bytes received and whether the server closed the connection. */
export interface RawExchange {
  text: string;
  /** True when the server closed the connection (before `waitMs`). */
  closed: boolean;
  /** Status codes of every response head received, in order (1xx included). */
  statuses: number[];
}

/** rawExchange writes `bytes` to 127.0.0.1:`port` and waits until the server closes the connection, or `waitMs`. */
export function rawExchange(port: number, bytes: string | Buffer, options: { waitMs?: number; halfClose?: boolean } = {}): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ text, closed, statuses });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    if (options.halfClose === true) socket.end(bytes);
    else socket.write(bytes);
  });
}

/** UpstreamRequest is one request an upstream saw begin; `complete` once its whole body arrived. */
export interface UpstreamRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  complete: boolean;
}

/** RecordingUpstream answers every complete request with 200 `ok` and records what it saw, malformed input included. */
export interface RecordingUpstream extends TestServer {
  requests: UpstreamRequest[];
  /** Parse errors the upstream's own (strict) parser raised, by code; a connection cut mid-body is HPE_INVALID_EOF_STATE. */
  parseErrors: string[];
  completed(): UpstreamRequest[];
}

/** startRecordingUpstream starts a RecordingUpstream on 127.0.0.1:0. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: UpstreamRequest[] = [];
  const parseErrors: string[] = [];
  const server = await listenTestServer((req, res) => {
    const seen: UpstreamRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '', complete: false };
    requests.push(seen);
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => { if (seen.body.length < 65_536) seen.body += chunk; });
    req.on('error', () => undefined);
    req.on('end', () => {
      seen.complete = true;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.server.on('clientError', (error: Error & { code?: string }, socket) => {
    parseErrors.push(error.code ?? 'UNKNOWN');
    socket.destroy();
  });
  return Object.assign(server, { requests, parseErrors, completed: () => requests.filter((request) => request.complete) });
}
