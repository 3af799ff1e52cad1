import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareValues } from './compare-values.js';
import type { DiffClass, Finding } from './types.js';

const classes = (fs: Finding[]): string[] => fs.map((f) => f.class).sort();

describe('compareValues', () => {
  it('gives exactly one key-casing finding per re-cased field of the Pesto token record, and nothing else', () => {
    const legacy = JSON.parse('{"UserEmail":"a","MonthlyLimit":1,"Revoked":false}') as unknown;
    const candidate = JSON.parse('{"user_email":"a","monthly_limit":1,"revoked":false}') as unknown;
    const findings = compareValues(legacy, candidate, 'redis.token');
    assert.deepEqual(findings, [
      { class: 'key-casing', path: 'redis.token.UserEmail', legacy: 'UserEmail', candidate: 'user_email', rule: 'body' },
      { class: 'key-casing', path: 'redis.token.MonthlyLimit', legacy: 'MonthlyLimit', candidate: 'monthly_limit', rule: 'body' },
      { class: 'key-casing', path: 'redis.token.Revoked', legacy: 'Revoked', candidate: 'revoked', rule: 'body' },
    ]);
  });

  it('treats camelCase and SCREAMING_SNAKE as the same field and keeps comparing the values under it', () => {
    const findings = compareValues({ UserEmail: 'a', MonthlyLimit: 1 }, { userEmail: 'b', MONTHLY_LIMIT: '1' }, 'body');
    assert.deepEqual(findings.map((f) => [f.class, f.path]), [
      ['key-casing', 'body.UserEmail'], ['value', 'body.UserEmail'],
      ['key-casing', 'body.MonthlyLimit'], ['type', 'body.MonthlyLimit'],
    ]);
  });

  it('finds every class on a crafted pair', () => {
    const legacy = {
      id: 1, name: 'a', count: '10', gone: true, nullish: null, tags: ['x', 'y', 'z'], list: [1, 2], nested: { UserEmail: 'e' }, kind: {},
    };
    const candidate = {
      id: 2, count: 10, added: 'new', tags: ['z', 'x', 'y'], list: [1, 2, 3], nested: { user_email: 'e' }, kind: [], late: null,
    };
    const found = new Set(compareValues(legacy, candidate, 'body').map((f) => f.class));
    const expected: DiffClass[] = ['value', 'type', 'missing-field', 'extra-field', 'null-vs-absent', 'array-order', 'array-length', 'key-casing'];
    for (const c of expected) assert.ok(found.has(c), `missing class ${c}`);
  });

  it('names paths with dots and indices, quoting odd keys', () => {
    const findings = compareValues({ a: { b: [0, 0, { c: 1 }] }, 'x.y': 1 }, { a: { b: [0, 0, { c: 2 }] }, 'x.y': 2 }, 'body');
    assert.deepEqual(findings.map((f) => f.path), ['body.a.b[2].c', 'body["x.y"]']);
  });

  it('reports "10" against 10 and an object against an array as type', () => {
    assert.deepEqual(classes(compareValues({ n: '10', o: {} }, { n: 10, o: [] }, 'body')), ['type', 'type']);
  });

  it('reports null against a missing field as null-vs-absent, not missing-field', () => {
    assert.deepEqual(compareValues({ a: null }, {}, 'body'), [{ class: 'null-vs-absent', path: 'body.a', legacy: null, rule: 'body' }]);
    assert.deepEqual(compareValues({}, { a: null }, 'body'), [{ class: 'null-vs-absent', path: 'body.a', candidate: null, rule: 'body' }]);
  });

  it('reports the same elements in another order as one array-order finding', () => {
    assert.deepEqual(classes(compareValues([{ a: 1 }, { b: 2 }], [{ b: 2 }, { a: 1 }], 'body')), ['array-order']);
  });

  it('reports arrays of different length as array-length with both lengths', () => {
    assert.deepEqual(compareValues([1, 2], [1, 2, 3], 'body'), [{ class: 'array-length', path: 'body', legacy: 2, candidate: 3, rule: 'body' }]);
  });

  it('matches array elements by id when the path has an array key', () => {
    const legacy = { items: [{ id: 'a', v: 1 }, { id: 'b', v: 2 }, { id: 'c', v: 3 }] };
    const candidate = { items: [{ id: 'b', v: 2 }, { id: 'a', v: 9 }, { id: 'd', v: 4 }] };
    const findings = compareValues(legacy, candidate, 'body', { arrayKeys: { 'body.items': 'id' } });
    assert.deepEqual(findings.map((f) => [f.class, f.path]), [
      ['value', 'body.items[0].v'], ['missing-field', 'body.items[2]'], ['extra-field', 'body.items[2]'], ['array-order', 'body.items'],
    ]);
  });

  it('matches nested keyed arrays written with [*]', () => {
    const legacy = { groups: [{ items: [{ id: 1 }, { id: 2 }] }] };
    const candidate = { groups: [{ items: [{ id: 2 }, { id: 1 }] }] };
    const findings = compareValues(legacy, candidate, 'body', { arrayKeys: { 'body.groups[*].items': 'id' } });
    assert.deepEqual(findings.map((f) => [f.class, f.path]), [['array-order', 'body.groups[0].items']]);
  });

  it('puts the given rule id on findings', () => {
    assert.equal(compareValues(1, 2, 'redis.token', { rule: 'redis' })[0]?.rule, 'redis');
  });

  it('reports a top-level value present on one side only', () => {
    assert.deepEqual(classes(compareValues(undefined, { a: 1 }, 'body')), ['extra-field']);
    assert.deepEqual(classes(compareValues({ a: 1 }, undefined, 'body')), ['missing-field']);
  });
});
