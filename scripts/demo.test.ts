import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDemo, forwardAuthCheck, withDatabase } from './demo.js';
import { runRampDemo } from './demo-ramp.js';

test('withDatabase points a Redis URL at another logical database', () => {
  assert.equal(withDatabase('redis://127.0.0.1:6379', 1), 'redis://127.0.0.1:6379/1');
  assert.equal(withDatabase('redis://:pw@h:1/3', 0), 'redis://:pw@h:1/0');
});

test('the demo serves each Pesto service at its own address through figway, logs to files, for a token approved through figway', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'figway-demo-'));
  const demo = await startDemo({ gatewayPort: 0, adminPort: 0, directory, logLevel: 'silent', adminToken: 'demo-test-token-0123456789' });
  try {
    const { auth, registration } = demo.urls;
    assert.notEqual(auth, registration);
    assert.deepEqual(await forwardAuthCheck(auth, 'never-registered'), { status: 401, body: '{"message":"Token not registered"}' });
    const json = { 'content-type': 'application/json' };
    const registered = await request(`${registration}/api/register`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Ada', email: 'ada@example.com', building: 'HQ', calls: 5 }) });
    assert.ok([201, 202].includes(registered.statusCode));
    await registered.body.dump();
    const approved = await request(`${registration}/api/approve`, { method: 'PUT', headers: json, body: JSON.stringify({ email: 'ada@example.com', token: 'demo-token-ada', limit: 100 }) });
    assert.equal(approved.statusCode, 200);
    await approved.body.dump();
    assert.equal((await forwardAuthCheck(auth, 'demo-token-ada')).status, 200);
    // Each service answers its own /healthz; legacy Go auth answers 405 to POST, through figway too.
    const answer = async (url: string): Promise<[number, string | undefined, string]> => {
      const response = await request(url, { headers: { 'x-figway-side': 'legacy' } });
      return [response.statusCode, response.headers['content-type'] as string | undefined, await response.body.text()];
    };
    assert.deepEqual(await answer(`${registration}/healthz`), await answer(`${demo.stack.urls.legacyRegistration}/healthz`));
    assert.deepEqual(await answer(`${auth}/healthz`), await answer(`${demo.stack.urls.legacyAuth}/healthz`));
    const post = await request(`${auth}/`, { method: 'POST', headers: { 'x-figway-side': 'legacy' } });
    assert.equal(post.statusCode, 405);
    await post.body.dump();
    assert.deepEqual((await readdir(demo.logDirectory)).filter((file) => file.endsWith('.log')).sort(), [
      'figway.log', 'legacy-auth.log', 'legacy-registration.log', 'mail-sink.log', 'new-auth.log', 'new-registration.log',
      'shadow-legacy-auth.log', 'shadow-legacy-registration.log', 'shadow-new-auth.log', 'shadow-new-registration.log',
    ]);
    // The demo files are real, editable configuration.
    assert.match(await readFile(join(directory, 'weights.yaml'), 'utf8'), /auth: 50/);
    const routes = await request(`${demo.figway.adminUrl}/api/routes`, { headers: { authorization: `Bearer ${demo.adminToken}` } });
    assert.deepEqual(((await routes.body.json()) as { routes: { name: string }[] }).routes.map((r) => r.name), ['registration', 'auth']);
  } finally {
    await demo.stop();
    await rm(directory, { recursive: true, force: true });
  }
});

test('npm run demo -- --ramp with token-casing: both ramps halt in the shadow bake and the transcript names the casing difference', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'figway-demo-'));
  const demo = await startDemo({ gatewayPort: 0, adminPort: 0, directory, logLevel: 'silent', adminToken: 'demo-test-token-0123456789', ramp: true, regressions: ['token-casing'] });
  try {
    let transcript = '';
    const statuses = await runRampDemo(demo, { write: (text: string) => { transcript += text; } }, 60_000);
    assert.deepEqual(statuses.map((status) => [status.route, status.state, status.weight]), [['registration', 'halted', 0], ['auth', 'halted', 0]]);
    assert.match(transcript, /registration start +0% → +0%/);
    assert.match(transcript, /registration halt +0% → +0% +unexpected differences .*key-casing at redis\.token\.UserEmail/);
    assert.match(await readFile(join(directory, 'weights.yaml'), 'utf8'), /ramps:\n {2}registration:\n {4}state: halted/);
  } finally {
    await demo.stop();
    await rm(directory, { recursive: true, force: true });
  }
});
