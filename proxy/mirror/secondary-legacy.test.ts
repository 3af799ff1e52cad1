import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { listenTestServer } from '../../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN } from '../../testing/figway.js';
import { createLogger } from '../log.js';
import { createMirrorExtension } from './extension.js';

test('with a second legacy instance, fields that differ between two legacy answers are measured as noise (Diffy)', async () => {
  // Every instance stamps a fresh request id (noise) and shares the stable fields; the new side also drops `plan`.
  const answer = (withPlan: boolean) => listenTestServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requestId: randomUUID(), user: 'ada', ...(withPlan ? { plan: 'pro' } : {}) }));
  });
  const [legacy, secondary, fresh] = await Promise.all([answer(true), answer(true), answer(false)]);
  const figway = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{
      name: 'profile', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new',
      mirror: { sampleRate: 1 }, compare: { secondaryLegacy: secondary.url, learnNoise: false },
    }],
  }, { profile: 0 }, {
    logger: createLogger('silent'),
    extensions: ({ logger, metrics }) => [createMirrorExtension({ logger, metrics, redactionKey: Buffer.from('k') })],
  });
  const admin = async (path: string): Promise<unknown> =>
    (await request(`${figway.adminUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.json();
  try {
    for (let i = 0; i < 5; i++) await (await request(`${figway.gatewayUrl}/profile`)).body.dump();
    const deadline = Date.now() + 5000;
    let learned: { path: string; measured: boolean; noise: boolean }[] = [];
    while (Date.now() < deadline) {
      learned = ((await admin('/api/diffs/profile/noise')) as { learned: typeof learned }).learned;
      if (learned.some((p) => p.path === 'body.requestId')) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual(learned.filter((p) => p.measured).map((p) => p.path), ['body.requestId']);
    // Learning from traffic is off here, so the noise verdict can only come from the measurement; `plan` stays a regression.
    await (await request(`${figway.gatewayUrl}/profile`)).body.dump();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const samples = (await admin('/api/diffs/profile/samples?limit=1')) as { samples: { findings: { path: string; verdict: string }[] }[] };
    const verdicts = Object.fromEntries(samples.samples[0]!.findings.map((f) => [f.path, f.verdict]));
    assert.equal(verdicts['body.requestId'], 'noise');
    assert.equal(verdicts['body.plan'], 'unexpected');
  } finally {
    await figway.close();
    await Promise.all([legacy.close(), secondary.close(), fresh.close()]);
  }
});
