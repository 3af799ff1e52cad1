/**
 * Coordination against a real redis-server, two figway instances in this process: weights reach the other instance
 * (and a late starter, and survive a Redis restart), one leader per ramp, a leader that lost its lease cannot write
 * (fencing), and while Redis is down ramps pause and weights keep their last value.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedisOnPort, startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { startRampFigway, type RampFigway } from '../../testing/ramp-figway.js';
import type { CoordinationExtension } from './extension.js';
import { createCoordinationConnection } from './connection.js';
import { createSharedEvidenceSource, GLOBAL_DETAIL } from './evidence.js';
import { createLogger } from '../log.js';
import { createFakeEvidence } from '../../testing/fake-evidence.js';
import { snapshotsDelta } from '../evidence/window.js';
import { RampConflictError } from '../ramp/store.js';
import { idleRecord } from '../ramp/machine.js';

let redis: TestRedis;
const running: RampFigway[] = [];
before(async () => { redis = await startRedisServer(); });
after(async () => {
  for (const instance of running.reverse()) await instance.close();
  await redis.stop();
});

/** until polls `check` every 20 ms until it holds or `deadlineMs` passes (a generous bound, never a timing claim). */
async function until(check: () => boolean | Promise<boolean>, deadlineMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

let prefixes = 0;

/** instance starts one figway sharing `prefix` on the test Redis, with the coordination and ramp extensions. */
async function instance(name: string, prefix: string, weights: Record<string, number> = { api: 0 }): Promise<RampFigway & { coordination: CoordinationExtension }> {
  const started = await startRampFigway({
    coordination: { redis: { url: redis.url }, prefix, instance: name, leaseMs: 600 },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', sticky: { header: 'x-key' }, ramp: { steps: [0, 50, 100], minStepMs: 0 } }],
  }, weights, { coordinate: true });
  running.push(started);
  return started as RampFigway & { coordination: CoordinationExtension };
}

const weightOn = (node: RampFigway): number => node.figway.manager.snapshot().weights.get('api') ?? 0;

test('a weight set on one instance is applied by the other, by a late starter, and again after Redis restarts', async () => {
  const prefix = `w${prefixes++}`;
  const a = await instance('a', prefix);
  const b = await instance('b', prefix);
  await a.figway.manager.setWeight('api', 30, 'api');
  assert.ok(await until(() => weightOn(b) === 30), 'b serves the weight set on a');
  const late = await instance('late', prefix, { api: 0 });
  assert.equal(weightOn(late), 30, 'a late starter reads the stored copy at start');

  const port = redis.port;
  await redis.stop();
  assert.ok(await until(() => !b.coordination.rampStore(undefined as never).available()), 'b noticed the outage');
  assert.equal(weightOn(b), 30, 'while Redis is down the weights keep their last value');
  await b.figway.manager.setWeight('api', 40, 'api');
  assert.equal(weightOn(b), 40, 'a local change still applies locally');
  redis = await startRedisOnPort(port);
  // The restarted Redis kept nothing: b publishes what it changed meanwhile, then the instances read the copy again.
  assert.ok(await until(() => weightOn(a) === 40), 'after the reconnection the change made during the outage reaches a');
  await a.figway.manager.setWeight('api', 45, 'api');
  assert.ok(await until(() => weightOn(b) === 45), 'and pub/sub works again');
});

test('one instance leads each ramp; any may act on it; a human action on one is seen by the other', async () => {
  const prefix = `l${prefixes++}`;
  const a = await instance('a', prefix);
  const b = await instance('b', prefix);
  assert.ok(await until(() => a.ramp.controller()!.status('api')!.leader !== null && b.ramp.controller()!.status('api')!.leader !== null));
  const leaders = new Set([a.ramp.controller()!.status('api')!.leader, b.ramp.controller()!.status('api')!.leader]);
  assert.equal(leaders.size, 1, 'both name the same leader');
  const leader = [...leaders][0] === 'a' ? a : b;
  const follower = leader === a ? b : a;
  assert.ok(leader.coordination.leases()!.token('api') !== undefined);
  assert.equal(follower.coordination.leases()!.token('api'), undefined);

  await follower.ramp.controller()!.act('api', 'start', 'ops', 'from the follower');
  assert.ok(await until(() => leader.ramp.controller()!.status('api')!.state === 'running'), 'the leader hears of the ramp the follower started');
  assert.ok(await until(() => leader.figway.audit.entries().some((entry) => entry.action === 'ramp.start' && entry.why === 'from the follower')),
    'the audit history is shared');
});

test('a leader that lost its lease cannot write when it wakes up (fencing), and the new leader carries on', async () => {
  const prefix = `f${prefixes++}`;
  const a = await instance('a', prefix);
  assert.ok(await until(() => a.coordination.leases()!.token('api') !== undefined));
  const store = a.coordination.rampStore(undefined as never);
  const record = { ...idleRecord(0), state: 'running' as const, step: 0, stepStartedAt: new Date().toISOString(), updatedBy: 'ramp', version: 1 };
  // The lease is lost behind a's back (its holder froze past the expiry and another took it): a still believes it holds it.
  const admin = new Redis(redis.url);
  await admin.set(`${prefix}:lease:api`, '999|z', 'PX', 60_000);
  await assert.rejects(store.commit('api', { version: 0, weight: 0 }, record), (error: unknown) => error instanceof RampConflictError && /taken over/.test((error as Error).message));
  assert.equal(await admin.get(`${prefix}:ramp:api`), null, 'nothing was written');
  await admin.quit();
});

test('while the shared Redis is down, ramps pause and say why; actions are refused with 503', async () => {
  const prefix = `d${prefixes++}`;
  const a = await instance('a', prefix);
  await a.ramp.controller()!.act('api', 'start', 'ops');
  const port = redis.port;
  await redis.stop();
  assert.ok(await until(() => !a.coordination.leases()!.token('api')));
  await a.ramp.controller()!.tick();
  assert.match(a.ramp.controller()!.status('api')!.verdict, /^paused at 0%: the shared Redis cannot be reached; weights keep their last value/);
  await assert.rejects(a.ramp.controller()!.act('api', 'pause', 'ops'), (error: { status?: number }) => error.status === 503);
  redis = await startRedisOnPort(port);
  assert.ok(await until(async () => {
    await a.ramp.controller()!.tick();
    return !/cannot be reached/.test(a.ramp.controller()!.status('api')!.verdict);
  }), 'the ramp continues once Redis is back');
});

test('gates read evidence summed over instances; a shared diff store\'s detail is counted once', async () => {
  const prefix = `e${prefixes++}`;
  const logger = createLogger('silent');
  const connections = ['a', 'b'].map((name) => createCoordinationConnection(redis.url, name, logger));
  const fakes = ['a', 'b'].map((name) => createFakeEvidence(name));
  const sources = ['a', 'b'].map((name, index) => createSharedEvidenceSource({
    connection: connections[index]!, prefix, instance: name, intervalMs: 1_000, detailIsGlobal: () => true,
    local: async () => (await fakes[index]!.read()).get(name)!,
  }));
  try {
    for (const connection of connections) assert.ok(await connection.ready(5_000));
    await sources[1]!.read();
    const before = await sources[0]!.read();
    fakes[0]!.serve('api', { legacy: { requests: 30 }, compared: 4, unexpected: [{ class: 'key-casing', path: 'redis.token.UserEmail', count: 2 }] });
    fakes[1]!.serve('api', { legacy: { requests: 12 }, compared: 6, unexpected: [{ class: 'key-casing', path: 'redis.token.UserEmail', count: 2 }] });
    await sources[1]!.read();
    const after = await sources[0]!.read();
    assert.deepEqual([...after.keys()].sort(), [GLOBAL_DETAIL, 'a', 'b'].sort());
    const delta = snapshotsDelta(after, before).get('api')!;
    assert.equal(delta.sides.legacy.requests, 42, 'requests of both instances');
    assert.equal((delta.comparisons.match ?? 0) + (delta.comparisons.differ ?? 0), 10);
    // The detail comes from a's (global) diff store view once, not from both instances.
    assert.equal(delta.detail?.unexpected['|redis.token.UserEmail']?.count, 2);
  } finally {
    for (const connection of connections) await connection.close();
  }
});
