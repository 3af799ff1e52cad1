/**
 * The contract every DiffStore must pass, run by memory.test.ts and redis.test.ts (one suite, several implementations).
 * Not a test file itself.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonRecord, DiffStore, JudgedFinding, SampleRequest } from '../types.js';
import { PERVASIVE_MIN_COMPARISONS, patternId } from './patterns.js';
import { createComparator } from '../comparator.js';
import { createRedactor } from '../redact.js';

const CANARY = 'canary-SECRET-123';

/** record builds a ComparisonRecord for store tests. */
export function record(route: string, result: ComparisonRecord['result'], findings: JudgedFinding[] = [], at = Date.now()): ComparisonRecord {
  return { route, at, result, primary: 'legacy', findings };
}

const unexpected = (cls: JudgedFinding['class'], path: string): JudgedFinding => ({ class: cls, path, legacy: 1, candidate: 2, rule: 'body', verdict: 'unexpected' });

/** StoreBounds are the bounds a contract test asks of a fresh store. */
export interface StoreBounds { samplesPerClass: number; maxPatternsPerVerdict?: number }

const on = (method: string, path: string): SampleRequest => ({ method, path, headers: {}, body: '' });
const finding = (verdict: JudgedFinding['verdict'], cls: JudgedFinding['class'], path: string, reason?: string): JudgedFinding =>
  ({ class: cls, path, legacy: 1, candidate: 2, rule: 'body', verdict, ...(reason === undefined ? {} : { reason }) });

/** runStoreContract registers the shared DiffStore tests; `make` returns a fresh, empty store with the given bounds. */
export function runStoreContract(make: (opts: StoreBounds) => Promise<DiffStore>): void {
  it('counts comparisons by result, unexpected findings by class and normalized path, noise, accepted and skips', async () => {
    const store = await make({ samplesPerClass: 5 });
    await store.record(record('auth', 'match'));
    await store.record(record('auth', 'differ', [unexpected('value', 'body.items[0].v'), unexpected('value', 'body.items[3].v'), unexpected('type', 'body.n')]));
    await store.record(record('auth', 'noise-only', [{ ...unexpected('value', 'body.at'), verdict: 'noise' }]));
    await store.record(record('auth', 'accepted-only', [{ ...unexpected('extra-field', 'body.message'), verdict: 'accepted', reason: 'r' }]));
    await store.record({ ...record('auth', 'skipped'), skipped: { reason: 'body-too-large' } });
    await store.record({ ...record('auth', 'error'), error: { code: 'DIFF_SHADOW_FAILED', message: 'x' } });
    const [s] = await store.summaries();
    assert.ok(s !== undefined);
    assert.deepEqual(
      [s.route, s.comparisons, s.matches, s.differ, s.noiseOnly, s.acceptedOnly, s.skipped, s.errors, s.unexpected, s.noise, s.accepted],
      ['auth', 6, 1, 1, 1, 1, 1, 1, 3, 1, 1],
    );
    assert.deepEqual(s.unexpectedByClass, { value: 2, type: 1 });
    assert.deepEqual(s.unexpectedByPath, { 'body.items[*].v': 2, 'body.n': 1 });
    assert.deepEqual(s.noiseByPath, { 'body.at': 1 });
    assert.deepEqual(s.acceptedByPath, { 'body.message': 1 });
    assert.deepEqual(s.skippedByReason, { 'body-too-large': 1 });
    await store.close();
  });

  it('keeps samples per route and class, newest first, bounded by samplesPerClass', async () => {
    const store = await make({ samplesPerClass: 3 });
    for (let i = 0; i < 10; i++) await store.record(record('reg', 'differ', [unexpected('value', `body.v${i}`)], 1000 + i));
    await store.record(record('reg', 'differ', [unexpected('type', 'body.t')], 2000));
    await store.record(record('reg', 'match'));
    const values = await store.samples('reg', { class: 'value' });
    assert.deepEqual(values.map((v) => v.at), [1009, 1008, 1007]);
    assert.ok(values.every((v) => v.bucket === 'value'));
    assert.equal((await store.samples('reg', { class: 'type' })).length, 1);
    assert.equal((await store.samples('reg', { class: 'value', limit: 1 })).length, 1);
    const all = await store.samples('reg');
    assert.ok(all.length <= 3);
    assert.equal(all[0]?.at, 2000);
    assert.deepEqual(await store.samples('nobody'), []);
    await store.close();
  });

  it('never returns a canary secret from the request, the bodies or a Redis key, in summaries or samples', async () => {
    const store = await make({ samplesPerClass: 5 });
    const comparator = createComparator({
      compare: { headers: ['content-type', 'x-pesto-token'] },
      redactor: createRedactor({ key: Buffer.from('k3y-for-tests') }),
      store,
    });
    await comparator.compare({
      route: 'auth',
      request: {
        method: 'PUT', path: `/api/approve?token=${CANARY}`,
        headers: { 'x-pesto-token': CANARY, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ email: 'a@b.c', token: CANARY, limit: 1 })),
      },
      primary: { side: 'legacy', response: { status: 400, headers: { 'content-type': 'text/plain', 'x-pesto-token': CANARY }, body: Buffer.from(`Token ${CANARY} already exists`) } },
      shadow: { side: 'new', response: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ token: CANARY, echo: `you sent ${CANARY}`, [CANARY]: true })) } },
      extraFindings: [{ class: 'redis-missing-key', path: `redis.${CANARY}`, legacy: { UserEmail: 'a@b.c', Key: CANARY }, rule: 'redis' }],
      redis: [{ name: 'token', legacyKey: CANARY, legacy: { UserEmail: 'a@b.c', Token: CANARY } }, { name: 'counter', legacyKey: `counter/2024-05/${CANARY}`, newKey: 'counter/2024-05/x', legacy: 1, new: 2 }],
    });
    const everything = JSON.stringify([await store.summaries(), await store.samples('auth'), await store.samples('auth', { class: 'status' })]);
    assert.ok(everything.includes('a@b.c'), 'the sample was stored');
    assert.ok(everything.includes('counter/2024-05/x'), 'the Redis entries were stored');
    assert.equal(everything.includes(CANARY), false);
    assert.equal(everything.includes('SECRET'), false);
    await store.close();
  });

  it('counts sampled, dropped by reason and live checks, and derives coverage = comparisons ÷ sampled', async () => {
    const store = await make({ samplesPerClass: 5 });
    await store.sampled('nothing-compared');
    await store.dropped('nothing-compared', 'in-flight-cap');
    await store.liveCheck('live-only', true);
    assert.equal((await store.summaries()).find((x) => x.route === 'live-only')?.coverage, null, 'nothing sampled: no coverage');
    for (let i = 0; i < 4; i++) await store.sampled('auth');
    await store.record(record('auth', 'match'));
    await store.record(record('auth', 'differ', [unexpected('status', 'status')]));
    await store.dropped('auth', 'redis-concurrent-write');
    await store.dropped('auth', 'not a reason!');
    await store.liveCheck('auth', true);
    await store.liveCheck('auth', false);
    await store.record({ ...record('auth', 'differ', [unexpected('key-casing', 'redis.token.UserEmail')]), live: true });
    const summaries = await store.summaries();
    const s = summaries.find((x) => x.route === 'auth')!;
    assert.deepEqual([s.sampled, s.comparisons, s.dropped, s.coverage, s.liveChecks, s.liveClean], [4, 2, 2, 0.5, 2, 1]);
    assert.deepEqual(s.droppedByReason, { 'redis-concurrent-write': 1, other: 1 });
    assert.deepEqual([s.differ, s.unexpected, s.unexpectedByClass], [1, 2, { status: 1, 'key-casing': 1 }], 'a live record adds findings, not a comparison');
    const n = summaries.find((x) => x.route === 'nothing-compared')!;
    assert.deepEqual([n.sampled, n.comparisons, n.dropped, n.coverage], [1, 0, 1, 0]);
    await store.close();
  });

  it('folds findings into patterns by verdict, class, path and endpoint, with counts, share, sightings, reason and an example', async () => {
    const store = await make({ samplesPerClass: 5 });
    await store.record({ ...record('reg', 'differ', [finding('unexpected', 'value', 'body.items[0].v'), finding('unexpected', 'value', 'body.items[4].v'), finding('noise', 'value', 'body.id', 'learned')], 1000), request: on('GET', '/api/users/42?x=1') });
    await store.record({ ...record('reg', 'differ', [finding('unexpected', 'value', 'body.items[1].v'), finding('accepted', 'extra-field', 'body.message', 'new API')], 2000), request: on('GET', '/api/users/7') });
    await store.record({ ...record('reg', 'differ', [finding('unexpected', 'value', 'body.items[1].v')], 3000), request: on('PUT', '/api/users/«redacted:string:00aa11bb»') });
    await store.record({ ...record('reg', 'match', [], 4000), request: on('GET', '/api/users/1') });
    const [s] = await store.summaries();
    const byId = new Map(s!.patterns.map((p) => [p.id, p]));
    const items = byId.get(patternId('unexpected', 'value', 'body.items[*].v', 'GET /api/users/{id}'))!;
    assert.deepEqual([items.count, items.share, items.firstSeen, items.lastSeen, items.pervasive, items.endpoint, items.path], [2, 0.5, 1000, 2000, false, 'GET /api/users/{id}', 'body.items[*].v']);
    const put = byId.get(patternId('unexpected', 'value', 'body.items[*].v', 'PUT /api/users/{id}'))!;
    assert.equal(put.count, 1);
    assert.deepEqual([byId.get(patternId('noise', 'value', 'body.id', 'GET /api/users/{id}'))?.reason, byId.get(patternId('accepted', 'extra-field', 'body.message', 'GET /api/users/{id}'))?.reason], ['learned', 'new API']);
    assert.deepEqual(s!.patterns.map((p) => p.verdict), ['unexpected', 'unexpected', 'noise', 'accepted'], 'unexpected first, most frequent first');
    const example = await store.sample('reg', items.example!);
    assert.equal(example?.at, 2000, 'the example is the latest sample that shows it');
    assert.ok(example?.patterns?.includes(items.id));
    assert.deepEqual((await store.samples('reg', { pattern: items.id })).map((x) => x.at), [2000, 1000]);
    assert.deepEqual((await store.samples('reg', { pattern: put.id })).map((x) => x.at), [3000]);
    assert.equal(await store.sample('reg', 'no-such-id'), undefined);
    assert.deepEqual(await store.samples('reg', { pattern: 'no-such-pattern' }), []);
    await store.close();
  });

  it('marks a pattern on nearly every comparison pervasive and folds it out of the samples stored after that', async () => {
    const store = await make({ samplesPerClass: 50 });
    const total = PERVASIVE_MIN_COMPARISONS + 5;
    for (let i = 0; i < total; i++) {
      const findings = [finding('unexpected', 'header', 'header.server')];
      if (i % 10 === 9) findings.push(finding('unexpected', 'value', 'body.total'));
      await store.record({ ...record('auth', 'differ', findings, 1000 + i), request: on('GET', '/api/check') });
    }
    const [s] = await store.summaries();
    const server = s!.patterns.find((p) => p.path === 'header.server')!;
    const total2 = s!.patterns.find((p) => p.path === 'body.total')!;
    assert.deepEqual([server.count, server.share, server.pervasive], [total, 1, true]);
    assert.equal(total2.pervasive, false);
    const header = await store.samples('auth', { class: 'header' });
    assert.equal(header.length, PERVASIVE_MIN_COMPARISONS - 1, 'no sample once the pattern is pervasive');
    const last = (await store.samples('auth', { class: 'value' }))[0]!;
    assert.equal(last.at, 1000 + 19);
    assert.deepEqual([last.findings.map((f) => f.path), last.pervasive], [['body.total'], [server.id]], 'folded, named by id');
    assert.ok((await store.sample('auth', server.example!))?.findings.some((f) => f.path === 'header.server'), 'the example still shows it in full');
    await store.close();
  });

  it('bounds the patterns kept per route and verdict, so noise cannot crowd out unexpected ones', async () => {
    const store = await make({ samplesPerClass: 5, maxPatternsPerVerdict: 3 });
    for (let i = 0; i < 6; i++) await store.record(record('r', 'noise-only', [finding('noise', 'value', `body.n${i}`)]));
    await store.record(record('r', 'differ', [finding('unexpected', 'type', 'body.t')]));
    const [s] = await store.summaries();
    assert.deepEqual(s!.patterns.map((p) => [p.verdict, p.path]), [['unexpected', 'body.t'], ['noise', 'body.n0'], ['noise', 'body.n1'], ['noise', 'body.n2']]);
    assert.equal(s!.noise, 6, 'counters still count every finding');
    await store.close();
  });
}
