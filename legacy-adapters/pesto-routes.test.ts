import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { RouteSchema, UpstreamSchema } from '../proxy/config/schema.js';
import { INTENDED_CHANGES, INTENDED_CHANGE_IDS } from './pesto-changes.js';
import { pestoRoutes, pestoUpstreams } from './pesto-routes.js';

describe('pestoRoutes', () => {
  it('puts registration before auth so /api is not swallowed by /', () => {
    assert.deepEqual(pestoRoutes().map((route) => route.name), ['registration', 'auth']);
  });
  it('returns routes valid against the figway schema, mirrored or not', () => {
    for (const route of [...pestoRoutes(), ...pestoRoutes({ mirror: { sampleRate: 0.5 }, override: true, liveSampleRate: 0.1 })]) {
      assert.ok(Value.Check(RouteSchema, route), JSON.stringify([...Value.Errors(RouteSchema, route)].slice(0, 3)));
    }
  });
  it('declares the Pesto Redis keys and the legacy auth settle time', () => {
    const [registration, auth] = pestoRoutes();
    assert.deepEqual(registration?.redis?.keys.map((key) => [key.name, key.key]), [
      ['waiting-list', 'waiting-list'], ['token', '{body.token|response.body.token|response.text}'],
    ]);
    assert.deepEqual(auth?.redis?.keys.map((key) => [key.name, key.key]), [
      ['token', '{header.x-pesto-token}'], ['counter', 'counter/{month}/{keys.token.UserEmail}'],
    ]);
    assert.equal(auth?.redis?.settleMs, 50);
    assert.deepEqual(auth?.sticky, { header: 'X-Pesto-Token' });
    assert.deepEqual(registration?.sticky, { clientAddress: true });
  });
  it('accepts every gateway-visible intended change with a reason naming it', () => {
    const routes = pestoRoutes();
    for (const id of INTENDED_CHANGE_IDS) {
      const change = INTENDED_CHANGES[id];
      const route = routes.find((candidate) => candidate.name === change.service);
      for (const entry of change.accept) {
        const scope = (item: { methods?: readonly string[]; pathPrefix?: string }): string => JSON.stringify([item.methods ?? [], item.pathPrefix ?? '']);
        const accepted = route?.compare.accept.find((item) => item.path === entry.path && item.class === ('class' in entry ? entry.class : undefined)
          && scope(item) === scope(entry as { methods?: readonly string[]; pathPrefix?: string }));
        assert.ok(accepted?.reason.includes(change.name), `${id}: ${entry.path}`);
      }
      if (change.accept.length === 0) assert.ok('why' in change && change.why.length > 0, `${id} says why it is not accepted`);
    }
  });
  it('takes every method on auth (legacy answers 405 itself), and binds each route to its own entrypoint on request', () => {
    const [registration, auth] = pestoRoutes();
    assert.equal(auth?.match.methods, undefined);
    assert.equal(registration?.match.pathPrefix, '/api');
    const [ownRegistration, ownAuth] = pestoRoutes({ entrypoints: true });
    assert.deepEqual(ownRegistration?.match, { pathPrefix: '/', entrypoints: ['registration'] });
    assert.deepEqual(ownAuth?.match, { pathPrefix: '/', entrypoints: ['auth'] });
  });
  it('mirrors only into shadow deployments: dual by default, isolated on request', () => {
    for (const route of pestoRoutes({ mirror: {} })) assert.equal(route.mirror?.sideEffects, 'dual');
    for (const route of pestoRoutes({ mirror: { sideEffects: 'isolated' } })) assert.equal(route.mirror?.sideEffects, 'isolated');
  });
});

describe('pestoUpstreams', () => {
  it('builds four valid upstreams with stores and shadows', () => {
    const upstreams = pestoUpstreams({
      legacyAuth: 'http://a:1', newAuth: 'http://b:1', legacyRegistration: 'http://c:1', newRegistration: 'http://d:1', redisUrl: 'redis://r:6379',
      shadow: {
        legacyAuth: 'http://a2:1', newAuth: 'http://b2:1', legacyRegistration: 'http://c2:1', newRegistration: 'http://d2:1',
        redis: { legacyAuth: 'redis://s:6379/1', newAuth: 'redis://s:6379/2', legacyRegistration: 'redis://s:6379/3', newRegistration: 'redis://s:6379/4' },
      },
    });
    assert.deepEqual(Object.keys(upstreams), ['legacy-auth', 'new-auth', 'legacy-registration', 'new-registration']);
    for (const upstream of Object.values(upstreams)) assert.ok(Value.Check(UpstreamSchema, upstream));
    assert.equal(upstreams['new-auth']?.shadow?.url, 'http://b2:1');
    assert.equal(upstreams['new-auth']?.shadow?.redis?.url, 'redis://s:6379/2', 'each shadow twin has its own store');
  });
});
