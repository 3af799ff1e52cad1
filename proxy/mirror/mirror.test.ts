import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { listenTestServer, type TestServer } from '../../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../../testing/figway.js';
import { freePort } from '../../testing/redis-server.js';
import { createLogger } from '../log.js';
import { createMirrorExtension } from './extension.js';
import { createCounterSampler } from './sampler.js';

const PRIMARY_BODY = JSON.stringify({ user: { UserEmail: 'a@b.c', MonthlyLimit: 100, Revoked: false }, items: [1, 2, 3] });

/** A legacy upstream whose answer the client must always get byte for byte. */
function legacyHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': 'legacy' });
    res.end(PRIMARY_BODY);
  });
}

type ShadowMode = 'ok' | 'hang' | 'reset' | '500' | 'trickle' | 'redirect';
let shadowMode: ShadowMode = 'ok';
let shadowSeen = 0;
let shadowMarkers: (string | undefined)[] = [];
let legacy: TestServer;
let shadow: TestServer;
let logLines: string[] = [];
let figway: TestFigway;
let downPort: number;

function shadowHandler(req: IncomingMessage, res: ServerResponse): void {
  shadowSeen++;
  shadowMarkers.push(req.headers['x-figway-shadow'] as string | undefined);
  req.resume();
  switch (shadowMode) {
    case 'hang': return;
    case 'reset': req.socket.destroy(); return;
    case '500': res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"message":"Internal Server Error"}'); return;
    case 'redirect': res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }); res.end(); return;
    case 'trickle': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => { if (!res.write('x')) return; }, 1000);
      res.on('close', () => clearInterval(timer));
      return;
    }
    default: {
      const token = randomBytes(16).toString('hex');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user: { user_email: 'a@b.c', monthly_limit: 100, revoked: false }, items: [1, 2, 3], token }));
    }
  }
}

before(async () => {
  legacy = await listenTestServer(legacyHandler);
  shadow = await listenTestServer(shadowHandler);
  downPort = await freePort();
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { logLines.push(chunk.toString()); done(); } });
  const logger = createLogger('info', sink);
  figway = await startTestFigway({
    log: { level: 'info', access: true },
    upstreams: {
      legacy: { url: legacy.url },
      new: { url: shadow.url },
      down: { url: `http://127.0.0.1:${downPort}` },
    },
    routes: [
      { name: 'sampled', match: { pathPrefix: '/sampled' }, legacy: 'legacy', new: 'new', mirror: { sampleRate: 0.1 } },
      { name: 'capped', match: { pathPrefix: '/capped' }, legacy: 'legacy', new: 'new', mirror: { maxInFlight: 4, maxQueued: 16, timeoutMs: 60_000 } },
      { name: 'faults', match: { pathPrefix: '/faults' }, legacy: 'legacy', new: 'new', mirror: { timeoutMs: 300 } },
      { name: 'down', match: { pathPrefix: '/down' }, legacy: 'legacy', new: 'down', mirror: { timeoutMs: 300 }, failover: false },
      {
        name: 'pesto', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new', sticky: { header: 'X-Pesto-Token' },
        mirror: { methods: ['GET', 'POST'], sideEffects: 'none' }, compare: { redact: ['email'] },
      },
    ],
  }, {}, {
    logger,
    extensions: ({ logger: log, metrics }) => [createMirrorExtension({ logger: log, metrics, redactionKey: Buffer.from('test-key') })],
  });
});

after(async () => {
  await figway.close();
  await legacy.close();
  await shadow.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const response = await request(`${figway.gatewayUrl}${path}`, { headers });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

async function admin(path: string): Promise<string> {
  const response = await request(`${figway.adminUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  return response.body.text();
}

async function settle(condition: () => boolean | Promise<boolean>, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

test('the counter sampler takes exactly rate × n requests', () => {
  const sample = createCounterSampler(0.1);
  let taken = 0;
  for (let i = 0; i < 1000; i++) if (sample()) taken++;
  assert.equal(taken, 100);
  const third = createCounterSampler(1 / 3);
  assert.deepEqual(Array.from({ length: 6 }, () => third()), [false, false, true, false, false, true]);
});

test('at sample rate 0.1 exactly 10 of 100 requests are mirrored, marked with X-Figway-Shadow', async () => {
  shadowMode = 'ok';
  shadowSeen = 0;
  shadowMarkers = [];
  for (let i = 0; i < 100; i++) assert.equal((await get('/sampled/x')).status, 200);
  await settle(() => shadowSeen >= 10);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(shadowSeen, 10);
  assert.deepEqual(new Set(shadowMarkers), new Set(['1']));
});

test('the primary answer is byte-identical whatever the shadow does', async () => {
  const baseline = await get('/faults/x');
  assert.equal(baseline.body, PRIMARY_BODY);
  const expectedHeaders = { 'content-type': baseline.headers['content-type'], 'x-served-by': 'legacy' };
  for (const mode of ['hang', 'reset', '500', 'trickle', 'redirect'] as const) {
    shadowMode = mode;
    for (let i = 0; i < 3; i++) {
      const answer = await get('/faults/x');
      assert.equal(answer.status, 200, mode);
      assert.equal(answer.body, PRIMARY_BODY, mode);
      assert.deepEqual({ 'content-type': answer.headers['content-type'], 'x-served-by': answer.headers['x-served-by'] }, expectedHeaders, mode);
      assert.equal(answer.headers['x-figway-shadow'], undefined);
    }
  }
  shadowMode = 'ok';
  const down = await get('/down/x');
  assert.equal(down.body, PRIMARY_BODY);
  // A new side that gives no answer (hang, reset) is a recorded status difference, not lost and not merely uncovered.
  await settle(async () => /"no answer \(/.test(await admin('/api/diffs/faults/samples?class=status&limit=50')));
  const samples = JSON.parse(await admin('/api/diffs/faults/samples?class=status&limit=50')) as { samples: { findings: { class: string; candidate?: unknown }[] }[] };
  const noAnswer = samples.samples.flatMap((sample) => sample.findings).filter((f) => f.class === 'status' && String(f.candidate).startsWith('no answer ('));
  assert.ok(noAnswer.length >= 1, JSON.stringify(samples));
});

test('beyond maxInFlight shadows wait in the lane up to maxQueued; the rest are dropped and counted, and memory stays flat', async () => {
  shadowMode = 'hang';
  shadowSeen = 0;
  const before = process.memoryUsage().rss;
  for (let batch = 0; batch < 20; batch++) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => get('/capped/x')));
    for (const answer of answers) assert.equal(answer.body, PRIMARY_BODY);
  }
  await settle(() => shadowSeen >= 4);
  assert.equal(shadowSeen, 4, 'only maxInFlight shadows reach the stalled upstream');
  const metrics = await admin('/metrics');
  const count = (pattern: RegExp): number => Number(pattern.exec(metrics)?.[1]);
  assert.equal(count(/figway_shadow_sampled_total\{route="capped"\} (\d+)/), 1000);
  assert.equal(count(/figway_shadow_dropped_total\{route="capped",reason="queue-full"\} (\d+)/), 1000 - 4 - 16, 'running and waiting ones are not dropped');
  const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
  assert.ok(grownMb < 40, `RSS grew ${grownMb.toFixed(1)} MB`);
  shadowMode = 'ok';
});

test('a re-cased token record is one key-casing finding per field; a random token is learned as noise', async () => {
  shadowMode = 'ok';
  for (let i = 0; i < 30; i++) await get(`/pesto/check?i=${i}`, { 'x-pesto-token': `client-${i}` });
  await settle(async () => /"comparisons":(2[5-9]|[3-9]\d)/.test(await admin('/api/diffs')));
  const samples = JSON.parse(await admin('/api/diffs/pesto/samples?class=key-casing&limit=1')) as { samples: { findings: { class: string; path: string; verdict: string }[] }[] };
  const findings = samples.samples[0]!.findings;
  const casing = findings.filter((f) => f.class === 'key-casing');
  assert.deepEqual(casing.map((f) => f.path).sort(), ['body.user.MonthlyLimit', 'body.user.Revoked', 'body.user.UserEmail']);
  assert.equal(findings.filter((f) => f.path.startsWith('body.user') && f.class !== 'key-casing').length, 0);
  assert.ok(casing.every((f) => f.verdict === 'unexpected'));
  const noise = JSON.parse(await admin('/api/diffs/pesto/noise')) as { learned: { path: string; noise: boolean }[] };
  // The token exists only on the new side here, so it is an extra field, never noise; casing is never noise either.
  assert.equal(noise.learned.some((p) => p.path.includes('UserEmail') && p.noise), false);
});

test('canary secrets never reach the diff store, the admin API or the logs', async () => {
  const canary = 'canary-SECRET-123456';
  const response = await request(`${figway.gatewayUrl}/pesto/login`, {
    method: 'POST',
    headers: { 'x-pesto-token': canary, authorization: `Bearer ${canary}-auth`, cookie: `sid=${canary}-cookie`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'canary-person@example.com', password: `${canary}-pw`, token: canary }),
  });
  assert.equal(response.statusCode, 200);
  await response.body.dump();
  await settle(async () => (await admin('/api/diffs/pesto/samples?limit=200')).includes('/pesto/login'));
  const everything = [
    await admin('/api/diffs'),
    await admin('/api/diffs/pesto/samples?limit=200'),
    await admin('/api/diffs/pesto/samples?class=key-casing&limit=200'),
    await admin('/api/diffs/pesto/noise'),
    await admin('/metrics'),
    logLines.join(''),
  ].join('\n');
  assert.ok(everything.includes('/pesto/login'), 'the sample was stored');
  const access = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'request' && line.path === '/pesto/login');
  assert.ok(access !== undefined, 'an access log line was written');
  assert.deepEqual(Object.keys(access).filter((key) => ['route', 'side', 'status', 'durationMs', 'requestId', 'method'].includes(key)).sort(),
    ['durationMs', 'method', 'requestId', 'route', 'side', 'status']);
  assert.equal(access.route, 'pesto');
  for (const secret of [canary, 'canary-person@example.com']) assert.equal(everything.includes(secret), false, `${secret} leaked`);
});
