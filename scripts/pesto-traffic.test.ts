import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { startPestoStack, type PestoStack } from './pesto-stack.js';
import { runPestoTraffic } from './pesto-traffic.js';
import { listenTestServer } from '../testing/http-servers.js';

describe('runPestoTraffic', () => {
  let server: TestRedis;
  let stack: PestoStack;
  before(async () => {
    server = await startRedisServer();
    stack = await startPestoStack({ redisUrl: server.url, logLevel: 'fatal' });
  });
  after(async () => {
    await stack.stop();
    await server.stop();
  });

  it('drives the legacy services through every auth outcome and stops at maxRequests', async () => {
    const summary = await runPestoTraffic({
      authUrl: stack.urls.legacyAuth, registrationUrl: stack.urls.legacyRegistration,
      maxRequests: 400, maxDurationMs: 60_000, clients: 20, seed: 7,
    });
    assert.equal(summary.requests, 400);
    assert.equal(summary.stoppedBy, 'requests');
    assert.equal(summary.byStatus.error, undefined);
    assert.ok((summary.byKind.register?.['201'] ?? 0) > 0);
    assert.ok((summary.byKind.approve?.['200'] ?? 0) > 0);
    assert.ok((summary.byKind['auth-valid']?.['200'] ?? 0) > 0);
    assert.ok((summary.byKind['auth-unknown']?.['401'] ?? 0) > 0);
    assert.ok((summary.byKind['auth-missing']?.['401'] ?? 0) > 0);
    assert.ok((summary.byKind['auth-over-limit']?.['429'] ?? 0) > 0, JSON.stringify(summary.byKind['auth-over-limit']));
    assert.ok((summary.byKind['auth-revoked']?.['401'] ?? 0) > 0, JSON.stringify(summary.byKind));
  });

  it('stops by itself when the time budget is spent', async () => {
    const summary = await runPestoTraffic({
      authUrl: stack.urls.newAuth, registrationUrl: stack.urls.newRegistration, maxRequests: 1_000_000, maxDurationMs: 0, clients: 5, seed: 1,
    });
    assert.equal(summary.stoppedBy, 'time');
    assert.equal(summary.requests, 0);
  });

  it('paces requests over the asked duration and presents many clients through X-Forwarded-For', async () => {
    const arrivals: { at: number; forwardedFor: string }[] = [];
    const recorder = await listenTestServer((req, res) => {
      arrivals.push({ at: Date.now(), forwardedFor: String(req.headers['x-forwarded-for']) });
      req.resume();
      req.on('end', () => { res.writeHead(404); res.end(); });
    });
    try {
      const started = Date.now();
      const summary = await runPestoTraffic({ baseUrl: recorder.url, maxRequests: 10, maxDurationMs: 1_000, clients: 50, seed: 3, pace: true, concurrency: 4 });
      assert.equal(summary.requests, 10);
      // Request i is never sent before i tenths of the duration (a lower bound: a slow machine only sends later).
      arrivals.forEach((arrival, i) => assert.ok(arrival.at - started >= i * 100 - 5, `request ${i} at ${arrival.at - started} ms`));
      assert.ok(new Set(arrivals.map((arrival) => arrival.forwardedFor)).size > 5, 'many client addresses');
      for (const { forwardedFor } of arrivals) assert.match(forwardedFor, /^10\.\d+\.\d+\.\d+$/);
    } finally {
      await recorder.close();
    }
  });

  it('refuses a non-loopback target', async () => {
    await assert.rejects(runPestoTraffic({ baseUrl: 'http://example.com', maxRequests: 1, maxDurationMs: 1000, clients: 1, seed: 1 }), /loopback/);
  });
});
