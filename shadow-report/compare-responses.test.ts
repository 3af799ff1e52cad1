import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { compareResponses } from './compare-responses.js';
import type { CapturedResponse } from './types.js';

const json = (body: unknown, headers: Record<string, string> = {}, status = 200): CapturedResponse =>
  ({ status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) });
const text = (body: string, headers: Record<string, string> = {}): CapturedResponse =>
  ({ status: 200, headers: { 'content-type': 'text/plain', ...headers }, body: Buffer.from(body) });

describe('compareResponses', () => {
  it('decodes gzip, deflate and br before comparing', () => {
    const plain = Buffer.from(JSON.stringify({ a: 1, b: [1, 2] }));
    for (const [coding, bytes] of [['gzip', gzipSync(plain)], ['deflate', deflateSync(plain)], ['br', brotliCompressSync(plain)]] as const) {
      const a: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: bytes };
      const b: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: plain };
      assert.deepEqual(compareResponses(a, b).findings, [], coding);
    }
  });

  it('compares JSON structurally, ignoring key order and whitespace', () => {
    const a: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1,"b":2}') };
    const b: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{ "b": 2, "a": 1 }\n') };
    assert.deepEqual(compareResponses(a, b).findings, []);
  });

  it('compares a body that parses as JSON structurally even without a JSON content type', () => {
    const findings = compareResponses(text('{"a":1}', { 'content-type': 'text/plain' }), text('{"a":2}')).findings;
    assert.deepEqual(findings.map((f) => [f.class, f.path]), [['value', 'body.a']]);
  });

  it('compares text as text and reports body-text', () => {
    assert.deepEqual(compareResponses(text('Token must be supplied'), text('Token not registered')).findings,
      [{ class: 'body-text', path: 'body', legacy: 'Token must be supplied', candidate: 'Token not registered', rule: 'body' }]);
  });

  it('skips bodies over maxBodyBytes with a reason and still compares the status', () => {
    const big = json({ s: 'x'.repeat(200) });
    const result = compareResponses(big, { ...json({ s: 'y'.repeat(200) }), status: 500 }, { maxBodyBytes: 100 });
    assert.equal(result.skipped?.reason, 'body-too-large');
    assert.deepEqual(result.findings.map((f) => f.class), ['status']);
  });

  it('skips a body that decompresses beyond maxBodyBytes', () => {
    const bomb: CapturedResponse = { status: 200, headers: { 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(100_000)) };
    assert.equal(compareResponses(bomb, bomb, { maxBodyBytes: 1000 }).skipped?.reason, 'body-too-large');
  });

  it('skips bodies cut at capture', () => {
    assert.equal(compareResponses({ ...json({ a: 1 }), truncated: true }, json({ a: 2 })).skipped?.reason, 'truncated');
  });

  it('reports an undecodable body on one side as body-encoding', () => {
    const bad: CapturedResponse = { status: 200, headers: { 'content-encoding': 'gzip' }, body: Buffer.from('not gzip') };
    assert.deepEqual(compareResponses(json({ a: 1 }), bad, { headers: [] }).findings.map((f) => f.class), ['body-encoding']);
  });

  it('reports an empty legacy body against a JSON body as extra-field at body (the .NET 201 vs Rust {"message"})', () => {
    const legacy: CapturedResponse = { status: 201, headers: {}, body: Buffer.alloc(0) };
    const candidate = json({ message: 'Created' }, {}, 201);
    assert.deepEqual(compareResponses(legacy, candidate, { headers: [] }).findings,
      [{ class: 'extra-field', path: 'body', candidate: { message: 'Created' }, rule: 'body' }]);
  });

  it('reports a bare text token against a JSON object as a type difference at body', () => {
    const findings = compareResponses(text('TRIAL-abc'), json({ token: 'TRIAL-abc' }), { headers: [] }).findings;
    assert.deepEqual(findings.map((f) => [f.class, f.path]), [['type', 'body']]);
  });

  it('returns decoded bodies on request', () => {
    const result = compareResponses(json({ a: 1 }), json({ a: 1 }), { wantBodies: true });
    assert.deepEqual(result.bodies, { legacy: { a: 1 }, candidate: { a: 1 } });
  });
});

describe('compareResponses on one crafted pair', () => {
  it('finds status, header and every structural body class at once', () => {
    const legacy = json({ id: 1, name: 'a', count: '10', gone: true, nullish: null, tags: ['x', 'y'], list: [1], UserEmail: 'e' }, { 'x-v': '1' }, 200);
    const candidate = json({ id: 2, count: 10, added: 1, tags: ['y', 'x'], list: [1, 2], user_email: 'e' }, { 'x-v': '2' }, 500);
    const found = new Set(compareResponses(legacy, candidate, { headers: ['x-v'] }).findings.map((f) => f.class));
    for (const c of ['status', 'header', 'value', 'type', 'missing-field', 'extra-field', 'null-vs-absent', 'array-order', 'array-length', 'key-casing']) {
      assert.ok(found.has(c as never), `missing ${c}`);
    }
  });
});
