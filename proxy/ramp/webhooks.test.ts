import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenTestServer } from '../../testing/http-servers.js';
import { createLogger } from '../log.js';
import { createWebhookSender, type WebhookEvent } from './webhooks.js';
import { queryPromql } from './promql.js';

const EVENT: WebhookEvent = { route: 'api', kind: 'rollback', from: 25, to: 0, state: 'halted', reason: 'error rate', who: 'ramp', at: '2026-12-01T10:00:00.000Z' };
const hook = (url: string, extra: Record<string, unknown> = {}) => ({ url, events: ['promote' as const, 'rollback' as const], timeoutMs: 500, retries: 2, ...extra });

test('a webhook gets one JSON POST per transition it asked for, retried a bounded number of times, with its token', async () => {
  const received: Array<{ body: WebhookEvent; authorization: string | undefined }> = [];
  let calls = 0;
  const server = await listenTestServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    req.on('end', () => {
      calls++;
      if (calls === 1) { res.writeHead(503); res.end(); return; } // the first attempt fails: retried
      received.push({ body: JSON.parse(text) as WebhookEvent, authorization: req.headers.authorization });
      res.writeHead(204);
      res.end();
    });
  });
  try {
    const sender = createWebhookSender({ logger: createLogger('silent'), env: { HOOK_TOKEN: 'hook-secret' }, backoffMs: 1 });
    sender.send([hook(server.url, { tokenEnv: 'HOOK_TOKEN' })], EVENT);
    sender.send([hook(server.url)], { ...EVENT, kind: 'pause' }); // not asked for
    await sender.idle();
    assert.equal(calls, 2);
    assert.deepEqual(received, [{ body: EVENT, authorization: 'Bearer hook-secret' }]);
  } finally {
    await server.close();
  }
});

test('a webhook that never answers costs its bounded attempts in the background, never the sender\'s caller', async () => {
  let attempts = 0;
  const server = await listenTestServer((req) => { attempts++; req.resume(); }); // hangs
  try {
    const sender = createWebhookSender({ logger: createLogger('silent'), backoffMs: 1 });
    const before = process.hrtime.bigint();
    sender.send([hook(server.url, { timeoutMs: 50, retries: 1 })], EVENT);
    assert.ok(process.hrtime.bigint() - before < 50_000_000n, 'send returns at once');
    await sender.idle();
    assert.equal(attempts, 2, 'one attempt and one retry, then it gives up');
  } finally {
    await server.close();
  }
});

test('a PromQL gate reads one number; no value, several series or a failing Prometheus hold it with the reason', async () => {
  const answers: Record<string, unknown> = {
    one: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.25'] }] } },
    none: { status: 'success', data: { resultType: 'vector', result: [] } },
    two: { status: 'success', data: { resultType: 'vector', result: [{ value: [1, '1'] }, { value: [1, '2'] }] } },
    scalar: { status: 'success', data: { resultType: 'scalar', result: [1, '7'] } },
  };
  let lastQuery = '';
  const prometheus = await listenTestServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    lastQuery = url.searchParams.get('query') ?? '';
    const answer = answers[lastQuery.split(' ')[0]!];
    res.writeHead(answer === undefined ? 400 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer ?? { status: 'error', error: 'parse error' }));
  });
  try {
    const config = { url: prometheus.url, timeoutMs: 1000 };
    const gate = (query: string) => ({ name: 'g', query, max: 1 });
    assert.deepEqual(await queryPromql(config, gate('one for $route'), 'auth'), { name: 'g', value: 0.25 });
    assert.equal(lastQuery, 'one for auth', '$route is replaced');
    assert.deepEqual(await queryPromql(config, gate('scalar'), 'auth'), { name: 'g', value: 7 });
    assert.deepEqual(await queryPromql(config, gate('none'), 'auth'), { name: 'g', value: null, error: 'no values found' });
    assert.match((await queryPromql(config, gate('two'), 'auth')).error!, /2 series returned/);
    assert.equal((await queryPromql(config, gate('broken'), 'auth')).error, 'parse error');
  } finally {
    await prometheus.close();
  }
});
