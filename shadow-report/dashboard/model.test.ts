import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptedBy, acceptRuleFor, derivePatterns, endpointOf, evidenceOf, verdictOf, type RouteSummary, type Sample } from './web/model.js';

const summary = (over: Partial<RouteSummary> = {}): RouteSummary => ({
  route: 'registration', comparisons: 40, matches: 28, differ: 12, noiseOnly: 0, acceptedOnly: 0, errors: 0, skipped: 0, skippedByReason: {},
  unexpected: 12, unexpectedByClass: { 'key-casing': 12 }, unexpectedByPath: {}, noise: 0, noiseByPath: {}, accepted: 0, acceptedByPath: {}, ...over,
});

const sample = (id: string, at: number, path: string, findings: Sample['findings']): Sample => ({
  id, route: 'registration', at, result: 'differ', primary: 'legacy', findings, request: { method: 'PUT', path },
});

test('endpoints fold id-like segments and drop the query', () => {
  assert.equal(endpointOf('GET', '/api/users/12345/orders?x=1'), 'GET /api/users/{id}/orders');
  assert.equal(endpointOf('PUT', '/api/approve'), 'PUT /api/approve');
  assert.equal(endpointOf('GET', '/a/3fa85f64-5717-4562-b3fc-2c963f66afa6'), 'GET /a/{id}');
});

test('patterns derived from samples fold array indices, count each sample once, and keep first/last seen and an example', () => {
  const casing = { class: 'key-casing', path: 'redis.token.UserEmail', verdict: 'unexpected' as const };
  const patterns = derivePatterns([
    sample('a', 1000, '/api/approve', [casing, { class: 'value', path: 'body.items[0].v', verdict: 'unexpected' }, { class: 'value', path: 'body.items[3].v', verdict: 'unexpected' }]),
    sample('b', 3000, '/api/approve', [casing]),
    sample('b', 3000, '/api/approve', [casing]),
  ]);
  const top = patterns[0]!;
  assert.deepEqual([top.class, top.path, top.endpoint, top.count, top.firstSeen, top.lastSeen, top.example, top.share], ['key-casing', 'redis.token.UserEmail', 'PUT /api/approve', 2, 1000, 3000, 'b', 1]);
  assert.deepEqual(patterns.filter((p) => p.class === 'value').map((p) => [p.path, p.count]), [['body.items[*].v', 1]]);
});

test('an accept rule made from a pattern is scoped to its endpoint, and recognises the pattern', () => {
  const [pattern] = derivePatterns([sample('a', 1, '/api/approve', [{ class: 'key-casing', path: 'redis.token.UserEmail', verdict: 'unexpected' }])]);
  const rule = acceptRuleFor(pattern!, 'owned by the rewrite');
  assert.deepEqual(rule, { path: 'redis.token.UserEmail', class: 'key-casing', methods: ['PUT'], pathPrefix: '/api/approve', reason: 'owned by the rewrite' });
  assert.equal(acceptedBy(pattern!, [rule]), rule);
  assert.equal(acceptedBy(pattern!, [{ ...rule, methods: ['POST'] }]), undefined);
});

test('the verdict names the newest open pattern, then coverage, else says clean', () => {
  const patterns = derivePatterns([sample('a', 5000, '/api/approve', [{ class: 'key-casing', path: 'redis.token.UserEmail', verdict: 'unexpected' }])]);
  const holding = verdictOf({ summary: summary(), patterns, now: 6000, window: { minutes: 10, compared: 40, unexpected: 3 } });
  assert.equal(holding.level, 'hold');
  assert.equal(holding.text, 'holding: 1 unexpected key-casing difference at redis.token.UserEmail (PUT /api/approve) — 3 comparisons differed in the last 10 min');
  const accepted = verdictOf({ summary: summary(), patterns, now: 6000, accept: [acceptRuleFor(patterns[0]!, 'r')] });
  assert.equal(accepted.level, 'ok');
  assert.equal(verdictOf({ summary: summary({ comparisons: 38, differ: 0, sampled: 61, coverage: 38 / 61 }), patterns: [], now: 0 }).text, 'holding: coverage 62% < 95% (38 of 61 sampled compared)');
  assert.equal(verdictOf({ summary: undefined, patterns: [], now: 0 }).level, 'none');
});

test('evidence falls back to the current summary fields when sampled, dropped and coverage are absent', () => {
  const evidence = evidenceOf(summary({ skipped: 2, skippedByReason: { 'body-too-large': 2 } }));
  assert.deepEqual([evidence.compared, evidence.sampled, evidence.dropped, evidence.coverage, evidence.unexpectedRate], [40, 40, 2, 1, 0.3]);
  assert.deepEqual(evidenceOf(summary({ sampled: 50, dropped: 10, droppedByReason: { 'in-flight-cap': 10 }, coverage: 0.8 })).droppedByReason, { 'in-flight-cap': 10 });
});
