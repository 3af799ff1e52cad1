/**
 * Issue #10 "done when", with an injected clock and hand-fed evidence (no sleeping): a clean ramp walks every step to
 * 100; an error-rate jump at 25 % and a burst of key-casing differences roll back within one evaluation; low coverage
 * and a quiet route hold; pause, resume, promote and abort do what they say; a restart mid-ramp resumes; a hand edit
 * of the weight pauses the ramp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { createConfigManager, type ConfigManager } from '../config/manager.js';
import { createGatewayMetrics } from '../metrics.js';
import { createLogger } from '../log.js';
import { createAuditLog, type AuditLog } from '../audit.js';
import { createEvidence } from '../evidence/evidence.js';
import { createFakeEvidence, type FakeEvidence, type IntervalTraffic } from '../../testing/fake-evidence.js';
import { createRampController, RampError, type RampController } from './controller.js';
import { createRampMetrics } from './metrics.js';
import { createFileRampStore } from './store.js';

const INTERVAL = 10_000;
const START = Date.parse('2026-12-01T10:00:00Z');
const RAMP = {
  steps: [0, 1, 5, 25, 50, 100],
  minStepMs: 60_000,
  gates: {
    errorRate: { minRequests: 10 },
    latencyP99: { minRequests: 10 },
    unexpectedDifferences: { minComparisons: 20 },
    coverage: { minSampled: 20 },
  },
};

interface Rig {
  dir: string;
  manager: ConfigManager;
  controller: RampController;
  audit: AuditLog;
  source: FakeEvidence;
  registry: Registry;
  clock: { now: number };
  weight(): number;
  /** interval advances the clock one interval, serves `traffic(weight)` and ticks. */
  interval(traffic?: (weight: number) => IntervalTraffic): Promise<void>;
  close(): Promise<void>;
}

/** healthy is one interval of 1000 requests split by weight, 100 clean comparisons, nothing wrong. */
function healthy(weight: number): IntervalTraffic {
  const fresh = Math.round(10 * weight);
  return { legacy: { requests: 1000 - fresh }, new: { requests: fresh }, compared: 100 };
}

async function rig(ramp: Record<string, unknown> = RAMP, options: { dir?: string; weights?: string; source?: FakeEvidence; clock?: { now: number }; promql?: (name: string) => number | null } = {}): Promise<Rig> {
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'figway-ramp-'));
  if (options.dir === undefined) {
    await writeFile(join(dir, 'figway.yaml'), stringify({
      listeners: { admin: { enabled: false } },
      evidence: { intervalMs: INTERVAL },
      prometheus: { url: 'http://127.0.0.1:1' },
      upstreams: { legacy: { url: 'http://127.0.0.1:1' }, new: { url: 'http://127.0.0.1:2' } },
      routes: [{ name: 'api', legacy: 'legacy', new: 'new', mirror: { sampleRate: 0.1 }, ramp }],
    }));
    await writeFile(join(dir, 'weights.yaml'), options.weights ?? '# the api migration\nroutes:\n  api: 0 # start at 0\n');
  }
  const logger = createLogger('silent');
  const manager = await createConfigManager({ configPath: join(dir, 'figway.yaml'), logger, metrics: createGatewayMetrics() });
  const clock = options.clock ?? { now: START };
  const now = (): number => clock.now;
  const source = options.source ?? createFakeEvidence();
  const evidence = createEvidence({ source, now, intervalMs: INTERVAL, timelineMs: 3_600_000, weightOf: (route) => manager.snapshot().weights.get(route) ?? 0 });
  const audit = createAuditLog({ logger, now });
  const registry = new Registry();
  const controller = createRampController({
    config: () => manager.config, store: createFileRampStore(manager), evidence, audit, metrics: createRampMetrics(registry), logger, now,
    ...(options.promql === undefined ? {} : { promql: async (gate) => ({ name: gate.name, value: options.promql!(gate.name) }) }),
  });
  await controller.tick(); // the evidence baseline
  const weight = (): number => manager.snapshot().weights.get('api') ?? 0;
  return {
    dir, manager, controller, audit, source, registry, clock, weight,
    async interval(traffic = healthy) {
      clock.now += INTERVAL;
      source.serve('api', traffic(weight()));
      await controller.tick();
    },
    async close() {
      await controller.close();
      await manager.close();
    },
  };
}

/** withRig runs `body` against a fresh rig and closes it. */
async function withRig(ramp: Record<string, unknown>, body: (r: Rig) => Promise<void>): Promise<void> {
  const r = await rig(ramp);
  try {
    await body(r);
  } finally {
    await r.close();
  }
}

async function walk(r: Rig, until: (weight: number) => boolean, traffic?: (weight: number) => IntervalTraffic, limit = 200): Promise<void> {
  for (let i = 0; i < limit && !until(r.weight()); i++) await r.interval(traffic);
}

const state = (r: Rig): string => r.controller.status('api')!.state;
const actions = (r: Rig): string[] => r.audit.entries().reverse().map((entry) => `${entry.action}:${(entry.new as { weight: number }).weight}`);

test('a clean ramp walks every step to 100, holding each for its minimum time, and keeps comments in the weights file', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops', 'first try');
  await walk(r, () => state(r) === 'completed');
  assert.equal(state(r), 'completed');
  assert.deepEqual(actions(r), ['ramp.start:0', 'ramp.promote:1', 'ramp.promote:5', 'ramp.promote:25', 'ramp.promote:50', 'ramp.complete:100']);
  const times = r.audit.entries().reverse().map((entry) => Date.parse(entry.at));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= RAMP.minStepMs, `step ${i} held its minimum time`);
  assert.equal(r.weight(), 100);
  const text = await readFile(join(r.dir, 'weights.yaml'), 'utf8');
  assert.match(text, /^# the api migration\nroutes:\n {2}api: 100 # start at 0\n/);
  assert.match(text, /ramps:\n {2}api:\n {4}state: completed\n/);
  assert.match(r.controller.status('api')!.verdict, /completed: 100% on new; legacy gets no client traffic/);
  const metrics = await r.registry.metrics();
  assert.match(metrics, /figway_ramp_transitions_total\{route="api",kind="promote"\} 4/);
  assert.match(metrics, /figway_ramp_transitions_total\{route="api",kind="rollback"\} 0/);
  assert.match(metrics, /figway_ramp_state\{route="api",state="completed"\} 1/);
  assert.match(metrics, /figway_ramp_step_index\{route="api"\} 5/);
}));

test('an error-rate jump at 25% is rolled back at the first evaluation of that step, and the ramp halts saying why', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await walk(r, (weight) => weight === 25);
  await r.interval((weight) => ({ ...healthy(weight), new: { requests: 10 * weight, errors: 50 } }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'halted');
  assert.equal(r.weight(), 0);
  assert.match(status.reason!, /^error rate: new 20% errors vs legacy 0% .* rolled back from 25% to 0%$/);
  assert.equal(status.gates.find((gate) => gate.name === 'error-rate')?.status, 'fail');
  assert.deepEqual(actions(r).slice(-2), ['ramp.promote:25', 'ramp.rollback:0']);
  await r.interval();
  assert.equal(state(r), 'halted', 'a halted ramp stays halted');
}));

test('a burst of unexpected key-casing differences rolls back, naming the class, the path and the count', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await walk(r, (weight) => weight === 5);
  await r.interval((weight) => ({ ...healthy(weight), compared: 40, unexpected: [{ class: 'key-casing', path: 'redis.token.UserEmail', count: 12 }] }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'halted');
  assert.equal(r.weight(), 0);
  assert.match(status.reason!, /key-casing at redis\.token\.UserEmail, 12 of 40 comparisons/);
  const entry = r.audit.entries()[0]!;
  assert.equal(entry.action, 'ramp.rollback');
  assert.match(entry.why!, /key-casing at redis\.token\.UserEmail, 12 of 40 comparisons/);
}));

test('a regression caught in the shadow bake halts at 0 without any client having moved', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await r.interval(() => ({ legacy: { requests: 1000 }, compared: 50, unexpected: [{ class: 'status', path: 'status', count: 50 }] }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'halted');
  assert.equal(status.weight, 0);
  assert.deepEqual(actions(r), ['ramp.start:0', 'ramp.halt:0']);
  assert.match(status.reason!, /status at status, 50 of 50 comparisons — halted at 0%/);
}));

test('differences at a path later learned as noise do not count against the ramp', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  // The first comparisons of a random field are unexpected until the learner has seen enough of them.
  await r.interval(() => ({ legacy: { requests: 1000 }, compared: 30, unexpected: [{ class: 'value', path: 'body.token', count: 20 }], noise: ['body.token'] }));
  assert.equal(state(r), 'running');
  assert.equal(r.controller.status('api')!.gates.find((gate) => gate.name === 'unexpected-differences')?.status, 'pass');
}));

test('low coverage holds — never promotes, never fails — and the verdict says which gate lacks what', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  for (let i = 0; i < 20; i++) await r.interval(() => ({ legacy: { requests: 1000 }, compared: 50, dropped: { 'redis-concurrent-write': 50 } }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'running');
  assert.equal(status.weight, 0);
  assert.match(status.verdict, /^holding at 0%: coverage 50% < 90% \(1000 of 2000 sampled compared; not compared: redis-concurrent-write 1000\)$/);
  assert.deepEqual(actions(r), ['ramp.start:0']);
}));

test('a quiet route holds without failing, naming the samples each gate still needs', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await r.controller.act('api', 'promote', 'ops', 'skip the bake');
  for (let i = 0; i < 30; i++) await r.interval(() => ({ legacy: { requests: 3 }, new: { requests: 0 } }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'running');
  assert.equal(status.weight, 1);
  assert.match(status.verdict, /^holding at 1%: error rate: new has 0 of 10 requests needed$/);
  assert.deepEqual(status.gates.map((gate) => gate.status), ['hold', 'hold', 'hold', 'hold']);
  assert.match(status.gates[2]!.detail, /0 of 20 comparisons needed/);
}));

test('pause, resume, promote and abort do what they say; actions not allowed now are refused', () => withRig({ ...RAMP, approvalBefore: [50] }, async (r) => {
  await assert.rejects(r.controller.act('api', 'pause', 'ops'), (error: RampError) => error.status === 409 && /only a running ramp/.test(error.message));
  await r.controller.act('api', 'start', 'ops');
  await assert.rejects(r.controller.act('api', 'start', 'ops'), (error: RampError) => error.status === 409);
  await r.controller.act('api', 'pause', 'ops', 'lunch');
  assert.equal(r.controller.status('api')!.verdict, 'paused at 0%: lunch');
  for (let i = 0; i < 10; i++) await r.interval();
  assert.equal(state(r), 'paused', 'a paused ramp does not move');
  await r.controller.act('api', 'resume', 'ops');
  assert.equal(state(r), 'running');
  await r.controller.act('api', 'promote', 'ops', 'bake is enough');
  assert.equal(r.weight(), 1);
  await walk(r, () => state(r) === 'awaiting-approval');
  assert.equal(r.weight(), 25, 'waits at 25 for the approval 50 needs');
  for (let i = 0; i < 10; i++) await r.interval();
  assert.equal(r.weight(), 25);
  await r.controller.act('api', 'promote', 'lead', 'approved');
  assert.equal(r.weight(), 50);
  assert.equal(state(r), 'running');
  await r.controller.act('api', 'abort', 'ops', 'change of plan');
  assert.equal(r.weight(), 0);
  assert.equal(state(r), 'idle');
  assert.equal(r.controller.status('api')!.reason, 'change of plan');
  await assert.rejects(r.controller.act('api', 'abort', 'ops'), (error: RampError) => error.status === 409);
  await assert.rejects(r.controller.act('nope', 'start', 'ops'), (error: RampError) => error.status === 404);
  assert.deepEqual(r.audit.entries().reverse().map((entry) => `${entry.who}:${entry.action}`), [
    'ops:ramp.start', 'ops:ramp.pause', 'ops:ramp.resume', 'ops:ramp.promote', 'ramp:ramp.promote', 'ramp:ramp.promote',
    'ramp:ramp.await-approval', 'lead:ramp.promote', 'ops:ramp.abort',
  ]);
}));

test('rollbackTo previous steps back one step instead of to 0', () => withRig({ ...RAMP, rollbackTo: 'previous' }, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await walk(r, (weight) => weight === 25);
  await r.interval((weight) => ({ ...healthy(weight), new: { requests: 250, latencyMs: 400 } }));
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'halted');
  assert.equal(status.weight, 5);
  assert.match(status.reason!, /^p99 latency: new .* rolled back from 25% to 5%$/);
}));

test('a restart mid-ramp resumes at the same step, counting its time from when the step began', async () => {
  const first = await rig();
  const clock = first.clock;
  await first.controller.act('api', 'start', 'ops');
  await walk(first, (weight) => weight === 5);
  await first.interval();
  const before = first.controller.status('api')!;
  await first.close();

  const second = await rig(RAMP, { dir: first.dir, source: first.source, clock });
  try {
    const after = second.controller.status('api')!;
    assert.equal(after.state, 'running');
    assert.equal(after.weight, 5);
    assert.equal(after.stepIndex, before.stepIndex);
    assert.equal(after.stepStartedAt, before.stepStartedAt);
    await walk(second, () => state(second) === 'completed');
    assert.deepEqual(actions(second), ['ramp.promote:25', 'ramp.promote:50', 'ramp.complete:100'], 'no step is taken twice');
  } finally {
    await second.close();
    await rm(first.dir, { recursive: true, force: true });
  }
});

test('a hand edit of the weight during a ramp pauses it and says so; resume continues from the step below the edit', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await walk(r, (weight) => weight === 25);
  const path = join(r.dir, 'weights.yaml');
  await writeFile(path, (await readFile(path, 'utf8')).replace(/api: 25/, 'api: 10'));
  await r.manager.reloadWeights();
  await r.interval();
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'paused');
  assert.equal(status.weight, 10, 'the hand edit is never overwritten silently');
  assert.match(status.reason!, /the weight was set to 10% by hand while the ramp had 25%/);
  assert.match(await readFile(path, 'utf8'), /state: paused/);
  await r.controller.act('api', 'resume', 'ops');
  assert.equal(r.weight(), 5);
  assert.equal(state(r), 'running');
}));

test('a PromQL gate holds without a value and rolls back when its value leaves its bounds', async () => {
  let value: number | null = null;
  const r = await rig({ ...RAMP, gates: { ...RAMP.gates, promql: [{ name: 'fleet-errors', query: 'x', max: 1 }] } }, { promql: () => value });
  try {
    await r.controller.act('api', 'start', 'ops');
    for (let i = 0; i < 8; i++) await r.interval();
    assert.equal(r.weight(), 0);
    assert.match(r.controller.status('api')!.verdict, /^holding at 0%: promql:fleet-errors: no value$/);
    value = 0.5;
    await walk(r, (weight) => weight === 5);
    value = 3;
    await r.interval();
    const status = r.controller.status('api')!;
    assert.equal(status.state, 'halted');
    assert.match(status.reason!, /^promql:fleet-errors = 3 > max 1 — rolled back from 5% to 0%$/);
  } finally {
    await r.close();
  }
});

test('a configuration edit that changes the steps under a running ramp pauses it instead of guessing', () => withRig(RAMP, async (r) => {
  await r.controller.act('api', 'start', 'ops');
  await walk(r, (weight) => weight === 5);
  const path = join(r.dir, 'figway.yaml');
  await writeFile(path, (await readFile(path, 'utf8')).replace(/- 5\n/, '- 10\n'));
  assert.equal((await r.manager.reloadConfig()).result, 'applied');
  await r.interval();
  const status = r.controller.status('api')!;
  assert.equal(status.state, 'paused');
  assert.match(status.reason!, /the ramp's steps changed \(now 0, 1, 10, 25, 50, 100\)/);
  await r.controller.act('api', 'resume', 'ops');
  assert.equal(r.weight(), 1, 'resume continues from the step at or below 5%');
}));
