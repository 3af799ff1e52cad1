/** Test helpers for Redis comparisons: a redis-server on a chosen port, a small Pesto-like service, store dumps. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { listenTestServer, type TestServer } from './http-servers.js';
import { startRedisOnPort } from './redis-server.js';
import { readKey, type KeyState } from '../proxy/redis/store-reader.js';
import { monthOf } from '../proxy/redis/template-eval.js';

/** startRedisOnPort starts a redis-server on a given port (re-exported from the shared test helper). */
export { startRedisOnPort };

/** FakeServiceOptions choose a fake's store and its bugs. */
export interface FakeServiceOptions {
  redisUrl: string;
  /** Token record field names: pascal (correct) or snake (Pesto #172). */
  casing?: 'pascal' | 'snake';
  /** approve writes nothing (Pesto #173). */
  dropToken?: boolean;
  /** approve writes under the empty key (revoke with a None key). */
  emptyKey?: boolean;
}

const NAMES = {
  pascal: { email: 'UserEmail', limit: 'MonthlyLimit', revoked: 'Revoked' },
  snake: { email: 'user_email', limit: 'monthly_limit', revoked: 'revoked' },
} as const;

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')); } catch { resolve(null); }
    });
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * startFakeService runs a tiny Pesto-like service against one store: `POST /api/register` appends to a list,
 * `PUT /api/approve` stores a token record under the token, `GET /auth` (X-Token) reads it and bumps a monthly
 * counter with a TTL. Deterministic: same requests, same writes.
 */
export async function startFakeService(options: FakeServiceOptions): Promise<TestServer & { redis: Redis; options: FakeServiceOptions }> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const server = await listenTestServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)) as Record<string, unknown> | null;
      const path = (req.url ?? '/').split('?', 1)[0];
      const names = NAMES[options.casing ?? 'pascal'];
      try {
        if (req.method === 'POST' && path === '/api/register') {
          await redis.rpush('waiting-list', JSON.stringify({ name: body?.name, email: body?.email }));
          json(res, 201, { message: 'Created' });
        } else if (req.method === 'PUT' && path === '/api/approve') {
          const record = JSON.stringify({ [names.email]: body?.email, [names.limit]: body?.limit, [names.revoked]: false });
          if (options.emptyKey) await redis.set('', record);
          else if (!options.dropToken) await redis.set(String(body?.token), record);
          json(res, 200, { message: 'OK' });
        } else if (req.method === 'GET' && path === '/auth') {
          const token = req.headers['x-token'];
          if (typeof token !== 'string' || token === '') { json(res, 401, { message: 'Token must be supplied' }); return; }
          const raw = await redis.get(token);
          if (raw === null) { json(res, 401, { message: 'Token not registered' }); return; }
          const record = JSON.parse(raw) as Record<string, unknown>;
          const email = record[names.email];
          if (typeof email !== 'string') { json(res, 500, { message: 'Internal server error' }); return; }
          const counterKey = `counter/${monthOf(Date.now())}/${email}`;
          const count = Number((await redis.get(counterKey)) ?? 0);
          await redis.set(counterKey, String(count + 1), 'EX', 3600);
          json(res, 200, { ok: true });
        } else {
          json(res, 404, { message: 'Not found' });
        }
      } catch {
        json(res, 500, { message: 'Internal server error' });
      }
    })();
  });
  const closeServer = server.close.bind(server);
  return Object.assign(server, {
    redis,
    options,
    async close() {
      await closeServer();
      redis.disconnect();
    },
  });
}

/** dumpStore reads every key of a store (SCAN) type-aware, for whole-store equality checks. */
export async function dumpStore(url: string): Promise<Map<string, KeyState>> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const out = new Map<string, KeyState>();
    let cursor = '0';
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 500);
      for (const key of keys) out.set(key, await readKey(redis, key));
      cursor = next;
      if (cursor === '0') break;
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

/** counterValue sums a counter's samples matching `labels`. */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  return data.values
    .filter((value) => Object.entries(labels).every(([k, v]) => String(value.labels[k]) === v))
    .reduce((sum, value) => sum + value.value, 0);
}

/** waitFor polls `condition` every 20 ms until it holds or the bounded number of rounds is used up. */
export async function waitFor(condition: () => boolean | Promise<boolean>, rounds = 250): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}
