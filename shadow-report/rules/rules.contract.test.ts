// One contract suite that every difference rule must pass (Hono's common.case.test.ts habit), plus per-rule cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DIFF_CLASSES, type CapturedResponse, type Finding } from '../types.js';
import { compareValues } from '../compare-values.js';
import { RESPONSE_RULES } from './index.js';
import type { DiffRule, RuleContext } from './rule.js';

const ctx = (): RuleContext => ({ options: { headers: ['content-type', 'x-version'], maxBodyBytes: 64 * 1024 }, skip() {} });

const responseArb: fc.Arbitrary<CapturedResponse> = fc.record({
  status: fc.constantFrom(200, 201, 400, 404, 500),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/problem+json; charset=utf-8'),
  gzip: fc.boolean(),
  version: fc.option(fc.constantFrom('1', ' 1 ', '2'), { nil: undefined }),
  body: fc.oneof(fc.json().map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), fc.string().map((s) => Buffer.from(s))),
}).map(({ status, contentType, gzip, version, body }) => {
  const headers: CapturedResponse['headers'] = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (version !== undefined) headers['x-version'] = version;
  if (gzip) headers['content-encoding'] = 'gzip';
  return { status, headers, body: gzip ? gzipSync(body) : body };
});

/** The structural walker as a rule over raw JSON values, so it runs through the same contract. */
const valuesRule: DiffRule<unknown> = { id: 'json', run: (a, b) => compareValues(a, b, 'body', { rule: 'json', arrayKeys: { 'body.items': 'id' } }) };

interface Subject<T> { rule: DiffRule<T>; arb: fc.Arbitrary<T>; clone(x: T): T }
const subjects: Subject<unknown>[] = [
  ...RESPONSE_RULES.map((rule) => ({
    rule: rule as DiffRule<unknown>,
    arb: responseArb as fc.Arbitrary<unknown>,
    clone: (r: unknown) => { const x = r as CapturedResponse; return { ...x, headers: { ...x.headers }, body: Buffer.from(x.body) }; },
  })),
  { rule: valuesRule, arb: fc.jsonValue(), clone: (v: unknown) => structuredClone(v) },
];

const validClasses = new Set<string>(DIFF_CLASSES);
const RUNS = 150;

for (const { rule, arb, clone } of subjects) {
  describe(`rule contract: ${rule.id}`, () => {
    it('returns no findings for identical inputs (also for equal copies)', () => {
      fc.assert(fc.property(arb, (x) => {
        assert.deepEqual(rule.run(x, x, ctx()), []);
        assert.deepEqual(rule.run(x, clone(x), ctx()), []);
      }), { numRuns: RUNS });
    });
    it('is deterministic', () => {
      fc.assert(fc.property(arb, arb, (a, b) => {
        assert.deepEqual(rule.run(a, b, ctx()), rule.run(a, b, ctx()));
      }), { numRuns: RUNS });
    });
    it('never throws on arbitrary input and tags every finding with its id and a valid class', () => {
      fc.assert(fc.property(arb, arb, (a, b) => {
        const findings: Finding[] = rule.run(a, b, ctx());
        for (const f of findings) {
          assert.equal(f.rule, rule.id);
          assert.ok(validClasses.has(f.class), `invalid class ${f.class}`);
          assert.equal(typeof f.path, 'string');
        }
      }), { numRuns: RUNS });
    });
    it('does not modify its inputs', () => {
      fc.assert(fc.property(arb, arb, (a, b) => {
        const ca = clone(a); const cb = clone(b);
        rule.run(a, b, ctx());
        assert.deepEqual(a, ca);
        assert.deepEqual(b, cb);
      }), { numRuns: 50 });
    });
  });
}

describe('status rule', () => {
  it('reports a different status as one status finding', () => {
    const r = (status: number): CapturedResponse => ({ status, headers: {}, body: Buffer.alloc(0) });
    const rule = RESPONSE_RULES.find((x) => x.id === 'status')!;
    assert.deepEqual(rule.run(r(200), r(500), ctx()), [{ class: 'status', path: 'status', legacy: 200, candidate: 500, rule: 'status' }]);
  });
});

describe('headers rule', () => {
  const rule = RESPONSE_RULES.find((x) => x.id === 'headers')!;
  it('compares only named headers, names case-insensitive and values trimmed', () => {
    const a: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json ', 'x-other': 'a', 'x-version': '1' }, body: Buffer.alloc(0) };
    const b: CapturedResponse = { status: 200, headers: { 'Content-Type': 'application/json', 'x-other': 'b' }, body: Buffer.alloc(0) };
    assert.deepEqual(rule.run(a, b, ctx()), [{ class: 'header', path: 'header.x-version', legacy: '1', rule: 'headers' }]);
  });
  it('compares every header but the transport ones and date with *, plus the ones named explicitly', () => {
    const a: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json', date: 'Mon, 01 Jan 2024 00:00:00 GMT', 'content-length': '10', connection: 'keep-alive, x-hop', 'x-hop': '1', 'transfer-encoding': 'chunked', server: 'kestrel', etag: '"a"' }, body: Buffer.alloc(0) };
    const b: CapturedResponse = { status: 200, headers: { 'Content-Type': 'application/json', date: 'Tue, 02 Jan 2024 00:00:00 GMT', 'content-length': '12', 'content-encoding': 'gzip', 'x-hop': '2', server: 'axum', 'cache-control': 'no-store' }, body: Buffer.alloc(0) };
    const paths = (names: string[]): string[] => rule.run(a, b, { options: { headers: names }, skip() {} }).map((f) => f.path);
    assert.deepEqual(paths(['*']), ['header.cache-control', 'header.etag', 'header.server']);
    assert.deepEqual(paths(['*', 'Content-Length']), ['header.cache-control', 'header.content-length', 'header.etag', 'header.server']);
    assert.deepEqual(paths(['server']), ['header.server']);
  });
  it('joins repeated header values before comparing', () => {
    const a: CapturedResponse = { status: 200, headers: { 'x-version': ['1', '2'] }, body: Buffer.alloc(0) };
    const b: CapturedResponse = { status: 200, headers: { 'x-version': '1, 2' }, body: Buffer.alloc(0) };
    assert.deepEqual(rule.run(a, b, ctx()), []);
  });
});
