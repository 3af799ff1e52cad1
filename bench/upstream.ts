/**
 * The upstream under test, run as its own process so its CPU is accounted apart: `GET /json` answers a ~300 B JSON
 * body, `POST /json` reads a JSON body (1 KB in the bench) and answers a short echo of it. `--stall` accepts
 * requests and never answers (the stalled shadow). Env: PORT (required), NAME (tag in the body).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const port = Number(process.env.PORT);
const name = process.env.NAME ?? 'upstream';
const stall = process.argv.includes('--stall');
let sequence = 0;

/** The GET payload: fixed fields plus a per-request id, ~300 bytes serialized. */
function getPayload(): string {
  sequence++;
  return JSON.stringify({
    id: 4711,
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    building: 'Analytical Engine, 12 St James Square',
    calls: 1843,
    plan: { tier: 'standard', monthlyLimit: 5000, revoked: false },
    roles: ['reader', 'writer', 'reviewer'],
    tags: ['bench', 'json', 'figway'],
    createdAt: '2024-01-01T00:00:00.000Z',
    requestId: `req-${sequence.toString(16).padStart(8, '0')}`,
  });
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': name });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (stall) {
    req.resume(); // read the body, never answer
    return;
  }
  if (req.url !== '/json') {
    req.resume();
    answer(res, 404, '{"message":"not found"}');
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    answer(res, 200, getPayload());
    return;
  }
  if (req.method !== 'POST') {
    req.resume();
    answer(res, 405, '{"message":"method not allowed"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    let parsed: { id?: unknown; name?: unknown; items?: unknown[] };
    try {
      parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
    } catch {
      answer(res, 400, '{"message":"invalid JSON"}');
      return;
    }
    sequence++;
    answer(res, 201, JSON.stringify({
      received: raw.length,
      id: parsed.id ?? null,
      name: parsed.name ?? null,
      items: Array.isArray(parsed.items) ? parsed.items.length : 0,
      status: 'accepted',
      requestId: `req-${sequence.toString(16).padStart(8, '0')}`,
    }));
  });
}

const server = createServer({ keepAliveTimeout: 65_000 }, handle);
server.headersTimeout = 70_000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
