import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startEchoServer } from '../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN } from '../testing/figway.js';
import { createLazyExtension, lazyDefaultExtensions } from './lazy-extensions.js';
import type { FigwayExtension } from './main.js';
import type { RuntimeSnapshot } from './runtime.js';

const snapshot = (mirror: boolean): RuntimeSnapshot => ({
  routes: [{ name: 'r', config: mirror ? { mirror: {} } : {} }],
} as unknown as RuntimeSnapshot);

test('loads nothing while no route mirrors or declares Redis keys, then once, and hands it every snapshot', async () => {
  let loads = 0;
  const seen: RuntimeSnapshot[] = [];
  const lazy = createLazyExtension(async () => {
    loads++;
    return [{ applied: (s) => seen.push(s) } satisfies FigwayExtension];
  }, (error) => assert.fail(String(error)));
  const plain = snapshot(false);
  lazy.applied!(plain);
  await lazy.ready!();
  assert.equal(loads, 0);
  assert.equal(lazy.plugin!.observe({} as never), undefined);

  const mirrored = snapshot(true);
  lazy.applied!(mirrored);
  lazy.applied!(mirrored);
  await lazy.ready!();
  assert.equal(loads, 1);
  assert.deepEqual(seen, [mirrored], 'the latest snapshot reaches what was loaded');
  lazy.applied!(plain);
  assert.deepEqual(seen, [mirrored, plain]);
});

test('a failed load is reported and tried again with the next snapshot that needs it', async () => {
  let loads = 0;
  const errors: unknown[] = [];
  const lazy = createLazyExtension(async () => {
    loads++;
    if (loads === 1) throw new Error('no module');
    return [];
  }, (error) => errors.push(error));
  lazy.applied!(snapshot(true));
  await lazy.ready!().catch(() => undefined);
  lazy.applied!(snapshot(true));
  await lazy.ready!();
  assert.equal(loads, 2);
  assert.equal(errors.length, 1);
});

test('a reload that turns mirroring on loads the comparison stack, and its admin routes answer', async () => {
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  const config = (mirror: boolean): Record<string, unknown> => ({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', ...(mirror ? { mirror: { sampleRate: 1 } } : {}) }],
  });
  const figway = await startTestFigway(config(false), { api: 0 }, { extensions: lazyDefaultExtensions });
  const admin = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await request(`${figway.adminUrl!}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    return { status: response.statusCode, body: await response.body.json() };
  };
  try {
    assert.equal((await admin('/api/diffs')).status, 404, 'no diff API while nothing is compared');
    await writeFile(figway.configPath, stringify({ listeners: { gateway: { host: '127.0.0.1', port: 0 }, admin: { port: 0 } }, log: { level: 'silent' }, ...config(true) }));
    assert.equal((await figway.manager.reloadConfig()).result, 'applied');
    let diffs: { status: number; body: unknown } | undefined;
    for (let i = 0; i < 100 && diffs?.status !== 200; i++) {
      diffs = await admin('/api/diffs');
      if (diffs.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(diffs?.status, 200);
    assert.ok(Array.isArray((diffs?.body as { routes?: unknown }).routes));
    const unknown = await admin('/api/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { error: { code: string } }).error.code, 'ADMIN_NOT_FOUND');
  } finally {
    await figway.close();
    await legacy.close();
    await fresh.close();
  }
});

test('starts what it loaded: at once when already loaded, or on loading when startFigway started it earlier (the ramp controller)', async () => {
  const starts: string[] = [];
  const early = createLazyExtension(async () => [{ start: () => { starts.push('early'); } } satisfies FigwayExtension], (error) => assert.fail(String(error)));
  await early.start!();
  assert.equal(starts.length, 0, 'nothing loaded yet: nothing to start');
  early.applied!(snapshot(true));
  await early.ready!();
  assert.deepEqual(starts, ['early'], 'a reload that loads the features starts them');

  const late = createLazyExtension(async () => [{ start: () => { starts.push('late'); } } satisfies FigwayExtension], (error) => assert.fail(String(error)));
  late.applied!(snapshot(true));
  await late.ready!();
  await late.start!();
  assert.deepEqual(starts, ['early', 'late']);
  const ramped = { routes: [{ name: 'r', config: { ramp: { steps: [0, 100] } } }] } as unknown as RuntimeSnapshot;
  let loaded = false;
  const forRamp = createLazyExtension(async () => { loaded = true; return []; }, (error) => assert.fail(String(error)));
  forRamp.applied!(ramped);
  await forRamp.ready!();
  assert.equal(loaded, false, 'a route that only ramps does not need the comparison stack: the ramp runs on every figway');
});

test('figway start runs the ramp and its timeline on a gateway that does not mirror', async () => {
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  const figway = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', ramp: { steps: [0, 100] } }],
  }, { api: 0 }, { extensions: lazyDefaultExtensions });
  try {
    const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const ramps = await (await request(`${figway.adminUrl}/api/ramps`, { headers })).body.json() as { ramps: Array<{ route: string; state: string }> };
    assert.deepEqual(ramps.ramps.map((ramp) => [ramp.route, ramp.state]), [['api', 'idle']]);
    const timeline = await request(`${figway.adminUrl}/api/routes/api/timeline`, { headers });
    assert.equal(timeline.statusCode, 200);
    assert.equal(((await timeline.body.json()) as { route: string }).route, 'api');
  } finally {
    await figway.close();
    await legacy.close();
    await fresh.close();
  }
});
