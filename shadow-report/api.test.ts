import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerDiffApi } from './api.js';
import { createMemoryDiffStore } from './store/memory.js';
import { createRedisDiffStore } from './store/redis.js';
import { createNoiseLearner } from './noise-learner.js';
import { freePort } from '../testing/redis-server.js';
import type { CapturedResponse, DiffStore, JudgedFinding, RouteSummary, Sample } from './types.js';

const json = (body: unknown): CapturedResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
const unexpected = (cls: JudgedFinding['class'], path: string): JudgedFinding => ({ class: cls, path, legacy: 1, candidate: 2, rule: 'body', verdict: 'unexpected' });

describe('diff admin API', () => {
  let app: FastifyInstance;
  let store: DiffStore;
  const learner = createNoiseLearner();

  before(async () => {
    store = createMemoryDiffStore();
    app = Fastify();
    registerDiffApi(app, { store, learner });
    await app.ready();
    await store.sampled('auth');
    await store.sampled('auth');
    await store.record({ route: 'auth', at: 1000, result: 'differ', primary: 'legacy', findings: [unexpected('key-casing', 'redis.token.UserEmail')], request: { method: 'GET', path: '/api/check', headers: {}, body: '' } });
    await store.record({ route: 'auth', at: 2000, result: 'differ', primary: 'legacy', findings: [unexpected('status', 'status')], request: { method: 'GET', path: '/api/check', headers: {}, body: '' } });
    learner.observeLegacyPair('auth', json({ at: 'x' }), json({ at: 'y' }), { ticket: learner.legacyPairTicket('auth', 'GET')! });
  });
  after(async () => { await app.close(); });

  const get = async (url: string): Promise<{ status: number; body: unknown }> => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  };

  it('GET /api/diffs lists route summaries with coverage and patterns', async () => {
    const { status, body } = await get('/api/diffs');
    assert.equal(status, 200);
    const [auth] = (body as { routes: RouteSummary[] }).routes;
    assert.deepEqual([auth?.route, auth?.sampled, auth?.comparisons, auth?.coverage], ['auth', 2, 2, 1]);
    assert.deepEqual(auth?.patterns.map((p) => [p.class, p.path, p.endpoint]), [['key-casing', 'redis.token.UserEmail', 'GET /api/check'], ['status', 'status', 'GET /api/check']]);
  });

  it('GET /api/diffs/:route/samples filters by class, by pattern, and bounds limit', async () => {
    const all = (await get('/api/diffs/auth/samples')).body as { route: string; samples: Sample[] };
    assert.deepEqual([all.route, all.samples.map((s) => s.at)], ['auth', [2000, 1000]]);
    assert.deepEqual(((await get('/api/diffs/auth/samples?class=status')).body as { samples: Sample[] }).samples.map((s) => s.at), [2000]);
    const summary = ((await get('/api/diffs')).body as { routes: RouteSummary[] }).routes[0]!;
    const casing = summary.patterns.find((p) => p.class === 'key-casing')!;
    assert.deepEqual(((await get(`/api/diffs/auth/samples?pattern=${casing.id}`)).body as { samples: Sample[] }).samples.map((s) => s.at), [1000]);
    assert.equal(((await get('/api/diffs/auth/samples?limit=1')).body as { samples: Sample[] }).samples.length, 1);
    assert.equal(((await get('/api/diffs/auth/samples?limit=5000')).body as { samples: Sample[] }).samples.length, 2);
    for (const bad of ['0', '-1', 'ten', '1.5']) {
      const res = await get(`/api/diffs/auth/samples?limit=${bad}`);
      assert.deepEqual([res.status, (res.body as { error: { code: string } }).error.code], [400, 'DIFF_BAD_QUERY'], bad);
    }
    assert.deepEqual(((await get('/api/diffs/nobody/samples')).body as { samples: Sample[] }).samples, []);
  });

  it('GET /api/diffs/:route/samples/:id returns one sample, or 404 DIFF_SAMPLE_NOT_FOUND', async () => {
    const summary = ((await get('/api/diffs')).body as { routes: RouteSummary[] }).routes[0]!;
    const example = summary.patterns.find((p) => p.class === 'status')!.example!;
    const one = await get(`/api/diffs/auth/samples/${example}`);
    assert.deepEqual([one.status, (one.body as Sample).id, (one.body as Sample).at], [200, example, 2000]);
    const missing = await get('/api/diffs/auth/samples/nope');
    assert.deepEqual([missing.status, (missing.body as { error: { code: string } }).error.code], [404, 'DIFF_SAMPLE_NOT_FOUND']);
    assert.equal((await get(`/api/diffs/other/samples/${example}`)).status, 404, 'ids are per route');
  });

  it('GET /api/diffs/:route/noise lists learned and measured entries with their counts', async () => {
    const { body } = await get('/api/diffs/auth/noise');
    assert.deepEqual(body, {
      route: 'auth',
      learned: [{ path: 'body.at', class: 'value', source: 'measured', samples: 1, differ: 1, measured: true, noise: true }],
      legacyPairs: { measured: 1, refused: 0 },
    });
  });
});

describe('diff admin API without a readable store', () => {
  it('answers an empty list when no store exists yet, and 503 DIFF_STORE_UNAVAILABLE when the store cannot be read', async () => {
    const dead = createRedisDiffStore({ url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 100, commandTimeoutMs: 100 });
    let current: DiffStore | undefined;
    const app = Fastify();
    registerDiffApi(app, { store: () => current });
    try {
      assert.deepEqual((await app.inject({ method: 'GET', url: '/api/diffs' })).json(), { routes: [] });
      assert.deepEqual((await app.inject({ method: 'GET', url: '/api/diffs/auth/noise' })).json(), { route: 'auth', learned: [], legacyPairs: { measured: 0, refused: 0 } });
      current = dead;
      for (const url of ['/api/diffs', '/api/diffs/auth/samples', '/api/diffs/auth/samples/x']) {
        const res = await app.inject({ method: 'GET', url });
        assert.deepEqual([res.statusCode, res.json().error.code], [503, 'DIFF_STORE_UNAVAILABLE'], url);
      }
    } finally {
      await app.close();
      await dead.close();
    }
  });
});
