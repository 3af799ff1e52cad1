import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judge } from './judge.js';
import { compilePattern, normalizePath } from './paths.js';
import { isNeverNoise, type Finding } from './types.js';

const f = (cls: Finding['class'], path: string): Finding => ({ class: cls, path, legacy: 1, candidate: 2, rule: 'body' });

describe('path patterns', () => {
  it('lets * match exactly one segment, key or index', () => {
    const m = compilePattern('body.items.*.id');
    assert.equal(m('body.items.x.id'), true);
    assert.equal(m('body.items[3].id'), true);
    assert.equal(m('body.items.x.y.id'), false);
  });
  it('lets ** match any number of segments, none included', () => {
    const m = compilePattern('body.**.updatedAt');
    assert.equal(m('body.updatedAt'), true);
    assert.equal(m('body.a[2].b.updatedAt'), true);
    assert.equal(m('header.updatedAt'), false);
  });
  it('lets [*] match array indices only', () => {
    const m = compilePattern('body.items[*].id');
    assert.equal(m('body.items[0].id'), true);
    assert.equal(m('body.items.x.id'), false);
  });
  it('covers everything below the path a pattern names', () => {
    assert.equal(compilePattern('body.meta')('body.meta.etag'), true);
    assert.equal(compilePattern('body.meta')('body.metadata'), false);
  });
  it('folds indices and typed or untyped placeholders when normalizing a path', () => {
    assert.equal(normalizePath('redis.«redacted:string:3f2a19c0».items[3].v'), 'redis.«redacted».items[*].v');
    assert.equal(normalizePath('body["«redacted:3f2a19c0»"]'), 'body["«redacted»"]');
  });
  it('rejects an empty pattern with DIFF_BAD_PATTERN', () => {
    assert.throws(() => compilePattern(' '), { code: 'DIFF_BAD_PATTERN' });
  });
});

describe('judge', () => {
  it('marks ignored findings and leaves them out of the result', () => {
    const j = judge([f('value', 'body.requestId')], { ignore: ['body.requestId'] });
    assert.equal(j.findings[0]?.verdict, 'ignored');
    assert.equal(j.result, 'match');
  });
  it('gives accepted findings their reason and the result accepted-only', () => {
    const j = judge([f('extra-field', 'body.message')], { accept: [{ path: 'body.message', reason: 'rewrite answers JSON' }] });
    assert.deepEqual([j.findings[0]?.verdict, j.findings[0]?.reason, j.result], ['accepted', 'rewrite answers JSON', 'accepted-only']);
  });
  it('accepts only the named class when the accept rule has one', () => {
    const j = judge([f('type', 'body.a')], { accept: [{ path: 'body.a', class: 'value', reason: 'r' }] });
    assert.equal(j.findings[0]?.verdict, 'unexpected');
  });
  it('marks declared noise paths as noise and the result noise-only', () => {
    const j = judge([f('value', 'body.items[2].at')], { noise: ['body.items[*].at'] });
    assert.deepEqual([j.findings[0]?.verdict, j.result], ['noise', 'noise-only']);
  });
  it('never treats a NEVER_NOISE class as noise, declared, learned or measured', () => {
    const classes = ['key-casing', 'type', 'status', 'missing-field', 'redis-missing-key', 'redis-extra-key', 'redis-ttl', 'redis-type', 'redis-shape',
      'redis-key-renamed', 'redis-missing-write', 'redis-extra-write'] as const;
    for (const source of ['learned', 'measured'] as const) {
      const j = judge(classes.map((c) => f(c, 'body.a')), { noise: ['**'] }, { noiseSource: () => source });
      assert.deepEqual(j.findings.map((x) => x.verdict), classes.map(() => 'unexpected'));
      assert.equal(j.result, 'differ');
    }
    assert.equal(isNeverNoise('redis-something-new'), true);
    assert.equal(isNeverNoise('value'), false);
  });
  it('asks the learner by path and class, and says where the noise verdict comes from', () => {
    const view = { noiseSource: (p: string, c: string) => (p === 'body.token' && c === 'value' ? 'learned' as const : undefined) };
    const j = judge([f('value', 'body.token'), f('extra-field', 'body.token'), f('value', 'body.at')], { noise: ['body.at'] }, view);
    assert.deepEqual(j.findings.map((x) => [x.verdict, x.reason]), [['noise', 'learned'], ['unexpected', undefined], ['noise', 'declared']]);
  });
  it('is differ as soon as one finding is unexpected', () => {
    assert.equal(judge([f('value', 'body.a'), f('value', 'body.b')], { noise: ['body.a'] }).result, 'differ');
  });
  it('is match with no findings', () => {
    assert.deepEqual(judge([], {}), { findings: [], result: 'match' });
  });
});

describe('accept rules scoped to an endpoint', () => {
  const finding = { class: 'status' as const, path: 'status', legacy: 201, candidate: 200, rule: 'status' };
  const rules = { accept: [{ path: 'status', reason: 'register answers 200 now', methods: ['POST'], pathPrefix: '/api/register' }] };
  it('accept the difference on that endpoint only', () => {
    assert.equal(judge([finding], rules, undefined, { method: 'POST', path: '/api/register' }).findings[0]!.verdict, 'accepted');
    assert.equal(judge([finding], rules, undefined, { method: 'POST', path: '/api/register?x=1' }).findings[0]!.verdict, 'accepted');
    assert.equal(judge([finding], rules, undefined, { method: 'PUT', path: '/api/register' }).findings[0]!.verdict, 'unexpected');
    assert.equal(judge([finding], rules, undefined, { method: 'POST', path: '/api/registered' }).findings[0]!.verdict, 'unexpected');
    assert.equal(judge([finding], rules).findings[0]!.verdict, 'unexpected');
  });
});
