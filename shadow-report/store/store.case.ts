/**
 * The contract every DiffStore must pass, run by memory.test.ts and redis.test.ts (one suite, several implementations).
 * Not a test file itself.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComparisonRecord, DiffStore, JudgedFinding } from '../types.js';
import { createComparator } from '../comparator.js';
import { createRedactor } from '../redact.js';

const CANARY = 'canary-SECRET-123';

/** record builds a ComparisonRecord for store tests. */
export function record(route: string, result: ComparisonRecord['result'], findings: JudgedFinding[] = [], at = Date.now()): ComparisonRecord {
  return { route, at, result, primary: 'legacy', findings };
}

const unexpected = (cls: JudgedFinding['class'], path: string): JudgedFinding => ({ class: cls, path, legacy: 1, candidate: 2, rule: 'body', verdict: 'unexpected' });

/** runStoreContract registers the shared DiffStore tests; `make` returns a fresh, empty store with the given bound. */
export function runStoreContract(make: (opts: { samplesPerClass: number }) => Promise<DiffStore>): void {
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
}
