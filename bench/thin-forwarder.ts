/**
 * The floor for any Node proxy: a minimal `node:http` server forwarding every request to one upstream through an
 * undici `Pool` (keep-alive), streaming both ways, hop-by-hop headers dropped, X-Forwarded-For set.
 * Env: PORT, UPSTREAM_URL, CONNECTIONS (pool size, default 128).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { endToEnd } from './lib/hop-by-hop.js';

const port = Number(process.env.PORT);
const upstream = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:3000';
const pool = new Pool(upstream, {
  connections: Number(process.env.CONNECTIONS ?? 128),
  pipelining: 1,
  keepAliveTimeout: 60_000,
});

function forward(req: IncomingMessage, res: ServerResponse): void {
  const headers = endToEnd(req.headers);
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior === undefined ? client : `${String(prior)}, ${client}`;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    { method: req.method as 'GET', path: req.url ?? '/', headers, body: hasBody ? req : null },
    ({ statusCode, headers: upstreamHeaders }) => {
      res.writeHead(statusCode, endToEnd(upstreamHeaders));
      return res;
    },
  ).catch(() => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"message":"bad gateway"}');
    } else {
      res.destroy();
    }
  });
}

const server = createServer({ keepAliveTimeout: 65_000 }, forward);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.close().finally(() => process.exit(0)));
});
