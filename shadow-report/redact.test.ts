import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createRedactor, isPlaceholder } from './redact.js';
import type { CapturedRequest, CapturedResponse, Finding } from './types.js';

const key = Buffer.from('test-key-0123456789');
const SECRET = 'canary-SECRET-123';

const request = (): CapturedRequest => ({
  method: 'PUT',
  path: `/api/approve?api_key=${SECRET}&x=1`,
  headers: {
    'x-pesto-token': SECRET, authorization: 'Bearer abc.def.ghi', cookie: 'sid=s3cr3tcookie; theme=dark',
    'content-type': 'application/json', accept: 'application/json',
  },
  body: Buffer.from(JSON.stringify({ email: 'a@b.c', token: SECRET, limit: 100, nested: { Password: 'hunter22' } })),
});

describe('createRedactor', () => {
  it('redacts a response the same with or without the body the comparison already parsed', () => {
    const res: CapturedResponse = { status: 200, headers: { 'content-type': 'application/json', 'set-cookie': 'sid=abcdef123' }, body: request().body };
    const plain = createRedactor({ key }).begin().response(res);
    const reused = createRedactor({ key }).begin().response(res, JSON.parse(res.body.toString('utf8')) as unknown);
    assert.deepEqual(reused, plain);
    assert.ok(!reused.body.toString('utf8').includes(SECRET));
  });

  it('masks secret headers and keeps their shape', () => {
    const r = createRedactor({ key }).begin().request(request());
    assert.ok(isPlaceholder(r.headers['x-pesto-token']));
    assert.match(String(r.headers.authorization), /^Bearer «redacted:string:[0-9a-f]{8}»$/);
    assert.match(String(r.headers.cookie), /^sid=«redacted:string:[0-9a-f]{8}»; theme=«redacted:string:[0-9a-f]{8}»$/);
    assert.equal(r.headers.accept, 'application/json');
  });

  it('masks secret body fields case-insensitively and keeps other fields', () => {
    const r = createRedactor({ key }).begin().request(request());
    const body = JSON.parse(r.body.toString()) as Record<string, unknown>;
    assert.ok(isPlaceholder(body.token));
    assert.ok(isPlaceholder((body.nested as Record<string, unknown>).Password));
    assert.equal(body.email, 'a@b.c');
    assert.equal(body.limit, 100);
  });

  it('masks configured fields too; a masked number is a string naming its type, never a number', () => {
    const s = createRedactor({ key, fields: ['email', 'pin'] }).begin();
    const out = s.value({ UserEmail: 'a@b.c', pin: 1234, keep: 1, nested: { pin: 1234 } }) as Record<string, unknown>;
    assert.match(String(out.UserEmail), /^«redacted:string:[0-9a-f]{8}»$/);
    assert.match(String(out.pin), /^«redacted:number:[0-9a-f]{8}»$/);
    assert.ok(isPlaceholder(out.pin));
    assert.equal((out.nested as Record<string, unknown>).pin, out.pin, 'equal secrets, equal placeholders');
    assert.equal(out.keep, 1);
  });

  it('recognises typed placeholders and the untyped form of earlier versions, and nothing else', () => {
    for (const p of ['«redacted:number:3f2a19c0»', '«redacted:string:00ff00ff»', '«redacted:3f2a19c0»']) assert.equal(isPlaceholder(p), true, p);
    for (const p of ['«redacted:float:3f2a19c0»', 'redacted:string:3f2a19c0', '«redacted:string:XYZ»', 1234]) assert.equal(isPlaceholder(p), false, String(p));
  });

  it('scrubs a Redis key that is a token, token parts of other keys, and secret fields of Redis values', () => {
    const token = 'TRIAL-q8ZkP3mW7xN2vB5cL9dR4tY6hJ1gF0sA';
    const s = createRedactor({ key }).begin();
    const entries = [
      { name: 'token', legacyKey: token, newKey: token, legacy: { UserEmail: 'a@b.c', Token: token, MonthlyLimit: 5 }, new: { user_email: 'a@b.c', monthly_limit: 5 } },
      { name: 'session', legacyKey: `session:${'Zx81kQ0pLm3nB7vC'}x9`, legacy: 'v' },
    ];
    s.scanRedis(entries);
    const findings = s.findings([{ class: 'key-casing', path: `redis.${token}.UserEmail`, legacy: 'UserEmail', candidate: 'user_email', rule: 'redis' }]);
    const red = s.redis(entries);
    const out = JSON.stringify([red, findings]);
    assert.equal(out.includes(token), false);
    assert.equal(out.includes('Zx81kQ0pLm3nB7vCx9'), false);
    assert.ok(isPlaceholder(red[0]!.legacyKey));
    assert.equal(red[0]!.legacyKey, red[0]!.newKey);
    assert.match(red[1]!.legacyKey!, /^session:«redacted:string:[0-9a-f]{8}»$/);
    assert.deepEqual((red[0]!.new as Record<string, unknown>), { user_email: 'a@b.c', monthly_limit: 5 });
    assert.equal(red[0]!.name, 'token');
  });

  it('gives equal secrets equal placeholders, and different keys different ones', () => {
    const a = createRedactor({ key }).placeholder(SECRET);
    assert.equal(createRedactor({ key }).placeholder(SECRET), a);
    assert.notEqual(createRedactor({ key }).placeholder('other'), a);
    assert.notEqual(createRedactor({ key: Buffer.from('another key') }).placeholder(SECRET), a);
  });

  it('leaves a placeholder unchanged when redacting twice', () => {
    const r = createRedactor({ key });
    const once = r.begin().value({ token: SECRET });
    assert.deepEqual(r.begin().value(once), once);
  });

  it('scrubs secret values seen in the request from text bodies, finding paths, object keys and finding values', () => {
    const s = createRedactor({ key }).begin();
    s.scanRequest(request());
    const res: CapturedResponse = { status: 500, headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, body: gzipSync(`no key ${SECRET} found`) };
    const red = s.response(res);
    assert.equal(red.body.toString().includes(SECRET), false);
    assert.equal(red.headers['content-encoding'], undefined);
    const findings: Finding[] = [
      { class: 'redis-missing-key', path: `redis.${SECRET}`, legacy: { UserEmail: 'a@b.c' }, rule: 'redis' },
      { class: 'value', path: 'body.message', legacy: `token ${SECRET} not registered`, candidate: { [SECRET]: 1 }, rule: 'body' },
    ];
    const out = JSON.stringify(s.findings(findings));
    assert.equal(out.includes(SECRET), false);
    assert.equal(out.includes('SECRET'), false);
    assert.ok(out.includes('a@b.c'));
  });

  it('scrubs token-like parts of Redis finding paths and of renamed key patterns, even when no sample entry named them', () => {
    const token = 'Zx81kQ0pLm3nB7vCx9Qa';
    const s = createRedactor({ key }).begin();
    const out = s.findings([
      { class: 'redis-extra-write', path: `redis["seen:${token}"]`, candidate: 1, rule: 'redis' },
      { class: 'redis-key-renamed', path: 'redis["session:{id}"]', legacy: `session:${token}`, candidate: `app:session:${token}`, rule: 'redis' },
      { class: 'value', path: `body.${token}`, legacy: 1, candidate: 2, rule: 'body' },
    ]);
    assert.equal(JSON.stringify(out.slice(0, 2)).includes(token), false);
    assert.match(String(out[1]!.candidate), /^app:session:«redacted:string:[0-9a-f]{8}»$/);
    assert.match(out[2]!.path, /^body\.«redacted:string:[0-9a-f]{8}»$/, 'the secret is scrubbed in every path of the sample');
  });

  it('scrubs a secret found in a query string and a form body', () => {
    const s = createRedactor({ key }).begin();
    const r = s.request({ method: 'POST', path: `/x?token=${SECRET}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`password=pw-${SECRET}&user=bob`) });
    assert.equal(JSON.stringify({ ...r, body: r.body.toString() }).includes(SECRET), false);
    assert.ok(r.body.toString().includes('user=bob'));
  });

  it('masks a bare random token answered as text', () => {
    const s = createRedactor({ key }).begin();
    const token = 'TRIAL-q8ZkP3mW7xN2vB5cL9dR4tY6hJ1gF0sA3eU8iO2pK7nM5bV9cX4zQ6wE1rT';
    const red = s.response({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(token) });
    assert.ok(isPlaceholder(red.body.toString()));
  });

  it('refuses an empty key with DIFF_BAD_OPTIONS', () => {
    assert.throws(() => createRedactor({ key: Buffer.alloc(0) }), { code: 'DIFF_BAD_OPTIONS' });
  });
});
