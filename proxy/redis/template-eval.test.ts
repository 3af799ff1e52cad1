import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKeyTemplate } from '../config/key-template.js';
import { evaluateTemplate, monthOf, pathOf, pathSegment, type TemplateInput } from './template-eval.js';

const NOW = Date.UTC(2024, 0, 31, 23, 59, 59);

function input(overrides: Partial<TemplateInput> = {}): TemplateInput {
  return {
    headers: { 'x-pesto-token': 'tok-123' },
    query: new URLSearchParams('q=search'),
    requestJson: { token: 'body-tok', user: { id: 7 } },
    response: undefined,
    keyValues: new Map(),
    now: NOW,
    ...overrides,
  };
}

const json = (value: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) });
const text = (value: string) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(value) });

test('month is the UTC YYYY-MM', () => {
  assert.equal(monthOf(NOW), '2024-01');
  assert.equal(evaluateTemplate(parseKeyTemplate('counter/{month}'), input()), 'counter/2024-01');
});

test('header, query and request body placeholders fill; nested fields and numbers too', () => {
  assert.equal(evaluateTemplate(parseKeyTemplate('{header.X-Pesto-Token}'), input()), 'tok-123');
  assert.equal(evaluateTemplate(parseKeyTemplate('s:{query.q}'), input()), 's:search');
  assert.equal(evaluateTemplate(parseKeyTemplate('u:{body.user.id}'), input()), 'u:7');
});

test('a placeholder without a value skips the key; alternatives take the first that fills', () => {
  assert.equal(evaluateTemplate(parseKeyTemplate('{header.x-missing}'), input()), undefined);
  assert.equal(evaluateTemplate(parseKeyTemplate('{body.user}'), input()), undefined, 'an object is no key part');
  assert.equal(evaluateTemplate(parseKeyTemplate('{header.x-pesto-token}'), input({ headers: { 'x-pesto-token': '' } })), undefined, 'empty is unfillable');
  const template = parseKeyTemplate('{body.token|response.body.token|response.text}');
  assert.equal(evaluateTemplate(template, input()), 'body-tok');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined })), undefined, 'before the answer');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined, response: json({ token: 'new-tok' }) })), 'new-tok');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined, response: text('TRIAL-abc') })), 'TRIAL-abc');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined, response: text('"TRIAL-json"') })), 'TRIAL-json');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined, response: json({ message: 'Created' }) })), undefined, 'a JSON document is not a key');
  assert.equal(evaluateTemplate(template, input({ requestJson: undefined, response: text('') })), undefined);
});

test('response headers fill', () => {
  const response = { status: 201, headers: { location: '/users/9' }, body: Buffer.alloc(0) };
  assert.equal(evaluateTemplate(parseKeyTemplate('{response.header.Location}'), input({ response })), '/users/9');
});

test('{keys.token.UserEmail} finds the field in any casing, so a re-cased record still yields the counter key', () => {
  const template = parseKeyTemplate('counter/{month}/{keys.token.UserEmail}');
  const pascal = new Map([['token', { UserEmail: 'a@b.c', MonthlyLimit: 1, Revoked: false }]]);
  const snake = new Map([['token', { user_email: 'a@b.c', monthly_limit: 1, revoked: false }]]);
  assert.equal(evaluateTemplate(template, input({ keyValues: pascal })), 'counter/2024-01/a@b.c');
  assert.equal(evaluateTemplate(template, input({ keyValues: snake })), 'counter/2024-01/a@b.c');
  assert.equal(evaluateTemplate(template, input()), undefined, 'no value read for the token key');
  const ambiguous = new Map([['token', { user_email: 'a@b.c', userEmail: 'x@y.z' }]]);
  assert.equal(evaluateTemplate(template, input({ keyValues: ambiguous })), undefined, 'ambiguous folds fail');
  // Request bodies stay exact: a client's field name is part of the contract being compared.
  assert.equal(evaluateTemplate(parseKeyTemplate('{body.Token}'), input()), undefined);
});

test('{path} is the request path without the query, {path.N} its N-th segment (0-based)', () => {
  const at = (target: string) => input({ path: pathOf(target) });
  assert.equal(evaluateTemplate(parseKeyTemplate('seen:{path}'), at('/api/users/42?x=1')), 'seen:/api/users/42');
  assert.equal(evaluateTemplate(parseKeyTemplate('session:{path.2}'), at('/api/users/42')), 'session:42');
  assert.equal(evaluateTemplate(parseKeyTemplate('{path.0}:{path.1}'), at('/api/users/')), 'api:users');
  assert.equal(evaluateTemplate(parseKeyTemplate('session:{path.3}'), at('/api/users/42')), undefined, 'no such segment');
  assert.equal(evaluateTemplate(parseKeyTemplate('session:{path.9|header.x-pesto-token}'), at('/a')), 'session:tok-123');
  assert.equal(evaluateTemplate(parseKeyTemplate('{path}'), input()), undefined, 'no path given');
  assert.equal(pathSegment('/a/b', 1), 'b');
});

test('path placeholders parse; anything else after path is refused', () => {
  assert.deepEqual(parseKeyTemplate('{path}').parts, [{ alternatives: [{ kind: 'path' }] }]);
  assert.deepEqual(parseKeyTemplate('{path.0}').parts, [{ alternatives: [{ kind: 'path-segment', index: 0 }] }]);
  for (const bad of ['{path.x}', '{path.-1}', '{path.1.2}']) assert.throws(() => parseKeyTemplate(bad), /unknown placeholder/, bad);
});
