import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { shadowStoreUrls, startPestoStack } from './pesto-stack.js';

describe('startPestoStack', () => {
  let server: TestRedis;
  before(async () => { server = await startRedisServer(); });
  after(async () => { await server.stop(); });

  it('starts the four services, the mail sink and shadow twins on their own store, and stops them', async () => {
    const stack = await startPestoStack({ redisUrl: `${server.url}/0`, shadowRedisUrls: shadowStoreUrls(server.url), regressions: ['token-casing'], logLevel: 'fatal' });
    try {
      const { shadow, mailSink, ...primary } = stack.urls;
      assert.ok(shadow);
      for (const url of [...Object.values(primary), ...Object.values(shadow), mailSink]) {
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.equal((await fetch(`${url}/healthz`)).status, 200, url);
      }
      assert.equal(await (await fetch(`${primary.newAuth}/healthz`)).text(), 'OK regressions=token-casing');
      // A trial on the shadow registration lands in its own store (db 4) only: no auth, primary or shadow, knows it.
      const trial = (await (await fetch(`${shadow.newRegistration}/api/trial`, { method: 'POST' })).json()) as { token: string };
      assert.equal((await fetch(`${primary.legacyAuth}/`, { headers: { 'x-pesto-token': trial.token } })).status, 401);
      assert.equal((await fetch(`${primary.newAuth}/`, { headers: { 'x-pesto-token': trial.token } })).status, 401);
      assert.equal((await fetch(`${shadow.newAuth}/`, { headers: { 'x-pesto-token': trial.token } })).status, 401);
    } finally {
      await stack.stop();
    }
  });

  it('refuses an unknown regression before starting anything', async () => {
    await assert.rejects(startPestoStack({ redisUrl: server.url, regressions: ['nope'] }), { code: 'PESTO_UNKNOWN_REGRESSION' });
  });
});
