import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalisePath, splitTarget } from './path.js';

test('normalisePath removes dot segments, merges slashes and decodes unreserved escapes', () => {
  assert.equal(normalisePath('/a/b'), '/a/b');
  assert.equal(normalisePath('/a/../admin'), '/admin');
  assert.equal(normalisePath('/a/%2e%2e/admin'), '/admin');
  assert.equal(normalisePath('/a/./b/'), '/a/b/');
  assert.equal(normalisePath('//a///b'), '/a/b');
  assert.equal(normalisePath('/../../etc'), '/etc');
  assert.equal(normalisePath('/a/%7euser'), '/a/~user');
  assert.equal(normalisePath('/a%2fb'), '/a%2Fb');
  assert.equal(normalisePath('/a/..'), '/');
});

test('normalisePath rejects targets that are not origin-form paths or carry broken escapes', () => {
  assert.equal(normalisePath('a/b'), undefined);
  assert.equal(normalisePath('/a%zz'), undefined);
  assert.equal(normalisePath('/a%2'), undefined);
});

test('normalisePath rejects a backslash and dot segments hidden behind encoded separators', () => {
  assert.equal(normalisePath('/public\\..\\admin'), undefined);
  assert.equal(normalisePath('/public/..%2Fadmin'), undefined);
  assert.equal(normalisePath('/public/%2e%2e%2fadmin'), undefined);
  assert.equal(normalisePath('/public/..%5cadmin'), undefined);
  assert.equal(normalisePath('/public/a%2F.%2Fb'), undefined);
  // An encoded slash inside an identifier is not a traversal and passes, still encoded.
  assert.equal(normalisePath('/files/a%2Fb..c'), '/files/a%2Fb..c');
});

test('splitTarget keeps the query string apart', () => {
  assert.deepEqual(splitTarget('/a?b=1&c'), { path: '/a', query: 'b=1&c' });
  assert.deepEqual(splitTarget('/a'), { path: '/a', query: '' });
});
