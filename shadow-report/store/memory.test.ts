import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryDiffStore } from './memory.js';
import { record, runStoreContract } from './store.case.js';

describe('memory diff store', () => {
  runStoreContract(async (bounds) => createMemoryDiffStore(bounds));

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
