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

  it('reports arrays of different length as one array-length finding with both lengths, plus the added element', () => {
    assert.deepEqual(compareValues([1, 2], [1, 2, 3], 'body'), [
      { class: 'array-length', path: 'body', legacy: 2, candidate: 3, rule: 'body' },
      { class: 'extra-field', path: 'body[2]', candidate: 3, rule: 'body' },
    ]);
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

const pairs = (fs: Finding[]): [string, string][] => fs.map((f) => [f.class, f.path]);

describe('compareValues on arrays of different lengths', () => {
  it('aligns changed records without an array key and reports each one\'s differences and the removed one', () => {
    const legacy = [{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 3, name: 'c' }];
    const candidate = [{ id: '1', name: 'a' }, { id: '3', name: 'c' }];
    assert.deepEqual(pairs(compareValues(legacy, candidate, 'body')), [
      ['array-length', 'body'], ['type', 'body[0].id'], ['missing-field', 'body[1]'], ['type', 'body[2].id'],
    ]);
  });

  it('shows every type difference when the new side turns every id into a string and returns more items', () => {
    const legacy = { items: Array.from({ length: 8 }, (_, i) => ({ id: i + 1, title: `t${i + 1}`, done: i % 2 === 0 })) };
    const candidate = { items: [...legacy.items.map((x) => ({ ...x, id: String(x.id) })), { id: '9', title: 't9', done: true }, { id: '10', title: 't10', done: false }] };
    for (const opts of [{}, { arrayKeys: { 'body.items': 'id' } }]) {
      const findings = compareValues(legacy, candidate, 'body', opts);
      assert.deepEqual(findings.filter((f) => f.class === 'type').map((f) => f.path), legacy.items.map((_, i) => `body.items[${i}].id`), JSON.stringify(opts));
      assert.deepEqual(findings.filter((f) => f.class === 'extra-field').map((f) => f.path), ['body.items[8]', 'body.items[9]']);
      assert.equal(findings.filter((f) => f.class === 'array-length').length, 1);
      assert.equal(findings.length, 8 + 2 + 1);
    }
  });

  it('matches keyed elements by the string form of their id, still reporting the type change', () => {
    const legacy = { items: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }, { id: 3, v: 'c' }] };
    const candidate = { items: [{ id: '3', v: 'c' }, { id: '1', v: 'a' }] };
    assert.deepEqual(pairs(compareValues(legacy, candidate, 'body', { arrayKeys: { 'body.items': 'id' } })), [
      ['array-length', 'body.items'], ['type', 'body.items[0].id'], ['missing-field', 'body.items[1]'], ['type', 'body.items[2].id'], ['array-order', 'body.items'],
    ]);
  });

  it('finds a keyed element whose id field was re-cased, and reports the casing', () => {
    const findings = compareValues({ items: [{ id: 1 }, { id: 2 }] }, { items: [{ Id: 2 }] }, 'body', { arrayKeys: { 'body.items': 'id' } });
    assert.deepEqual(pairs(findings), [['array-length', 'body.items'], ['missing-field', 'body.items[0]'], ['key-casing', 'body.items[1].id']]);
  });

  it('still reports a re-cased field inside an element it aligned', () => {
    const findings = compareValues([{ UserEmail: 'a', n: 1 }, { UserEmail: 'b', n: 2 }], [{ user_email: 'a', n: 1 }], 'body');
    assert.deepEqual(pairs(findings), [['array-length', 'body'], ['key-casing', 'body[0].UserEmail'], ['missing-field', 'body[1]']]);
  });

  it('pairs an element that changed with its legacy counterpart and reports an inserted one as added', () => {
    const legacy = [{ sku: 'a', qty: 1, price: 5 }, { sku: 'b', qty: 2, price: 7 }];
    const candidate = [{ sku: 'a', qty: 1, price: 5 }, { sku: 'x', qty: 9, price: 1 }, { sku: 'b', qty: 3, price: 7 }];
    assert.deepEqual(pairs(compareValues(legacy, candidate, 'body')), [['array-length', 'body'], ['extra-field', 'body[1]'], ['value', 'body[1].qty']]);
  });

  it('reports scalars that changed as removed and added, and a removed null as missing-field', () => {
    assert.deepEqual(pairs(compareValues([1, null, 3], [1, 3, 4, 5], 'body')), [
      ['array-length', 'body'], ['missing-field', 'body[1]'], ['extra-field', 'body[2]'], ['extra-field', 'body[3]'],
    ]);
  });

  it('aligns arrays too large for the exact alignment greedily, still finding every difference', () => {
    const legacy = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `n${i}` }));
    const candidate = legacy.map((x) => ({ ...x, id: String(x.id) }));
    candidate.splice(150, 0, { id: 'new', name: 'inserted' });
    const findings = compareValues(legacy, candidate, 'body');
    assert.equal(findings.filter((f) => f.class === 'type').length, 300);
    assert.deepEqual(findings.filter((f) => f.class !== 'type').map((f) => [f.class, f.path]), [['array-length', 'body'], ['extra-field', 'body[150]']]);
  });
});
