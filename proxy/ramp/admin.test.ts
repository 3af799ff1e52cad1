import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { TEST_ADMIN_TOKEN } from '../../testing/figway.js';
import { createFakeEvidence } from '../../testing/fake-evidence.js';
import { startRampFigway } from '../../testing/ramp-figway.js';
import type { RampStatus } from './status.js';
import type { AuditEntry } from '../audit.js';

test('the ramp API reads and acts on ramps, audits each change, and answers bad input with 400 and nothing changed', async () => {
  const source = createFakeEvidence();
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const { figway, ramp, close } = await startRampFigway({
    evidence: { intervalMs: 1000 },
    routes: [
      { name: 'api', legacy: 'legacy', new: 'new', match: { pathPrefix: '/api' }, mirror: { sampleRate: 1 }, ramp: { steps: [0, 10, 100], minStepMs: 0 } },
      { name: 'plain', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } },
    ],
  }, { api: 0, plain: 0 }, { source: () => source }, { now: () => clock });
  const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const call = async (method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await request(`${figway.adminUrl}${path}`, { method, headers: body === undefined ? { authorization: headers.authorization } : headers, ...(body === undefined ? {} : { body }) });
    return { status: response.statusCode, json: await response.body.json() as Record<string, unknown> };
  };
  const pushed: string[] = [];
  figway.events.on('ramp', (status) => pushed.push((status as RampStatus).state));
  try {
    const listed = await call('GET', '/api/ramps');
    assert.equal(listed.status, 200);
    assert.deepEqual((listed.json.ramps as RampStatus[]).map((status) => [status.route, status.state, status.stepIndex, status.steps]), [['api', 'idle', -1, [0, 10, 100]]]);

    for (const [path, body, code] of [
      ['/api/routes/api/ramp/launch', '{}', 'ADMIN_BAD_REQUEST'],
      ['/api/routes/api/ramp/start', '{"reason":"x","colour":"blue"}', 'ADMIN_BAD_REQUEST'],
      ['/api/routes/api/ramp/start', '{"reason":5}', 'ADMIN_BAD_REQUEST'],
      ['/api/routes/api/ramp/pause', '{}', 'ADMIN_RAMP_CONFLICT'],
      ['/api/routes/plain/ramp/start', '{}', 'ADMIN_NOT_FOUND'],
      ['/api/routes/ghost/ramp/start', '{}', 'ADMIN_NOT_FOUND'],
    ] as const) {
      const refused = await call('POST', path, body);
      assert.equal((refused.json.error as { code: string }).code, code, `${path} ${body}`);
      assert.equal(refused.status, code === 'ADMIN_BAD_REQUEST' ? 400 : code === 'ADMIN_NOT_FOUND' ? 404 : 409, path);
    }
    assert.equal(figway.audit.entries().length, 0, 'refused actions change nothing');

    const started = await call('POST', '/api/routes/api/ramp/start', '{"reason":"bake first"}');
    assert.equal(started.status, 200);
    assert.equal(started.json.state, 'running');
    assert.equal(started.json.weight, 0);
    const [entry] = figway.audit.entries(1) as [AuditEntry];
    assert.deepEqual({ who: entry.who, action: entry.action, route: entry.route, why: entry.why }, { who: 'admin', action: 'ramp.start', route: 'api', why: 'bake first' });
    const again = await call('POST', '/api/routes/api/ramp/start');
    assert.equal(again.status, 409, 'no body is fine; the state is what refuses');
    const promoted = await call('POST', '/api/routes/api/ramp/promote');
    assert.equal(promoted.json.weight, 10);
    assert.deepEqual(pushed, ['running', 'running'], 'each change is pushed to in-process listeners');

    await ramp.controller()!.tick();
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      source.serve('api', { legacy: { requests: 90 }, new: { requests: 10, errors: 1 }, compared: 5 });
      await ramp.controller()!.tick();
    }
    const timeline = await call('GET', `/api/routes/api/timeline?since=${clock - 2000}`);
    assert.equal(timeline.status, 200);
    assert.equal(timeline.json.intervalMs, 1000);
    const points = timeline.json.points as Array<{ at: number; weight: number; requests: unknown; errorRate: { new: number } }>;
    assert.deepEqual(points.map((point) => point.at), [clock - 1000, clock]);
    assert.deepEqual(points[1]!.requests, { legacy: 90, new: 10 });
    assert.equal(points[1]!.errorRate.new, 0.1);
    assert.equal(points[1]!.weight, 10);
    assert.equal((await call('GET', '/api/routes/ghost/timeline')).status, 404);
    assert.equal((await call('GET', '/api/routes/api/timeline?since=yesterday')).status, 400);
    const one = await call('GET', '/api/routes/api/ramp');
    assert.equal(one.json.route, 'api');
    assert.ok(typeof one.json.nextEvaluationAt === 'string');
    assert.equal((await call('GET', '/api/routes/plain/ramp')).status, 404);
  } finally {
    await close();
  }
});
