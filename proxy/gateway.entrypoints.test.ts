/**
 * Entrypoints: several data-plane listeners by name, routes bound to some of them with match.entrypoints, so each
 * migrated service keeps an address of its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { request } from 'undici';
import { ConfigError } from './errors.js';
import { startTestFigway, type TestFigway } from '../testing/figway.js';
import { startEchoServer } from '../testing/http-servers.js';

let one: Awaited<ReturnType<typeof startEchoServer>>;
let two: Awaited<ReturnType<typeof startEchoServer>>;
let figway: TestFigway;

before(async () => {
  one = await startEchoServer('one');
  two = await startEchoServer('two');
  figway = await startTestFigway({
    listeners: {
      gateway: { host: '127.0.0.1', port: 0 },
      entrypoints: { alpha: { host: '127.0.0.1', port: 0 }, beta: { host: '127.0.0.1', port: 0 } },
      admin: { port: 0 },
    },
    upstreams: { one: { url: one.url }, two: { url: two.url } },
    routes: [
      { name: 'alpha', legacy: 'one', new: 'one', match: { pathPrefix: '/', entrypoints: ['alpha'] } },
      { name: 'beta', legacy: 'two', new: 'two', match: { pathPrefix: '/', entrypoints: ['beta'] } },
      { name: 'shared', legacy: 'two', new: 'two', match: { pathPrefix: '/shared' } },
    ],
  }, {});
});

after(async () => {
  await figway.close();
  await Promise.all([one.close(), two.close()]);
});

async function upstreamOf(url: string): Promise<string | number> {
  const response = await request(url);
  const text = await response.body.text();
  return response.statusCode === 200 ? (JSON.parse(text) as { side: string }).side : response.statusCode;
}

test('a route bound to an entrypoint takes that listener\'s requests, whatever the path', async () => {
  assert.deepEqual(Object.keys(figway.entrypointUrls), ['gateway', 'alpha', 'beta']);
  assert.equal(figway.gatewayUrl, figway.entrypointUrls.gateway);
  assert.equal(await upstreamOf(`${figway.entrypointUrls.alpha}/healthz`), 'one');
  assert.equal(await upstreamOf(`${figway.entrypointUrls.beta}/healthz`), 'two');
});

test('a route without entrypoints matches on every listener; a listener without a matching route answers 404', async () => {
  for (const name of ['gateway', 'alpha', 'beta']) {
    // alpha and beta take everything before 'shared' is tried; on gateway only 'shared' is left.
    assert.equal(await upstreamOf(`${figway.entrypointUrls[name]}/shared/x`), name === 'alpha' ? 'one' : 'two', name);
  }
  assert.equal(await upstreamOf(`${figway.entrypointUrls.gateway}/elsewhere`), 404);
});

test('the gateway listener can be turned off when every route has its own entrypoint', async () => {
  const only = await startTestFigway({
    listeners: { gateway: { enabled: false }, entrypoints: { alpha: { host: '127.0.0.1', port: 0 } }, admin: { enabled: false } },
    upstreams: { one: { url: one.url } },
    routes: [{ name: 'alpha', legacy: 'one', new: 'one', match: { pathPrefix: '/', entrypoints: ['alpha'] } }],
  }, {});
  try {
    assert.deepEqual(Object.keys(only.entrypointUrls), ['alpha']);
    assert.equal(only.gatewayUrl, only.entrypointUrls.alpha);
    assert.equal(await upstreamOf(`${only.gatewayUrl}/x`), 'one');
  } finally {
    await only.close();
  }
});

test('unknown entrypoints, no listener at all and an entrypoint named gateway are configuration errors', async () => {
  const attempt = async (listeners: Record<string, unknown>, entrypoints?: string[]): Promise<string[]> => {
    try {
      const started = await startTestFigway({
        listeners: { admin: { enabled: false }, ...listeners },
        upstreams: { one: { url: one.url } },
        routes: [{ name: 'r', legacy: 'one', new: 'one', match: { pathPrefix: '/', ...(entrypoints === undefined ? {} : { entrypoints }) } }],
      }, {});
      await started.close();
      return [];
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.issues.map((issue) => `${issue.code} ${issue.field}`);
    }
  };
  assert.deepEqual(await attempt({ gateway: { host: '127.0.0.1', port: 0 } }, ['nope']), ['CONFIG_UNKNOWN_ENTRYPOINT routes[0].match.entrypoints[0]']);
  assert.deepEqual(await attempt({ gateway: { enabled: false } }), ['CONFIG_NO_LISTENER listeners.gateway.enabled']);
  assert.deepEqual(await attempt({ gateway: { host: '127.0.0.1', port: 0 }, entrypoints: { gateway: { port: 0 } } }), ['CONFIG_UNKNOWN_ENTRYPOINT listeners.entrypoints.gateway']);
});

test('an entrypoint whose port is taken fails the start, naming the entrypoint', async () => {
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const taken = (holder.address() as { port: number }).port;
  try {
    await assert.rejects(startTestFigway({
      listeners: { gateway: { host: '127.0.0.1', port: 0 }, entrypoints: { alpha: { host: '127.0.0.1', port: taken } }, admin: { enabled: false } },
      upstreams: { one: { url: one.url } },
      routes: [{ name: 'r', legacy: 'one', new: 'one', match: { pathPrefix: '/' } }],
    }, {}), (error: ConfigError) => error.issues[0]?.code === 'CONFIG_LISTEN_FAILED' && error.issues[0].field === 'listeners.entrypoints.alpha.port');
  } finally {
    holder.close();
  }
});
