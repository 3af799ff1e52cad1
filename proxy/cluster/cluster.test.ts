import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { listenTestServer } from '../../testing/http-servers.js';
import { freePort } from '../../testing/redis-server.js';
import type { WorkerStatus } from './ipc.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
const TOKEN = 'cluster-test-admin-token';

const config = (upstream: string, gatewayPort: number, adminPort: number, extraRoute = ''): string => `workers: 2
listeners:
  gateway: { host: 127.0.0.1, port: ${gatewayPort} }
  admin: { enabled: true, host: 127.0.0.1, port: ${adminPort}, tokenEnv: FIGWAY_TEST_TOKEN }
shutdownGraceMs: 2000
log: { level: warn, access: false }
upstreams:
  legacy: { url: "${upstream}" }
  new: { url: "${upstream}" }
routes:
  - name: api
    match: { pathPrefix: /api }
    legacy: legacy
    new: new
    mirror: { sampleRate: 1 }
${extraRoute}`;

const EXTRA_ROUTE = `  - name: extra
    match: { pathPrefix: /extra }
    legacy: legacy
    new: new
`;

type Workers = Array<{ id: number; pid: number; status: WorkerStatus | null }>;

/** until polls `probe` (bounded count, no timing assertion; generous, as workers start slowly while the whole suite runs) until it returns a value. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 600): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('with workers: 2, weights and reloads reach every worker, /metrics and the diff API count every worker\'s requests, a dead worker is replaced', { timeout: 400_000 }, async () => {
  const upstream = await listenTestServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const dir = await mkdtemp(join(tmpdir(), 'figway-cluster-'));
  const gatewayPort = await freePort();
  const adminPort = await freePort();
  const configPath = join(dir, 'figway.yaml');
  await writeFile(configPath, config(upstream.url, gatewayPort, adminPort));
  await writeFile(join(dir, 'weights.yaml'), 'routes:\n  api: 10\n');
  const figway = spawn(process.execPath, [CLI, 'start', '--config', configPath], {
    env: { ...process.env, FIGWAY_TEST_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  figway.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  figway.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const admin = async (path: string, init: { method?: 'GET' | 'PUT'; body?: string } = {}): Promise<{ status: number; text: string }> => {
    const response = await request(`http://127.0.0.1:${adminPort}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: response.statusCode, text: await response.body.text() };
  };
  const workers = async (): Promise<Workers> => (JSON.parse((await admin('/api/workers')).text) as { workers: Workers }).workers;
  const everyWorker = (check: (status: WorkerStatus) => boolean) => async (): Promise<Workers | undefined> => {
    const list = await workers();
    return list.length === 2 && list.every((worker) => worker.status !== null && check(worker.status)) ? list : undefined;
  };

  try {
    await until('the cluster to serve', async () => (output.includes('figway listening') ? true : undefined));
    const started = await until('two workers', everyWorker(() => true));
    assert.equal(new Set(started.map((worker) => worker.pid)).size, 2);

    // Each new connection goes to the next worker (round robin): send until both have answered some.
    let sent = 0;
    await until('requests on both workers', async () => {
      const response = await request(`http://127.0.0.1:${gatewayPort}/api/x`, { headers: { connection: 'close' }, reset: true });
      await response.body.text();
      assert.equal(response.statusCode, 200);
      sent++;
      return (await everyWorker((status) => status.requests > 0)()) ?? undefined;
    }, 100);
    const metrics = (await admin('/metrics')).text;
    const counted = [...metrics.matchAll(/^figway_requests_total\{route="api",side="(?:legacy|new)",status_class="2xx"\} (\d+)$/gm)]
      .reduce((sum, match) => sum + Number(match[1]), 0);
    assert.equal(counted, sent, `every request of every worker is counted once:\n${metrics}`);
    assert.match(metrics, /^figway_route_weight_ratio\{route="api"\} 0.1$/m, 'control-plane series are the primary\'s, not a sum over workers');

    // Every request was mirrored by the worker that served it; the primary's diff API holds all of their evidence.
    const evidence = await until('every worker\'s comparisons in the primary\'s store', async () => {
      const routes = (JSON.parse((await admin('/api/diffs')).text) as { routes: Array<{ route: string; sampled: number; comparisons: number; dropped: number; matches: number }> }).routes;
      const api = routes.find((route) => route.route === 'api');
      return api !== undefined && api.comparisons + api.dropped === sent ? api : undefined;
    });
    assert.deepEqual([evidence.sampled, evidence.comparisons, evidence.matches], [sent, sent, sent]);

    const put = await admin('/api/routes/api/weight', { method: 'PUT', body: JSON.stringify({ weight: 37 }) });
    assert.equal(put.status, 200, put.text);
    await until('weight 37 on every worker', everyWorker((status) => status.routes.some((route) => route.name === 'api' && route.weight === 37)));

    await writeFile(configPath, config(upstream.url, gatewayPort, adminPort, EXTRA_ROUTE));
    await until('the reloaded configuration on every worker', everyWorker((status) => status.routes.some((route) => route.name === 'extra')));
    const extra = await request(`http://127.0.0.1:${gatewayPort}/extra/y`);
    await extra.body.text();
    assert.equal(extra.statusCode, 200);

    const victim = started[0]!.pid;
    process.kill(victim, 'SIGKILL');
    // A worker starting on a machine busy with the whole suite can take a while: bounded, but very generous.
    const replaced = await until('a replacement worker', async () => {
      const list = await workers();
      return list.length === 2 && !list.some((worker) => worker.pid === victim) && list.every((worker) => worker.status !== null) ? list : undefined;
    }, 3_000);
    assert.ok(replaced.every((worker) => worker.status!.routes.some((route) => route.name === 'api' && route.weight === 37)),
      'the replacement starts from the files as they are now');
  } finally {
    if (figway.exitCode === null) {
      const exited = once(figway, 'exit');
      figway.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, output);
    }
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});
