import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { createLogger } from '../log.js';
import { createRedisClientPool } from './clients.js';

let redis: TestRedis;
before(async () => { redis = await startRedisServer(); });
after(async () => { await redis.stop(); });

test('a closed client pool refuses to open new clients, so late comparisons cannot leak a reconnecting client', async () => {
  const pool = createRedisClientPool({ logger: createLogger('silent') });
  const client = await pool.ready(redis.url);
  assert.equal(await client.ping(), 'PONG');
  await pool.close();
  if (client.status !== 'end') await once(client, 'end');
  assert.equal(client.status, 'end');
  await assert.rejects(pool.ready(redis.url), (error: { code?: string }) => error.code === 'REDIS_UNAVAILABLE');
  await assert.rejects(pool.ready(`${redis.url}/3`), (error: { code?: string }) => error.code === 'REDIS_UNAVAILABLE');
  pool.warm(redis.url);
});
