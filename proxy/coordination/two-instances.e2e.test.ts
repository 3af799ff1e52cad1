/**
 * Issue #10 "done when", with two real `figway start` processes and one redis-server: a weight set through one is
 * served by the other (within a second here; asserted by polling with a generous deadline), and killing the ramp's
 * leader hands the ramp to the other, which finishes it with no step taken twice.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { stringify } from 'yaml';
import { freePort, startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { listenTestServer, type TestServer } from '../../testing/http-servers.js';
import type { AuditEntry } from '../audit.js';
import type { RampStatus } from '../ramp/status.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
const TOKEN = 'two-instances-token-0123456789';
const LEASE_MS = 1_500;

interface Node {
  name: string;
  child: ChildProcess;
  gateway: string;
  admin: string;
}

let redis: TestRedis;
let legacy: TestServer;
let fresh: TestServer;
let dir: string;
const nodes: Node[] = [];

/** side answers identically on both sides but for a header the comparison does not look at, naming the side. */
function side(name: string): Promise<TestServer> {
  return listenTestServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-side': name });
      res.end('ok');
    });
  });
}

async function startNode(name: string): Promise<Node> {
  const gatewayPort = await freePort();
  const adminPort = await freePort();
  const nodeDir = join(dir, name);
  await import('node:fs/promises').then((fs) => fs.mkdir(nodeDir, { recursive: true }));
  await writeFile(join(nodeDir, 'figway.yaml'), stringify({
    listeners: { gateway: { host: '127.0.0.1', port: gatewayPort }, admin: { host: '127.0.0.1', port: adminPort } },
    log: { level: 'warn', access: false },
    evidence: { intervalMs: 200 },
    coordination: { redis: { url: redis.url }, prefix: 'fleet', instance: name, leaseMs: LEASE_MS },
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{
      name: 'api', legacy: 'legacy', new: 'new', sticky: { header: 'x-key' }, mirror: { sampleRate: 1 },
      ramp: {
        steps: [0, 50, 100], minStepMs: 1_500,
        gates: {
          errorRate: { minRequests: 5 }, latencyP99: { minRequests: 5, slackMs: 60_000 },
          unexpectedDifferences: { minComparisons: 5 }, coverage: { min: 0.5, minSampled: 5 },
        },
      },
    }],
  }));
  await writeFile(join(nodeDir, 'weights.yaml'), 'routes:\n  api: 0\n');
  const child = spawn(process.execPath, [CLI, 'start', '-c', join(nodeDir, 'figway.yaml')], {
    env: { PATH: process.env.PATH ?? '', FIGWAY_ADMIN_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', () => undefined);
  const deadline = Date.now() + 15_000;
  while (!output.includes('figway listening') && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.match(output, /figway listening/, `${name} started`);
  const node = { name, child, gateway: `http://127.0.0.1:${gatewayPort}`, admin: `http://127.0.0.1:${adminPort}` };
  nodes.push(node);
  return node;
}

async function adminCall(node: Node, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await request(`${node.admin}${path}`, {
    method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return await response.body.json() as Record<string, unknown>;
}

async function sideServing(node: Node, key: string): Promise<string | undefined> {
  const response = await request(`${node.gateway}/x`, { headers: { 'x-key': key } });
  await response.body.dump();
  return response.headers['x-side'] as string | undefined;
}

async function rampOn(node: Node): Promise<RampStatus> {
  return ((await adminCall(node, 'GET', '/api/ramps')).ramps as RampStatus[])[0]!;
}

async function until(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

before(async () => {
  redis = await startRedisServer();
  legacy = await side('legacy');
  fresh = await side('new');
  dir = await mkdtemp(join(tmpdir(), 'figway-fleet-'));
  await startNode('a');
  await startNode('b');
});

after(async () => {
  for (const node of nodes) {
    if (node.child.exitCode === null && node.child.signalCode === null) {
      const exited = once(node.child, 'exit');
      node.child.kill('SIGTERM');
      await exited;
    }
  }
  await legacy.close();
  await fresh.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a weight set through one instance is served by the other', async (t) => {
  const [a, b] = nodes as [Node, Node];
  assert.equal(await sideServing(b, 'client-1'), 'legacy');
  const set = Date.now();
  await adminCall(a, 'PUT', '/api/routes/api/weight', { weight: 100, reason: 'fleet test' });
  assert.ok(await until(async () => (await sideServing(b, 'client-1')) === 'new', 10_000), 'b serves the weight set on a');
  t.diagnostic(`b served the new weight ${Date.now() - set} ms after it was set on a`);
  const entries = (await adminCall(b, 'GET', '/api/audit')).entries as AuditEntry[];
  assert.ok(entries.some((entry) => entry.action === 'weight.set' && entry.why === 'fleet test'), 'b shows the audit entry made on a');
  await adminCall(b, 'PUT', '/api/routes/api/weight', { weight: 0 });
  assert.ok(await until(async () => (await sideServing(a, 'client-1')) === 'legacy', 10_000), 'and back, the other way');
});

test('killing the ramp\'s leader hands the ramp to the other instance, which finishes it with no step taken twice', async (t) => {
  const [a] = nodes as [Node, Node];
  let traffic = true;
  const load = (async () => {
    for (let i = 0; traffic; i++) {
      for (const node of nodes) {
        if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
        await sideServing(node, `client-${i % 40}`).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    await adminCall(a, 'POST', '/api/routes/api/ramp/start', { reason: 'fleet ramp' });
    assert.ok(await until(async () => (await rampOn(a)).weight === 50, 30_000), 'the ramp reached 50%');
    const leaderName = (await rampOn(a)).leader!;
    const leader = nodes.find((node) => node.name === leaderName)!;
    const survivor = nodes.find((node) => node.name !== leaderName)!;
    leader.child.kill('SIGKILL');
    const killed = Date.now();
    assert.ok(await until(async () => (await rampOn(survivor)).leader === survivor.name, 30_000), 'the survivor takes the lease');
    t.diagnostic(`${survivor.name} took over ${Date.now() - killed} ms after ${leaderName} was killed (lease ${LEASE_MS} ms)`);
    assert.ok(await until(async () => (await rampOn(survivor)).state === 'completed', 30_000), 'the survivor completes the ramp');
    const steps = async (): Promise<string[]> => ((await adminCall(survivor, 'GET', '/api/audit')).entries as AuditEntry[])
      .filter((entry) => entry.action.startsWith('ramp.'))
      .reverse()
      .map((entry) => `${entry.action}:${(entry.new as { weight: number }).weight}`);
    await until(async () => (await steps()).includes('ramp.complete:100'), 10_000);
    assert.deepEqual(await steps(), ['ramp.start:0', 'ramp.promote:50', 'ramp.complete:100'], 'each step once, in the shared audit history');
  } finally {
    traffic = false;
    await load;
  }
});
