import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWriteSets, keyPattern, type DiscoveredWrite } from './discovery.js';

const json = (key: string, value: unknown, events = ['set']): DiscoveredWrite => ({ key, events, state: { exists: true, type: 'string', value, ttlMs: undefined } });
const options = { ttlToleranceSeconds: 5 };

test('keyPattern folds ids, uuids, hex ids, tokens and e-mails, and keeps the words', () => {
  assert.equal(keyPattern('session:42'), 'session:{id}');
  assert.equal(keyPattern('app:session:42'), 'app:session:{id}');
  assert.equal(keyPattern('user/3fa85f64-5717-4562-b3fc-2c963f66afa6/cart'), 'user/{id}/cart');
  assert.equal(keyPattern('counter/2024-05/ann@example.com'), 'counter/{id}-{id}/{id}');
  assert.equal(keyPattern('mail:ann.lee@example.com:inbox'), 'mail:{id}:inbox');
  assert.equal(keyPattern('waiting-list'), 'waiting-list');
  assert.equal(keyPattern(''), '(empty key)');
});

test('the same key written by both sides is compared by value; nothing else is reported when they agree', () => {
  assert.deepEqual(compareWriteSets([json('cart:7', { n: 1 })], [json('cart:7', { n: 1 })], options), []);
  assert.deepEqual(compareWriteSets([json('cart:7', { n: 1 })], [json('cart:7', { n: '1' })], options).map((f) => `${f.class} ${f.path}`), ['type redis.cart:{id}.n']);
});

test('a value under another key name is one rename naming both patterns, with the values compared', () => {
  const found = compareWriteSets([json('session:9', { user: 'a', expires: null })], [json('app:session:9', { user: 'a' })], options);
  assert.deepEqual(found.map((f) => [f.class, f.path, f.legacy, f.candidate]), [
    ['redis-key-renamed', 'redis.session:{id}', 'session:{id}', 'app:session:{id}'],
    ['null-vs-absent', 'redis.session:{id}.expires', null, undefined],
  ]);
});

test('writes only one side makes are missing or extra writes; unrelated writes are never paired', () => {
  const found = compareWriteSets(
    [json('audit:1', { action: 'login' }), { key: 'sessions:active', events: ['sadd'], state: { exists: true, type: 'set', value: ['9'], ttlMs: undefined } }],
    [json('metrics:hits', 12)],
    options,
  );
  assert.deepEqual(found.map((f) => `${f.class} ${f.path}`).sort(), [
    'redis-extra-write redis.metrics:hits', 'redis-missing-write redis.audit:{id}', 'redis-missing-write redis.sessions:active',
  ]);
});
