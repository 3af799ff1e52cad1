import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLane, createResourceTable, type LaneDropReason, type LaneJob } from './lane.js';

interface Probe extends LaneJob {
  started: boolean;
  dropped: LaneDropReason | undefined;
  finish(): void;
  /** Frees the job's resources while it keeps running. */
  releaseEarly(): void;
}

function probe(resources: string[], bytes = 1): Probe {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  let release: () => void = () => undefined;
  const job: Probe = {
    resources, bytes, started: false, dropped: undefined,
    finish: () => finish(),
    releaseEarly: () => release(),
    run: async (releaseResources) => { release = releaseResources; job.started = true; await done; },
    drop: (reason) => { assert.equal(job.dropped, undefined, 'dropped once'); job.dropped = reason; },
  };
  return job;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const roomy = { maxActive: 8, maxQueued: 100, maxQueuedBytes: 1_000, maxWaitMs: 10_000 };

test('runs jobs on different keys side by side and jobs on the same key one after the other', async () => {
  const lane = createLane(roomy);
  const a = probe(['k1']);
  const b = probe(['k2']);
  const c = probe(['k1', 'k3']);
  lane.submit(a); lane.submit(b); lane.submit(c);
  assert.equal(a.started && b.started, true);
  assert.equal(c.started, false, 'waits for k1');
  a.finish();
  await settle();
  assert.equal(c.started, true);
  b.finish(); c.finish();
  await lane.idle();
  assert.deepEqual(lane.stats(), { active: 0, queued: 0, queuedBytes: 0 });
});

test('a waiting job reserves its keys: later jobs on them cannot overtake it', async () => {
  const lane = createLane(roomy);
  const holder = probe(['a']);
  const first = probe(['a', 'b']);
  const later = probe(['b']);
  lane.submit(holder); lane.submit(first); lane.submit(later);
  assert.equal(later.started, false, 'b is reserved by the older waiting job');
  holder.finish();
  await settle();
  assert.equal(first.started, true);
  assert.equal(later.started, false);
  first.finish();
  await settle();
  assert.equal(later.started, true);
  later.finish();
  await lane.idle();
});

test('never runs more than maxActive jobs; the rest wait and run later, none is lost', async () => {
  const lane = createLane({ ...roomy, maxActive: 2 });
  const jobs = Array.from({ length: 5 }, (_, i) => probe([`k${i}`]));
  for (const job of jobs) lane.submit(job);
  assert.equal(jobs.filter((job) => job.started).length, 2);
  assert.equal(lane.stats().queued, 3);
  for (let round = 0; round < 5; round++) {
    for (const job of jobs) if (job.started) job.finish();
    await settle();
  }
  await lane.idle();
  assert.ok(jobs.every((job) => job.started && job.dropped === undefined));
});

test('drops with a reason when the queue is full by count or bytes, or when nothing may wait', async () => {
  const full = createLane({ ...roomy, maxActive: 1, maxQueued: 1 });
  const running = probe(['x']);
  const waiting = probe(['y']);
  const extra = probe(['z']);
  full.submit(running); full.submit(waiting); full.submit(extra);
  assert.equal(extra.dropped, 'queue-full');
  const heavy = createLane({ ...roomy, maxActive: 1, maxQueuedBytes: 10 });
  const heavyRunning = probe(['x']);
  heavy.submit(heavyRunning);
  const big = probe(['y'], 11);
  heavy.submit(big);
  assert.equal(big.dropped, 'queue-full');
  const noQueue = createLane({ ...roomy, maxActive: 1, maxQueued: 0 });
  const noQueueRunning = probe(['x']);
  noQueue.submit(noQueueRunning);
  const over = probe(['y']);
  noQueue.submit(over);
  assert.equal(over.dropped, 'in-flight-cap');
  for (const job of [running, waiting, heavyRunning, noQueueRunning]) job.finish();
  await Promise.all([full.close(), heavy.close(), noQueue.close()]);
});

test('a job waiting longer than maxWaitMs is dropped as queue-timeout (injected clock)', async () => {
  let clock = 0;
  const lane = createLane({ ...roomy, maxActive: 1, maxWaitMs: 100, now: () => clock });
  const running = probe(['x']);
  const waiting = probe(['x']);
  lane.submit(running); lane.submit(waiting);
  clock = 50;
  lane.expire();
  assert.equal(waiting.dropped, undefined);
  clock = 101;
  lane.expire();
  assert.equal(waiting.dropped, 'queue-timeout');
  assert.equal(waiting.started, false);
  running.finish();
  await lane.close();
});

test('close drops waiting jobs as shutdown, lets running ones finish, and refuses new ones', async () => {
  const lane = createLane({ ...roomy, maxActive: 1 });
  const running = probe(['x']);
  const waiting = probe(['x']);
  lane.submit(running); lane.submit(waiting);
  const closing = lane.close();
  assert.equal(waiting.dropped, 'shutdown');
  running.finish();
  await closing;
  const late = probe(['y']);
  lane.submit(late);
  assert.equal(late.dropped, 'shutdown');
});

test('lanes sharing a resource table exclude each other and wake each other', async () => {
  const resources = createResourceTable();
  const one = createLane({ ...roomy, resources });
  const two = createLane({ ...roomy, resources });
  const a = probe(['store\u0000k']);
  const b = probe(['store\u0000k']);
  one.submit(a); two.submit(b);
  assert.equal(b.started, false);
  a.finish();
  await settle();
  assert.equal(b.started, true);
  b.finish();
  await Promise.all([one.idle(), two.idle()]);
});

test('a job that releases its resources early lets the next job on them start while it finishes its own work', async () => {
  const lane = createLane(roomy);
  const first = probe(['k']);
  const second = probe(['k']);
  lane.submit(first); lane.submit(second);
  assert.equal(second.started, false);
  first.releaseEarly();
  await settle();
  assert.equal(second.started, true, 'k was given back before the first job ended');
  assert.equal(lane.stats().active, 2);
  first.finish(); second.finish();
  await lane.idle();
});
