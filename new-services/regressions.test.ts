import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REGRESSION_NAMES, healthzText, parseRegressions, regressionsFromEnv } from './regressions.js';
import { createNewAuth } from './auth/service.js';

describe('regression switches', () => {
  it('are all off by default', () => {
    assert.deepEqual(parseRegressions(undefined).names, []);
    assert.equal(healthzText(parseRegressions([])), 'OK');
  });
  it('parse from a comma-separated env value in a stable order', () => {
    const active = regressionsFromEnv({ PESTO_REGRESSIONS: ' revoke-empty-key,token-casing ' });
    assert.deepEqual(active.names, ['token-casing', 'revoke-empty-key']);
    assert.equal(healthzText(active), 'OK regressions=token-casing,revoke-empty-key');
  });
  it('refuse an unknown name at startup and list the valid ones', () => {
    assert.throws(() => parseRegressions(['token-casing', 'typo']), (error: Error) => {
      assert.match(error.message, /unknown regression "typo"/);
      for (const name of REGRESSION_NAMES) assert.ok(error.message.includes(name), name);
      return true;
    });
    assert.throws(() => createNewAuth({ redisUrl: 'redis://127.0.0.1:1', regressions: ['nope'] }), { code: 'PESTO_UNKNOWN_REGRESSION' });
  });
});
