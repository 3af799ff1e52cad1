import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRedisServer, freePort, type TestRedis } from '../../testing/redis-server.js';
import { createRedisDiffStore, type RedisDiffStore } from './redis.js';
import { record, runStoreContract } from './store.case.js';

describe('redis diff store', () => {
  let server: TestRedis;
  let db = 0;
  const open: RedisDiffStore[] = [];
  before(async () => { server = await startRedisServer(); });
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
    await server.stop();
  });

  /** Each test gets its own logical database, so tests never see each other's keys. */
  async function make(url: string, samplesPerClass = 50, maxPatternsPerVerdict?: number): Promise<RedisDiffStore> {
    const store = createRedisDiffStore({ url, streamMaxLen: 100, samplesPerClass, ...(maxPatternsPerVerdict === undefined ? {} : { maxPatternsPerVerdict }) });
    open.push(store);
    assert.equal(await store.ready(), true);
    return store;
  }
  const nextDb = (): string => `${server.url}/${++db}`;

  runStoreContract(async ({ samplesPerClass, maxPatternsPerVerdict }) => make(nextDb(), samplesPerClass, maxPatternsPerVerdict));

  it('lets two store instances see one record', async () => {
    const url = nextDb();
    const a = await make(url);
    const b = await make(url);
    await a.record(record('auth', 'differ', [{ class: 'key-casing', path: 'redis.token.UserEmail', rule: 'redis', verdict: 'unexpected' }]));
    await b.record(record('auth', 'match'));
    for (const store of [a, b]) {
      const [s] = await store.summaries();
      assert.deepEqual([s?.comparisons, s?.matches, s?.differ, s?.unexpectedByClass], [2, 1, 1, { 'key-casing': 1 }]);
      assert.equal((await store.samples('auth', { class: 'key-casing' })).length, 1);
    }
  });

  it('survives a restart of the store object', async () => {
    const url = nextDb();
    const first = await make(url);
    await first.record(record('reg', 'differ', [{ class: 'missing-field', path: 'body.token', rule: 'body', verdict: 'unexpected' }]));
    await first.close();
    const second = await make(url);
    const [s] = await second.summaries();
    assert.deepEqual([s?.route, s?.comparisons, s?.unexpectedByPath], ['reg', 1, { 'body.token': 1 }]);
    assert.equal((await second.samples('reg'))[0]?.findings[0]?.path, 'body.token');
  });

  it('batches sampled, dropped and live counts in process and writes them before a summary, with the next record, or on close', async () => {
    const url = nextDb();
    const a = await make(url);
    const b = await make(url);
    await a.sampled('auth');
    await a.dropped('auth', 'in-flight-cap');
    await b.sampled('auth');
    await b.record(record('auth', 'match'));
    assert.deepEqual((await a.summaries()).map((x) => [x.sampled, x.dropped, x.comparisons, x.coverage]), [[2, 1, 1, 0.5]], 'b wrote its count with its record');
    await b.liveCheck('auth', true);
    await b.close();
    assert.deepEqual((await a.summaries()).map((x) => [x.liveChecks, x.liveClean]), [[1, 1]], 'b wrote its count on close');
  });

  it('counts writes to a dead Redis instead of throwing, and reports reads as DIFF_STORE_UNAVAILABLE', async () => {
    const store = createRedisDiffStore({ url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 100, commandTimeoutMs: 100 });
    open.push(store);
    await store.record(record('auth', 'match'));
    await store.record(record('auth', 'differ', [{ class: 'status', path: 'status', rule: 'status', verdict: 'unexpected' }]));
    assert.equal(store.stats().writeErrors, 2);
    await store.sampled('auth');
    await store.dropped('auth', 'timeout');
    assert.equal(store.stats().recorded, 0);
    await assert.rejects(store.summaries(), { code: 'DIFF_STORE_UNAVAILABLE' });
    assert.equal(store.stats().writeErrors, 3, 'the batched counts were tried once before the read, and counted as one failed write');
  });
});
