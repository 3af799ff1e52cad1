import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionStore } from './admin-sessions.js';

test('a session lives until its expiry and not a millisecond longer', () => {
  let now = 1_000;
  const store = createSessionStore({ ttlMs: 60_000, max: 10, now: () => now });
  const { id, session } = store.create('alice');
  assert.equal(store.get(id)?.name, 'alice');
  assert.equal(session.expiresAt, 61_000);
  now = 60_999;
  assert.ok(store.get(id));
  now = 61_000;
  assert.equal(store.get(id), undefined);
  assert.equal(store.size, 0);
});

test('the store is bounded: the oldest session is evicted first', () => {
  const store = createSessionStore({ ttlMs: 60_000, max: 3, now: () => 0 });
  const ids = Array.from({ length: 5 }, (_, i) => store.create(`user${i}`).id);
  assert.equal(store.size, 3);
  assert.equal(store.get(ids[0]!), undefined);
  assert.equal(store.get(ids[1]!), undefined);
  assert.equal(store.get(ids[4]!)?.name, 'user4');
});

test('ids and CSRF tokens are random and distinct; a deleted session is gone', () => {
  const store = createSessionStore({ ttlMs: 60_000, max: 10 });
  const a = store.create('a');
  const b = store.create('a');
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.session.csrf, b.session.csrf);
  assert.ok(a.id.length >= 40);
  store.delete(a.id);
  assert.equal(store.get(a.id), undefined);
  assert.ok(store.get(b.id));
});
