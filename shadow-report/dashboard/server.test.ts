import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEchoServer, type TestServer } from '../../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../../testing/figway.js';
import { lazyDefaultExtensions } from '../../proxy/lazy-extensions.js';

let upstream: TestServer;
let figway: TestFigway;

before(async () => {
  upstream = await startEchoServer('both');
  // A plain gateway (nothing mirrors): figway start's own extensions, where the comparison stack is never loaded.
  figway = await startTestFigway({
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'api', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new' }],
  }, { api: 0 }, { extensions: lazyDefaultExtensions });
});
after(async () => {
  await figway.close();
  await upstream.close();
});

const get = (path: string, headers: Record<string, string> = {}) => request(`${figway.adminUrl}${path}`, { headers });

test('every figway serves the dashboard: / leads to it, the sign-in page and assets are public, under a strict CSP', async () => {
  const root = await get('/');
  assert.equal(root.statusCode, 302);
  assert.equal(root.headers.location, '/dashboard/');
  await root.body.dump();
  const signIn = await get('/dashboard/sign-in');
  assert.equal(signIn.statusCode, 200);
  const csp = String(signIn.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal(signIn.headers['x-frame-options'], 'DENY');
  const page = await signIn.body.text();
  assert.match(page, /<form method="post" action="\/auth\/sign-in">/);
  assert.match(await (await get('/dashboard/sign-in?failed=throttled')).body.text(), /Too many failed sign-ins from this address/);
  assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)|\son[a-z]+=|style=/i, 'no inline script, handler or style');
  for (const asset of ['app.js', 'model.js', 'uPlot.esm.js', 'uPlot.min.css', 'dashboard.css']) {
    const response = await get(`/dashboard/assets/${asset}`);
    assert.equal(response.statusCode, 200, asset);
    assert.match(String(response.headers['content-type']), /javascript|css/);
    await response.body.dump();
  }
});

test('nothing outside the asset table is served, and the shell and the API need a session or a token', async () => {
  for (const path of ['/dashboard/assets/..%2F..%2Fpackage.json', '/dashboard/assets/server.js', '/dashboard/assets/nope.js']) {
    const response = await get(path);
    assert.equal(response.statusCode, 404, path);
    await response.body.dump();
  }
  const shell = await get('/dashboard/', { accept: 'text/html' });
  assert.equal(shell.statusCode, 303);
  await shell.body.dump();
  const events = await get('/api/events');
  assert.equal(events.statusCode, 401);
  await events.body.dump();
  const features = await get('/api/dashboard/features', { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
  // The ramp (and its API) runs on every figway, mirroring or not; the comparison stack (samples by id) is not loaded.
  assert.deepEqual(await features.body.json(), { ramps: true, audit: true, sampleById: false });
  const timeline = await get('/api/routes/api/timeline', { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });
  assert.equal(timeline.statusCode, 200, 'the dashboard keeps a timeline where no ramp runs');
  await timeline.body.dump();
});
