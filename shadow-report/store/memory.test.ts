import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDiffStore } from './memory.js';
import { record, runStoreContract } from './store.case.js';
import { SAMPLES_PER_PATTERN } from './patterns.js';
import type { JudgedFinding } from '../types.js';
import { SAMPLE_REFRESH_MS } from './sample-gate.js';

describe('memory diff store', () => {
  runStoreContract(async (bounds) => createMemoryDiffStore(bounds));

  it('keeps samples until a class and its patterns hold their quota, then one per SAMPLE_REFRESH_MS; sample: false only counts', async () => {
    const store = createMemoryDiffStore({ samplesPerClass: 2 });
    const finding = (path: string, cls: JudgedFinding['class'] = 'value'): JudgedFinding => ({ class: cls, path, rule: 'body', verdict: 'unexpected' });
    const differ = (at: number, findings = [finding('body.v')]) => record('r', 'differ', findings, at);
    assert.equal(store.keeps!(differ(1000)), true);
    for (let at = 1000; at < 1000 + SAMPLES_PER_PATTERN; at++) await store.record(differ(at));
    const now = 1000 + SAMPLES_PER_PATTERN;
    assert.equal(store.keeps!(differ(now)), false, 'class and pattern full, refreshed just now');
    assert.equal(store.keeps!(differ(now, [finding('body.v'), finding('body.t', 'type')])), true, 'another class still has room');
    assert.equal(store.keeps!(differ(now, [finding('body.w')])), true, 'a new pattern gets its samples');
    await store.record(differ(now), { sample: false });
    assert.equal((await store.samples('r', { class: 'value' })).length, 2);
    const [summary] = await store.summaries();
    assert.equal(summary?.differ, SAMPLES_PER_PATTERN + 1, 'counted all the same');
    assert.equal(summary?.patterns?.[0]?.count, SAMPLES_PER_PATTERN + 1, 'and its pattern too');
    assert.equal(store.keeps!(differ(now - 1 + SAMPLE_REFRESH_MS)), true, 'a refresh is due');
  });

  it('caps the number of distinct paths counted per route', async () => {
    const store = createMemoryDiffStore({ maxPathsPerRoute: 5 });
    for (let i = 0; i < 20; i++) {
      await store.record(record('r', 'differ', [{ class: 'value', path: `body.f${i}`, rule: 'body', verdict: 'unexpected' }]));
    }
    const [s] = await store.summaries();
    assert.equal(Object.keys(s?.unexpectedByPath ?? {}).length, 5);
    assert.equal(s?.unexpected, 20);
  });

  it('returns copies, so callers cannot change what is stored', async () => {
    const store = createMemoryDiffStore();
    await store.record(record('r', 'differ', [{ class: 'value', path: 'body.a', rule: 'body', verdict: 'unexpected' }]));
    const [first] = await store.samples('r');
    first!.route = 'changed';
    assert.equal((await store.samples('r'))[0]?.route, 'r');
  });
});
