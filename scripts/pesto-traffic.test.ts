import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { startPestoStack, type PestoStack } from './pesto-stack.js';
import { runPestoTraffic } from './pesto-traffic.js';

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

  it('refuses a non-loopback target', async () => {
    await assert.rejects(runPestoTraffic({ baseUrl: 'http://example.com', maxRequests: 1, maxDurationMs: 1000, clients: 1, seed: 1 }), /loopback/);
  });
});
