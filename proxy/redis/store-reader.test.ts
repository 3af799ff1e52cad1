import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { copyKeys, readKey, seedKeys, snapshotKeys } from './store-reader.js';

let server: TestRedis;
let primary: Redis;
let shadow: Redis;

before(async () => {
  server = await startRedisServer();
  primary = new Redis(`${server.url}/1`);
  shadow = new Redis(`${server.url}/2`);
});

after(async () => {
  primary.disconnect();
  shadow.disconnect();
  await server.stop();
});

test('reads every type, parsing JSON strings, with existence and TTL', async () => {
  await primary.set('record', '{"UserEmail":"a@b.c","MonthlyLimit":100,"Revoked":false}');
  await primary.set('count', '41', 'EX', 3600);
  await primary.set('plain', 'hello world');
  await primary.hset('hash', { a: '1', b: '{"x":true}' });
  await primary.rpush('list', '{"email":"a@b.c"}', 'text');
  await primary.sadd('set', 'b', 'a');
  await primary.zadd('zset', 2, 'two', 1, 'one');

  assert.deepEqual(await readKey(primary, 'missing'), { exists: false });
  assert.deepEqual(await readKey(primary, 'record'), { exists: true, type: 'string', value: { UserEmail: 'a@b.c', MonthlyLimit: 100, Revoked: false }, ttlMs: undefined });
  const count = await readKey(primary, 'count');
  assert.ok(count.exists && count.value === 41 && count.ttlMs !== undefined && count.ttlMs > 3_590_000 && count.ttlMs <= 3_600_000);
  assert.deepEqual(await readKey(primary, 'plain'), { exists: true, type: 'string', value: 'hello world', ttlMs: undefined });
  assert.deepEqual(await readKey(primary, 'hash'), { exists: true, type: 'hash', value: { a: 1, b: { x: true } }, ttlMs: undefined });
  assert.deepEqual(await readKey(primary, 'list'), { exists: true, type: 'list', value: [{ email: 'a@b.c' }, 'text'], ttlMs: undefined });
  assert.deepEqual(await readKey(primary, 'set'), { exists: true, type: 'set', value: ['a', 'b'], ttlMs: undefined });
  assert.deepEqual(await readKey(primary, 'zset'), { exists: true, type: 'zset', value: [{ member: 'one', score: 1 }, { member: 'two', score: 2 }], ttlMs: undefined });
});

test('seeding copies values, types and TTLs into the shadow store and deletes what the primary lacks', async () => {
  await primary.set('tok', '{"UserEmail":"a@b.c"}', 'EX', 86_400);
  await primary.rpush('waiting', 'x', 'y');
  await primary.hset('h', 'f', 'v');
  await shadow.set('stale', 'left over from an earlier shadow write');
  await shadow.set('tok', 'old');
  const snapshots = await copyKeys(primary, shadow, ['tok', 'waiting', 'h', 'stale']);
  assert.equal(snapshots.find((s) => s.key === 'stale')?.payload, null);
  for (const key of ['tok', 'waiting', 'h']) {
    const [a, b] = [await readKey(primary, key), await readKey(shadow, key)];
    assert.ok(a.exists && b.exists);
    assert.equal(b.type, a.type);
    assert.deepEqual(b.value, a.value);
    assert.equal(b.ttlMs === undefined, a.ttlMs === undefined, `${key}: expiry kept`);
    if (a.ttlMs !== undefined && b.ttlMs !== undefined) assert.ok(Math.abs(a.ttlMs - b.ttlMs) < 5_000);
  }
  assert.deepEqual(await readKey(shadow, 'stale'), { exists: false });
  // The empty key can be snapshotted and cleared like any other.
  await shadow.set('', 'x');
  await seedKeys(shadow, await snapshotKeys(primary, ['']));
  assert.equal(await shadow.exists(''), 0);
});
