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
import { freePort } from '../testing/redis-server.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');
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
