import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 and an ephemeral port. */
export interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** listenTestServer starts `handler` on 127.0.0.1:0. */
export async function listenTestServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request an echo server saw. */
export interface EchoedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  bodyBytes: number;
  body: string;
}

/** startEchoServer answers every request with JSON describing it, tagged with `name`. */
export async function startEchoServer(name: string): Promise<TestServer & { seen: EchoedRequest[] }> {
  const seen: EchoedRequest[] = [];
  const test = await listenTestServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const record: EchoedRequest = {
        method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders,
        bodyBytes: body.length, body: body.length <= 4096 ? body.toString('utf8') : '',
      };
      seen.push(record);
      const payload = JSON.stringify({ side: name, ...record });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(payload);
    });
  });
  return Object.assign(test, { seen });
}

/** streamBytes answers `total` bytes of 'a' in 64 KB writes, honouring backpressure (never holding the body in memory). */
export function streamBytes(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 97);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const piece = Math.min(chunk.length, total - sent);
      sent += piece;
      if (!res.write(piece === chunk.length ? chunk : chunk.subarray(0, piece))) { res.once('drain', pump); return; }
    }
    res.end();
  };
  pump();
}
