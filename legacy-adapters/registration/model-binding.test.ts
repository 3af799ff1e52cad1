import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindModel } from './model-binding.js';
import { USER_MODEL, USER_TOKEN_MODEL } from './service.js';

describe('bindModel (ASP.NET Core input binding)', () => {
  it('matches JSON names case-insensitively and reads numbers from strings', () => {
    const result = bindModel(USER_MODEL, '{"NAME":"A","Email":"a@b.c","building":"B","calls":"7"}');
    assert.deepEqual(result, { ok: true, model: { Name: 'A', Email: 'a@b.c', Building: 'B', Calls: 7 } });
  });
  it('binds a missing int as 0 because [Required] on an int never fails', () => {
    const result = bindModel(USER_MODEL, '{"name":"A","email":"a@b.c","building":"B"}');
    assert.equal(result.ok && result.model.Calls, 0);
  });
  it('reports required and e-mail errors under the C# property names', () => {
    const result = bindModel(USER_TOKEN_MODEL, '{"email":"","limit":1}');
    assert.deepEqual(result, {
      ok: false,
      errors: { Email: ['The Email field is required.', 'The Email field is not a valid e-mail address.'], Token: ['The Token field is required.'] },
    });
  });
  it('rejects an address without exactly one inner @', () => {
    for (const email of ['a', '@a', 'a@', 'a@b@c']) {
      const result = bindModel(USER_TOKEN_MODEL, JSON.stringify({ email, token: 't', limit: 1 }));
      assert.deepEqual(result.ok ? {} : result.errors.Email, ['The Email field is not a valid e-mail address.'], email);
    }
  });
  it('reports unreadable JSON under $ and the parameter name', () => {
    const result = bindModel(USER_MODEL, 'baz');
    assert.deepEqual(result.ok ? [] : Object.keys(result.errors), ['$', 'user']);
  });
  it('reports a value of the wrong type under its JSON path', () => {
    const result = bindModel(USER_MODEL, '{"name":"A","email":"a@b.c","building":"B","calls":1.5}');
    assert.deepEqual(result.ok ? [] : Object.keys(result.errors), ['$.calls', 'user']);
  });
});
