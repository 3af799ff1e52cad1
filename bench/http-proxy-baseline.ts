/**
 * The common off-the-shelf Node proxy: plain `http-proxy` with a keep-alive agent and X-Forwarded-* on.
 * Env: PORT, UPSTREAM_URL, CONNECTIONS (agent maxSockets, default 128).
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const port = Number(process.env.PORT);
const target = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:3000';
const agent = new Agent({ keepAlive: true, maxSockets: Number(process.env.CONNECTIONS ?? 128), keepAliveMsecs: 60_000 });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });

proxy.on('error', (_error, _req, res) => {
  if ('writeHead' in res && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end('{"message":"bad gateway"}');
  } else {
    res.destroy();
  }
});

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => proxy.web(req, res));
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
