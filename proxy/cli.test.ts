import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { request } from 'undici';
import { listenTestServer } from '../testing/http-servers.js';
import { freePort, startRedisServer } from '../testing/redis-server.js';
import { createServer } from 'node:net';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');
const DIST = join(dirname(CLI), '..');
const run = promisify(execFile);

async function workspace(config: string, weights: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'figway-cli-'));
  await writeFile(join(dir, 'figway.yaml'), config);
  await writeFile(join(dir, 'weights.yaml'), weights);
  return dir;
}

const CONFIG = (legacy: string, port = 0) => `listeners:
  gateway: { host: 127.0.0.1, port: ${port} }
  admin: { enabled: false }
shutdownGraceMs: 5000
log: { level: warn }
upstreams:
  legacy: { url: "${legacy}" }
  new: { url: "${legacy}" }
routes:
  - name: auth
    match: { pathPrefix: / }
    legacy: legacy
    new: new
`;

test('figway validate accepts good files and exits 1 with file:line: field messages for bad ones', async () => {
  const dir = await workspace(CONFIG('http://127.0.0.1:1'), 'routes:\n  auth: 5\n');
  try {
    const ok = await run(process.execPath, [CLI, 'validate', join(dir, 'figway.yaml'), join(dir, 'weights.yaml')]);
    assert.match(ok.stdout, /figway\.yaml: ok \(1 routes\)/);
    await writeFile(join(dir, 'weights.yaml'), '# edited\nroutes:\n  auth: 140\n');
    await writeFile(join(dir, 'bad.yaml'), CONFIG('http://127.0.0.1:1').replace('legacy: legacy', 'legacy: legacy\n    colour: blue'));
    const failed = await run(process.execPath, [CLI, 'validate', join(dir, 'figway.yaml'), join(dir, 'weights.yaml'), join(dir, 'bad.yaml')]).then(
      () => assert.fail('validate should exit non-zero'), (error: { code: number; stderr: string }) => error);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /weights\.yaml:3: routes\.auth: Expected number to be less or equal to 100 \[CONFIG_SCHEMA\]/);
    assert.match(failed.stderr, /bad\.yaml:13: routes\[0\]\.colour: unknown field "colour" \[CONFIG_SCHEMA\]/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('figway weights set writes the weight file and keeps its comments', async () => {
  const dir = await workspace(CONFIG('http://127.0.0.1:1'), '# the ramp\nroutes:\n  auth: 5 # first step\n');
  try {
    await run(process.execPath, [CLI, 'weights', 'set', 'auth', '25', '-c', join(dir, 'figway.yaml')]);
    const shown = await run(process.execPath, [CLI, 'weights', 'show', '-c', join(dir, 'figway.yaml')]);
    assert.equal(shown.stdout, 'auth\t25\n');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(dir, 'weights.yaml'), 'utf8');
    assert.match(text, /# the ramp/);
    assert.match(text, /auth: 25 # first step/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('on SIGTERM figway stops accepting, finishes in-flight requests and exits 0', async () => {
  let arrived = 0;
  const upstream = await listenTestServer((req, res) => {
    arrived++;
    req.resume();
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('finished'); }, 400);
  });
  const port = await freePort();
  const dir = await workspace(CONFIG(upstream.url, port), 'routes: {}\n');
  const child = spawn(process.execPath, [CLI, 'start', '-c', join(dir, 'figway.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const deadline = Date.now() + 10_000;
    while (!output.includes('figway listening') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
    assert.match(output, /figway listening/);

    const inFlight = [1, 2, 3].map(() => request(`http://127.0.0.1:${port}/slow`).then(async (r) => ({ status: r.statusCode, body: await r.body.text() })));
    while (arrived < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(arrived, 3);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit') as [number];
    const answers = await Promise.all(inFlight);
    assert.deepEqual(answers, [1, 2, 3].map(() => ({ status: 200, body: 'finished' })));
    assert.equal(code, 0);
    await assert.rejects(request(`http://127.0.0.1:${port}/after`), /ECONNREFUSED/);
  } finally {
    child.kill('SIGKILL');
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('figway traffic refuses bad numbers and non-loopback targets with a message, without sending anything', async () => {
  const badNumbers = await run(process.execPath, [CLI, 'traffic', '--requests', 'abc', '--concurrency', '0']).then(
    () => assert.fail('should exit non-zero'), (error: { code: number; stderr: string }) => error);
  assert.equal(badNumbers.code, 2);
  assert.match(badNumbers.stderr, /--requests must be a whole number above 0, not "abc"/);
  assert.match(badNumbers.stderr, /--concurrency must be a whole number above 0, not "0"/);
  const remote = await run(process.execPath, [CLI, 'traffic', '--url', 'http://10.0.0.1:8080', '--requests', '5']).then(
    () => assert.fail('should exit non-zero'), (error: { code: number; stderr: string }) => error);
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /^figway traffic: .*loopback/m);
  assert.doesNotMatch(remote.stderr, /\n\s+at /);
});

/** runCli runs a compiled entry point and resolves with its exit code and output, whatever the code. */
async function runNode(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, args, { timeout: 30_000, ...(cwd === undefined ? {} : { cwd }) }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }));
}

const ENTRY_POINTS: [string, string[]][] = [
  ['figway start', [CLI, 'start']],
  ['figway validate', [CLI, 'validate']],
  ['figway weights set', [CLI, 'weights', 'set']],
  ['figway weights show', [CLI, 'weights', 'show']],
  ['figway traffic', [CLI, 'traffic']],
  ['figway report', [CLI, 'report']],
  ['npm run demo', [join(DIST, 'scripts', 'demo.js')]],
  ['npm run bench', [join(DIST, 'bench', 'run.js')]],
  ['npm run schema', [join(DIST, 'scripts', 'generate-schema.js')]],
  ['npm run screenshots', [join(DIST, 'scripts', 'screenshots.js')]],
];

test('every verb and script answers --help and --version, and a bad flag with one line and exit 2', async () => {
  for (const [name, entry] of ENTRY_POINTS) {
    const help = await runNode([...entry, '--help']);
    assert.equal(help.code, 0, `${name} --help`);
    assert.match(help.stdout, /Usage/, `${name} --help`);
    assert.equal(help.stderr, '', `${name} --help`);
    const version = await runNode([...entry, '--version']);
    assert.equal(version.code, 0, `${name} --version`);
    assert.match(version.stdout, /^figway (\w+ )?\d+\.\d+\.\d+\n$/, `${name} --version`);
    const bad = await runNode([...entry, '--no-such-flag']);
    assert.equal(bad.code, 2, `${name} --no-such-flag`);
    assert.equal(bad.stderr.trimEnd().split('\n').length, 1, `${name}: one line, got ${bad.stderr}`);
    assert.match(bad.stderr, /--no-such-flag/);
    assert.doesNotMatch(bad.stderr + bad.stdout, /\n\s+at |ERR_PARSE_ARGS/, name);
  }
  assert.equal((await runNode([CLI, '--version'])).stdout, (await runNode([CLI, 'start', '--version'])).stdout);
});

test('figway validate weights.yaml alone reports the weight file\'s own problems, not a missing figway.yaml', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'figway-cli-'));
  try {
    await writeFile(join(dir, 'weights.yaml'), 'routes:\n  auth: 5\n  main: 140\n');
    const bad = await runNode([CLI, 'validate', 'weights.yaml'], dir);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, `${join(dir, 'weights.yaml')}:3: routes.main: Expected number to be less or equal to 100 [CONFIG_SCHEMA]\n`);
    await writeFile(join(dir, 'weights.yaml'), 'routes:\n  auth: 5\n');
    const alone = await runNode([CLI, 'validate', 'weights.yaml'], dir);
    assert.equal(alone.code, 0);
    assert.match(alone.stdout, /weights\.yaml: ok \(1 weights; route names not checked: no configuration given/);
    // With the configuration beside it, route names are checked too.
    await writeFile(join(dir, 'figway.yaml'), CONFIG('http://127.0.0.1:1').replace('name: auth', 'name: other'));
    const checked = await runNode([CLI, 'validate', 'weights.yaml'], dir);
    assert.equal(checked.code, 1);
    assert.match(checked.stderr, /routes\.auth: route "auth" does not exist in the configuration \(routes: other\) \[CONFIG_UNKNOWN_ROUTE\]/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('figway start on a taken gateway or admin port exits 1 with one line, even with Redis clients open', async () => {
  const redis = await startRedisServer();
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const taken = (holder.address() as { port: number }).port;
  const free = await freePort();
  const withRedis = (gatewayPort: number, adminPort: number) => `listeners:
  gateway: { host: 127.0.0.1, port: ${gatewayPort} }
  admin: { host: 127.0.0.1, port: ${adminPort} }
log: { level: warn }
upstreams:
  legacy: { url: "http://127.0.0.1:1", redis: { url: "${redis.url}" }, shadow: { url: "http://127.0.0.1:1", redis: { url: "${redis.url}/1" } } }
  new: { url: "http://127.0.0.1:1", redis: { url: "${redis.url}" }, shadow: { url: "http://127.0.0.1:1", redis: { url: "${redis.url}/2" } } }
routes:
  - name: auth
    match: { pathPrefix: / }
    legacy: legacy
    new: new
    mirror: { sideEffects: isolated }
    redis: { keys: [{ name: token, key: "{header.x-token}" }] }
`;
  const dir = await mkdtemp(join(tmpdir(), 'figway-cli-'));
  try {
    for (const [field, config] of [['listeners.gateway.port', withRedis(taken, free)], ['listeners.admin.port', withRedis(free, taken)]] as const) {
      await writeFile(join(dir, 'figway.yaml'), config);
      await writeFile(join(dir, 'weights.yaml'), 'routes: {}\n');
      const child = spawn(process.execPath, [CLI, 'start', '-c', join(dir, 'figway.yaml')], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FIGWAY_ADMIN_TOKEN: 'cli-test-admin-token-0123' },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      child.stdout.resume();
      const [code] = await once(child, 'exit') as [number];
      assert.equal(code, 1, field);
      assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
      assert.match(stderr, new RegExp(`figway\\.yaml: ${field.replace(/\./g, '\\.')}: 127\\.0\\.0\\.1:${taken} is already in use \\(EADDRINUSE\\).*\\[CONFIG_LISTEN_FAILED\\]`));
    }
  } finally {
    holder.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
