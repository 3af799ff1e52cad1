/**
 * A test upstream run as its own process, so a test can kill it (SIGKILL, mid-traffic) or measure figway apart from
 * it. Env: PORT (0 = a free one; the chosen port is printed as `listening <port>`), NAME (tag in every answer),
 * MODE (`ok` | `error500` | `stall`), DELAY_MS (answer after this long; default 0). Any method and path: a small
 * JSON answer naming the upstream, the method, the path and the body's length.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const name = process.env.NAME ?? 'upstream';
const mode = process.env.MODE ?? 'ok';
const delayMs = Number(process.env.DELAY_MS ?? 0);

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  req.on('end', () => {
    if (mode === 'stall') return;
    const answer = (): void => {
      const body = JSON.stringify({ side: name, method: req.method, path: req.url, bytes });
      res.writeHead(mode === 'error500' ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': name });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
