/**
 * One end-to-end test per historical bug: with its switch on, the rewrite shows the symptom it showed in production,
 * against a real Redis (and, for #172, against a token the legacy registration approved).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { WAITING_LIST_KEY } from '../pesto-common/pesto-model.js';
import { createLegacyRegistration } from '../legacy-adapters/registration/service.js';
import { createNewAuth } from './auth/service.js';
import { createMailSink } from './mail-sink/service.js';
import { createNewRegistration } from './registration/service.js';
import type { RegressionName } from './regressions.js';

const ADA = { name: 'Ada', email: 'ada@example.com', building: 'Engine', calls: 1 };

describe('historical regressions, end to end', () => {
  let server: TestRedis;
  let redis: Redis;
  let sink: FastifyInstance;
  let sinkUrl: string;
  const apps: FastifyInstance[] = [];

  async function start(app: FastifyInstance): Promise<string> {
    apps.push(app);
    return app.listen({ port: 0, host: '127.0.0.1' });
  }
  const newRegistration = (regressions: RegressionName[]) =>
    start(createNewRegistration({ redisUrl: server.url, regressions, logLevel: 'fatal', mailer: { transport: 'capture', url: sinkUrl } }));
  const send = (url: string, method: string, body?: unknown, headers: Record<string, string> = {}) => fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    sink = createMailSink({ logLevel: 'fatal' });
    sinkUrl = await sink.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await sink.close();
    redis.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    await redis.flushdb();
    await fetch(`${sinkUrl}/messages`, { method: 'DELETE' });
  });

  it('token-casing: a token approved by the legacy registration answers 500 from the new auth', async () => {
    const legacy = await start(createLegacyRegistration({ redisUrl: server.url, logLevel: 'fatal' }));
    assert.equal((await send(`${legacy}/api/register`, 'POST', ADA)).status, 201);
    assert.equal((await send(`${legacy}/api/approve`, 'PUT', { email: ADA.email, token: 'tok-legacy', limit: 10 })).status, 200);
    const broken = await start(createNewAuth({ redisUrl: server.url, regressions: ['token-casing'], logLevel: 'fatal' }));
    const fixed = await start(createNewAuth({ redisUrl: server.url, logLevel: 'fatal' }));
    const answer = await send(`${broken}/`, 'GET', undefined, { 'x-pesto-token': 'tok-legacy' });
    assert.equal(answer.status, 500);
    assert.deepEqual(await answer.json(), { message: 'Internal server error' });
    assert.equal((await send(`${fixed}/`, 'GET', undefined, { 'x-pesto-token': 'tok-legacy' })).status, 200, 'the fixed rewrite accepts it');
  });

  it('token-casing: the new registration writes snake_case records', async () => {
    const url = await newRegistration(['token-casing']);
    await send(`${url}/api/register`, 'POST', ADA);
    assert.equal((await send(`${url}/api/approve`, 'PUT', { email: ADA.email, token: 'tok-snake', limit: 10 })).status, 200);
    assert.equal(await redis.get('tok-snake'), '{"user_email":"ada@example.com","monthly_limit":10,"revoked":false}');
    const health = await fetch(`${url}/healthz`);
    assert.equal(await health.text(), 'OK regressions=token-casing');
    assert.equal(health.headers.get('x-pesto-regressions'), 'token-casing');
  });

  it('approve-drops-token: approve stores nothing, answers 500 and keeps the user waiting', async () => {
    const url = await newRegistration(['approve-drops-token']);
    await send(`${url}/api/register`, 'POST', ADA);
    const answer = await send(`${url}/api/approve`, 'PUT', { email: ADA.email, token: 'tok-dropped', limit: 10 });
    assert.equal(answer.status, 500);
    assert.deepEqual(await answer.json(), { message: 'Internal Server Error' });
    assert.equal(await redis.exists('tok-dropped'), 0);
    assert.deepEqual((await redis.lrange(WAITING_LIST_KEY, 0, -1)).map((raw) => (JSON.parse(raw) as { email: string }).email), [ADA.email]);
  });

  it('email-wrong-field: the welcome email carries the address where the token belongs', async () => {
    const url = await newRegistration(['email-wrong-field']);
    await send(`${url}/api/register`, 'POST', ADA);
    assert.equal((await send(`${url}/api/approve`, 'PUT', { email: ADA.email, token: 'tok-mailed', limit: 10 })).status, 200);
    const mail = (await (await fetch(`${sinkUrl}/messages`)).json()) as Array<{ to: Array<{ email: string }>; text: string; html: string }>;
    assert.equal(mail.length, 1);
    assert.equal(mail[0]?.to[0]?.email, ADA.email);
    assert.match(mail[0]?.text ?? '', /Your token is: ada@example\.com/);
    assert.ok(!(mail[0]?.text ?? '').includes('tok-mailed') && !(mail[0]?.html ?? '').includes('tok-mailed'), 'the token is missing from the mail');
  });

  it('email-wrong-field is off by default: the welcome email carries the token', async () => {
    const url = await newRegistration([]);
    await send(`${url}/api/register`, 'POST', ADA);
    await send(`${url}/api/approve`, 'PUT', { email: ADA.email, token: 'tok-mailed', limit: 10 });
    const mail = (await (await fetch(`${sinkUrl}/messages`)).json()) as Array<{ text: string }>;
    assert.match(mail[0]?.text ?? '', /Your token is: tok-mailed/);
  });

  it('revoke-empty-key: revoke writes under the key "" and answers 500', async () => {
    const url = await newRegistration(['revoke-empty-key']);
    await redis.set('tok-rev', '{"UserEmail":"rev@example.com","MonthlyLimit":5,"Revoked":false}');
    const answer = await send(`${url}/api/revoke`, 'PUT', { token: 'tok-rev' });
    assert.equal(answer.status, 500);
    assert.deepEqual(await answer.json(), { message: 'Internal Server Error' });
    assert.equal(await redis.exists(''), 1);
    assert.equal(await redis.get(''), '{"UserEmail":"rev@example.com","MonthlyLimit":5,"Revoked":true}');
    assert.equal(await redis.get('tok-rev'), '{"UserEmail":"rev@example.com","MonthlyLimit":5,"Revoked":false}', 'the real token stays usable');
  });
});
