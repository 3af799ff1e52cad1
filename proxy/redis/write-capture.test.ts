import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { createLogger } from '../log.js';
import { createWriteCapture, notifyFlags, type WriteCapture } from './write-capture.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

async function setup(): Promise<{ redis: TestRedis; client: Redis; capture: WriteCapture }> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const client = new Redis(`${redis.url}/3`);
  cleanups.push(async () => { client.disconnect(); });
  const capture = createWriteCapture({ url: `${redis.url}/3`, publisher: async () => client, logger: createLogger('silent') });
  cleanups.push(() => capture.close());
  assert.equal(await capture.ready(), true, capture.unavailable);
  return { redis, client, capture };
}

test('notifyFlags adds keyevent notifications for every class and keeps what was set', () => {
  assert.equal(notifyFlags(''), 'EA');
  assert.equal(notifyFlags('Kx'), 'KxEA');
  assert.equal(notifyFlags('EA'), 'EA');
});

test('a window sees exactly the writes made inside it, with their events, and nothing in other databases', async () => {
  const { redis, client, capture } = await setup();
  await client.set('before', '1');
  const window = await capture.open('job-1');
  await client.set('session:42', '{"user":"ann"}');
  await client.sadd('sessions:active', '42');
  await client.rpush('list', 'a', 'b');
  await client.del('list');
  await client.set('', 'empty key');
  const other = new Redis(`${redis.url}/4`);
  await other.set('elsewhere', '1');
  other.disconnect();
  const seen = await window.close();
  await client.set('after', '1');
  assert.deepEqual([...seen.writes.keys()].sort(), ['', 'list', 'session:42', 'sessions:active']);
  assert.deepEqual([...seen.writes.get('list')!].sort(), ['del', 'rpush']);
  assert.equal(seen.ambiguous.size, 0);
});

test('owned keys go to their owner; other writes during overlapping windows are ambiguous, never misattributed', async () => {
  const { client, capture } = await setup();
  capture.own('a', ['token:a']);
  capture.own('b', ['token:b']);
  const a = await capture.open('a');
  const b = await capture.open('b');
  await client.set('token:a', '1');
  await client.set('token:b', '1');
  await client.set('undeclared', '1');
  const seenA = await a.close();
  await client.set('undeclared-later', '1');
  const seenB = await b.close();
  assert.deepEqual([...seenA.writes.keys()], ['token:a']);
  assert.deepEqual([...seenA.ambiguous], ['undeclared']);
  assert.deepEqual([...seenB.writes.keys()].sort(), ['token:b', 'undeclared-later']);
  assert.deepEqual([...seenB.ambiguous], ['undeclared']);
  capture.disown('a', ['token:a']);
  const c = await capture.open('c');
  await client.set('token:a', '2');
  assert.deepEqual([...(await c.close()).writes.keys()], ['token:a'], 'a released key is anybody\'s again');
});

test('writes to a key owned by someone without an open window (figway seeding it) reach no window', async () => {
  const { client, capture } = await setup();
  capture.own('seeder', ['seeded']);
  const window = await capture.open('other');
  await client.set('seeded', 'x');
  assert.equal((await window.close()).writes.size, 0);
});
