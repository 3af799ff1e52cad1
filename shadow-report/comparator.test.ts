import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { createComparator } from './comparator.js';
import { createRedactor } from './redact.js';
import { createMemoryDiffStore } from './store/memory.js';
import { SAMPLES_PER_PATTERN } from './store/patterns.js';
import { createNoiseLearner } from './noise-learner.js';
import { createComparisonMetrics } from './metrics.js';
import type { CapturedRequest, CapturedResponse } from './types.js';

const redactor = createRedactor({ key: Buffer.from('comparator-test-key') });
const req: CapturedRequest = { method: 'GET', path: '/', headers: { 'x-pesto-token': 'tok-abcdef' }, body: Buffer.alloc(0) };
const json = (body: unknown, status = 200): CapturedResponse => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });

describe('createComparator', () => {
  it('expresses findings legacy-vs-new whichever side was primary', async () => {
    const comparator = createComparator({ compare: {}, redactor });
    const rec = await comparator.compare({ route: 'auth', request: req, primary: { side: 'new', response: json({ a: 2 }, 500) }, shadow: { side: 'legacy', response: json({ a: 1 }) } });
    assert.equal(rec.primary, 'new');
    assert.deepEqual(rec.findings.map((f) => [f.class, f.legacy, f.candidate]), [['status', 200, 500], ['value', 1, 2]]);
    assert.equal(rec.legacy?.status, 200);
    assert.equal(rec.candidate?.status, 500);
  });

  it('records a match without samples', async () => {
    const store = createMemoryDiffStore();
    const rec = await createComparator({ compare: {}, redactor, store }).compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ a: 1 }) }, shadow: { side: 'new', response: json({ a: 1 }) } });
    assert.deepEqual([rec.result, rec.findings, rec.request], ['match', [], undefined]);
    assert.equal((await store.summaries())[0]?.matches, 1);
  });

  it('only counts a comparison the store would not keep as a sample: nothing of it is redacted or copied', async () => {
    const store = createMemoryDiffStore({ samplesPerClass: 1 });
    const comparator = createComparator({ compare: {}, redactor, store, now: () => 5_000 });
    const differ = () => comparator.compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ a: 1 }) }, shadow: { side: 'new', response: json({ a: 2 }) } });
    for (let i = 0; i < SAMPLES_PER_PATTERN; i++) {
      const kept = await differ();
      assert.equal(kept.legacy?.status, 200, 'the first ones fill the class and the pattern: full samples');
    }
    const counted = await differ();
    assert.deepEqual([counted.result, counted.legacy, counted.candidate], ['differ', undefined, undefined]);
    assert.deepEqual(counted.request, { method: 'GET', path: '/', headers: {}, body: '' }, 'only what names the endpoint');
    assert.deepEqual(counted.findings.map((f) => f.path), ['body.a'], 'findings are still judged and counted');
    const failed = await comparator.compare({ route: 'r', request: req, primary: { side: 'new', response: json({}) }, shadow: { side: 'legacy', error: 'timeout' } });
    const alsoFailed = await comparator.compare({ route: 'r', request: req, primary: { side: 'new', response: json({}) }, shadow: { side: 'legacy', error: 'timeout' } });
    assert.ok(failed.request !== undefined && alsoFailed.request === undefined);
    const [summary] = await store.summaries();
    assert.deepEqual([summary?.differ, summary?.errors], [SAMPLES_PER_PATTERN + 1, 2]);
    assert.equal((await store.samples('r', { limit: 10 })).length, 2, 'one sample per bucket (value, error)');
  });

  it('stops building samples of a pervasive difference once its class holds its quota (regression: pervasive findings are folded out of stored samples)', async () => {
    const store = createMemoryDiffStore({ samplesPerClass: 50 });
    const comparator = createComparator({ compare: {}, redactor, store, now: () => 7_000 });
    let built = 0;
    for (let i = 0; i < 200; i++) {
      const rec = await comparator.compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ id: 1, requestId: `a${i}` }) }, shadow: { side: 'new', response: json({ id: 1, requestId: `b${i}` }) } });
      if (rec.legacy !== undefined) built++;
    }
    assert.equal(built, 50);
    assert.equal((await store.summaries())[0]?.comparisons, 200);
  });

  it('records a missing legacy answer as an inconclusive error with DIFF_SHADOW_FAILED', async () => {
    const rec = await createComparator({ compare: {}, redactor }).compare({ route: 'r', request: req, primary: { side: 'new', response: json({}) }, shadow: { side: 'legacy', error: 'timeout after 2000 ms' } });
    assert.deepEqual([rec.result, rec.error?.code], ['error', 'DIFF_SHADOW_FAILED']);
  });

  it('records a missing new answer, where legacy answered, as an unexpected status difference (a new side that always fails must not look merely uncovered)', async () => {
    const rec = await createComparator({ compare: {}, redactor }).compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({}) }, shadow: { side: 'new', error: 'timeout after 2000 ms' } });
    assert.equal(rec.result, 'differ');
    assert.deepEqual(rec.findings.map((f) => [f.class, f.path, f.legacy, f.candidate, f.verdict]), [['status', 'status', 200, 'no answer (timeout after 2000 ms)', 'unexpected']]);
    assert.equal(rec.legacy?.status, 200, 'the legacy answer is kept with the sample');
  });

  it('records a skipped body as skipped when nothing else differs', async () => {
    const rec = await createComparator({ compare: { maxBodyBytes: 4 }, redactor }).compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ a: 1 }) }, shadow: { side: 'new', response: json({ a: 2 }) } });
    assert.deepEqual([rec.result, rec.skipped?.reason], ['skipped', 'body-too-large']);
  });

  it('applies ignore, accept and noise from the compare config', async () => {
    const comparator = createComparator({ compare: { ignore: ['body.at'], noise: ['body.rid'], accept: [{ path: 'body.message', reason: 'new API' }] }, redactor });
    const rec = await comparator.compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ at: 1, rid: 1 }) }, shadow: { side: 'new', response: json({ at: 2, rid: 2, message: 'OK' }) } });
    assert.deepEqual(rec.findings.map((f) => [f.path, f.verdict]), [['body.rid', 'noise'], ['body.message', 'accepted']]);
    assert.equal(rec.result, 'accepted-only');
  });

  it('learns a random request id as noise through the pipeline, and then judges it as noise', async () => {
    const learner = createNoiseLearner({ minSamples: 5 });
    const comparator = createComparator({ compare: {}, redactor, learner });
    let last;
    for (let i = 0; i < 6; i++) {
      last = await comparator.compare({ route: 'r', request: req, primary: { side: 'legacy', response: json({ requestId: randomUUID(), ok: true }) }, shadow: { side: 'new', response: json({ requestId: randomUUID(), ok: true }) } });
    }
    assert.deepEqual([last?.result, last?.findings[0]?.verdict], ['noise-only', 'noise']);
  });

  it('feeds the metrics', async () => {
    const registry = new Registry();
    const metrics = createComparisonMetrics(registry);
    await createComparator({ compare: {}, redactor, metrics }).compare({ route: 'auth', request: req, primary: { side: 'legacy', response: json({}, 200), durationSeconds: 0.01 }, shadow: { side: 'new', response: json({}, 500), durationSeconds: 0.02 } });
    const text = await registry.metrics();
    assert.match(text, /figway_comparisons_total\{route="auth",result="differ"\} 1/);
    assert.match(text, /figway_differences_total\{route="auth",class="status",verdict="unexpected"\} 1/);
    assert.match(text, /figway_shadow_duration_seconds_count\{route="auth",side="new"\} 1/);
  });

  it('keeps both sides\' Redis keys and values with the sample, redacted and clipped', async () => {
    const store = createMemoryDiffStore();
    const token = 'tok-abcdef';
    const long = 'x'.repeat(5000);
    await createComparator({ compare: {}, redactor, store }).compare({
      route: 'r', request: req, primary: { side: 'legacy', response: json({ a: 1 }) }, shadow: { side: 'new', response: json({ a: 2 }) },
      redis: [{ name: 'token', legacyKey: token, newKey: token, legacy: { UserEmail: 'a@b.c', Password: 'hunter22', note: long }, new: { user_email: 'a@b.c' } }],
    });
    const [sample] = await store.samples('r');
    const entry = sample?.redis?.[0];
    assert.equal(entry?.name, 'token');
    assert.ok(entry?.legacyKey?.startsWith('«redacted:string:'), 'the key is the token, seen in the request header');
    const legacy = entry?.legacy as Record<string, string>;
    assert.equal(legacy.UserEmail, 'a@b.c');
    assert.ok(legacy.Password?.startsWith('«redacted:string:'));
    assert.ok(legacy.note!.length < 1000, 'clipped');
    assert.deepEqual(entry?.new, { user_email: 'a@b.c' });
  });
});
