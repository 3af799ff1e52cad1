import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDiffStore } from './memory.js';
import { record, runStoreContract } from './store.case.js';
import { SAMPLE_REFRESH_MS } from './record.js';

describe('memory diff store', () => {
  runStoreContract(async ({ samplesPerClass }) => createMemoryDiffStore({ samplesPerClass }));

  it('keeps samples until a bucket is full, then one per SAMPLE_REFRESH_MS; sample: false only counts', async () => {
    const store = createMemoryDiffStore({ samplesPerClass: 2 });
    const differ = (at: number) => record('r', 'differ', [{ class: 'value', path: 'body.v', rule: 'body', verdict: 'unexpected' }], at);
    assert.equal(store.keeps!('r', ['value'], 1000), true);
    await store.record(differ(1000));
    await store.record(differ(1001));
    assert.equal(store.keeps!('r', ['value'], 1002), false, 'full and refreshed just now');
    assert.equal(store.keeps!('r', ['value', 'type'], 1002), true, 'another bucket still has room');
    await store.record(differ(1002), { sample: false });
    assert.equal((await store.samples('r', { class: 'value' })).length, 2);
    assert.equal((await store.summaries())[0]?.differ, 3, 'counted all the same');
    assert.equal(store.keeps!('r', ['value'], 1001 + SAMPLE_REFRESH_MS), true, 'a refresh is due');
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
