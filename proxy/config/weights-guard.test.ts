/**
 * Issue #12, "an emptied, deleted or half-written weights file is applied as valid": each way a weights file can be
 * lost or cut is rejected with the last good weights serving, a restart after it still serves them, and a write that
 * fails midway leaves the old file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createConfigManager, editWeightsText, lastGoodPath, type ConfigManager, type WeightsEvent } from './manager.js';
import { createGatewayMetrics } from '../metrics.js';
import { createLogger } from '../log.js';
import type { RampRecord } from './schema.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
const CONFIG = `listeners: { admin: { enabled: false } }
upstreams:
  legacy: { url: "http://127.0.0.1:1" }
  new: { url: "http://127.0.0.1:2" }
routes:
  - { name: main, legacy: legacy, new: new }
  - { name: other, legacy: legacy, new: new }
`;
const WEIGHTS = '# the migration of main\nroutes:\n  main: 50 # half of it\n  other: 0\n';

async function workspace(weights: string | null = WEIGHTS): Promise<{ dir: string; config: string; weights: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'figway-weights-'));
  await writeFile(join(dir, 'figway.yaml'), CONFIG);
  if (weights !== null) await writeFile(join(dir, 'weights.yaml'), weights);
  return { dir, config: join(dir, 'figway.yaml'), weights: join(dir, 'weights.yaml') };
}

function manage(configPath: string): Promise<ConfigManager> {
  return createConfigManager({ configPath, logger: createLogger('silent'), metrics: createGatewayMetrics() });
}

/** withManager runs `body` against a manager of a fresh workspace and cleans up after it. */
async function withManager(body: (manager: ConfigManager, files: { dir: string; config: string; weights: string }) => Promise<void>): Promise<void> {
  const files = await workspace();
  const manager = await manage(files.config);
  try {
    await body(manager, files);
  } finally {
    await manager.close();
    await rm(files.dir, { recursive: true, force: true });
  }
}

const weightOf = (manager: ConfigManager, route: string): number => manager.snapshot().routes.find((r) => r.name === route)!.weight;

test('an emptied, deleted or comment-only weights file is rejected and the last good weights keep serving', () => withManager(async (manager, files) => {
  for (const [what, change] of [
    ['emptied', () => writeFile(files.weights, '')],
    ['comment-only', () => writeFile(files.weights, '# nothing here\n')],
    ['deleted', () => rm(files.weights)],
  ] as const) {
    await change();
    const outcome = await manager.reloadWeights();
    assert.equal(outcome.result, 'rejected', what);
    assert.equal(outcome.issues[0]!.code, 'CONFIG_WEIGHTS_EMPTY', what);
    assert.equal(weightOf(manager, 'main'), 50, `${what}: main keeps 50`);
  }
}));

test('dropping a route that had a weight is rejected; writing it as 0 is the explicit way', () => withManager(async (manager, files) => {
  await writeFile(files.weights, 'routes:\n  other: 0\n');
  const dropped = await manager.reloadWeights();
  assert.equal(dropped.result, 'rejected');
  assert.equal(dropped.issues[0]!.code, 'CONFIG_WEIGHTS_ROUTE_DROPPED');
  assert.match(dropped.issues[0]!.message, /write "main: 0"/);
  assert.equal(weightOf(manager, 'main'), 50);
  await writeFile(files.weights, 'routes:\n  main: 0\n  other: 0\n');
  assert.equal((await manager.reloadWeights()).result, 'applied');
  assert.equal(weightOf(manager, 'main'), 0);
  await writeFile(files.weights, 'routes: {}\n');
  assert.equal((await manager.reloadWeights()).result, 'applied', 'a route at 0 may be left out');
}));

test('"main: 5" cut from "main: 50" is rejected as truncated; the same value ending in a newline is an edit', () => withManager(async (manager, files) => {
  await writeFile(files.weights, 'routes:\n  other: 0\n  main: 5');
  const cut = await manager.reloadWeights();
  assert.equal(cut.result, 'rejected');
  assert.equal(cut.issues[0]!.code, 'CONFIG_WEIGHTS_TRUNCATED');
  assert.equal(cut.issues[0]!.line, 3);
  assert.equal(weightOf(manager, 'main'), 50);
  await writeFile(files.weights, 'routes:\n  other: 0\n  main: 5\n');
  assert.equal((await manager.reloadWeights()).result, 'applied');
  assert.equal(weightOf(manager, 'main'), 5);
}));

test('a weights file that lost the state of a running ramp is rejected; a finished one may go', () => withManager(async (manager, files) => {
  const running: RampRecord = {
    state: 'running', step: 2, weight: 50, stepStartedAt: '2026-12-01T10:00:00.000Z', reason: null, version: 3, fence: 0,
    updatedAt: '2026-12-01T10:00:00.000Z', updatedBy: 'ramp',
  };
  await manager.write({ ramps: { main: running } }, 'ramp');
  await writeFile(files.weights, WEIGHTS);
  const outcome = await manager.reloadWeights();
  assert.equal(outcome.result, 'rejected');
  assert.equal(outcome.issues[0]!.code, 'CONFIG_WEIGHTS_RAMP_STATE_DROPPED');
  assert.equal(manager.weights.ramps.get('main')?.state, 'running');
  await manager.write({ ramps: { main: { ...running, state: 'completed', version: 4 } } }, 'ramp');
  await writeFile(files.weights, WEIGHTS);
  assert.equal((await manager.reloadWeights()).result, 'applied', 'a finished ramp has nothing left to lose');
}));

test('a restart after the file was deleted or cut serves the last good copy kept beside it; a first start serves 0', async () => {
  const files = await workspace();
  const first = await manage(files.config);
  await first.close();
  assert.match(await readFile(lastGoodPath(files.weights), 'utf8'), /main: 50/);
  await rm(files.weights);
  const second = await manage(files.config);
  try {
    assert.equal(weightOf(second, 'main'), 50);
    assert.equal(second.history.at(-1)?.result, 'rejected');
    assert.equal(second.history.at(-1)?.issues[0]?.code, 'CONFIG_WEIGHTS_EMPTY');
  } finally {
    await second.close();
  }
  await writeFile(files.weights, 'routes:\n  other: 0\n  main: 5');
  const third = await manage(files.config);
  try {
    assert.equal(weightOf(third, 'main'), 50, 'a truncated file found at start is not applied either');
  } finally {
    await third.close();
    await rm(files.dir, { recursive: true, force: true });
  }
  const fresh = await workspace(null);
  const firstRun = await manage(fresh.config);
  try {
    assert.equal(weightOf(firstRun, 'main'), 0);
    assert.equal(firstRun.history.length, 0);
  } finally {
    await firstRun.close();
    await rm(fresh.dir, { recursive: true, force: true });
  }
});

test('a write that fails midway leaves the old file whole', async () => {
  const files = await workspace();
  try {
    // A file-size limit of 0 blocks: the CLI's write fails (or the process is killed) before anything is renamed.
    const failed = await promisify(execFile)('/bin/sh', ['-c', `ulimit -f 0; exec "${process.execPath}" "${CLI}" weights set main 75 -c "${files.config}"`])
      .then(() => undefined, (error: { code?: number; signal?: string }) => error);
    assert.ok(failed !== undefined, 'the write must fail under a zero file-size limit');
    assert.equal(await readFile(files.weights, 'utf8'), WEIGHTS);
    // A writer killed mid-write may leave its hidden temporary file; the weights file itself is never touched.
    assert.ok((await readdir(files.dir)).every((name) => name === 'figway.yaml' || name === 'weights.yaml' || name.startsWith('.')));
    const manager = await manage(files.config);
    try {
      assert.equal(weightOf(manager, 'main'), 50);
    } finally {
      await manager.close();
    }
  } finally {
    await rm(files.dir, { recursive: true, force: true });
  }
});

test('writes keep comments and layout, add a ramps section, and tell listeners who changed what', () => withManager(async (manager, files) => {
  const heard: WeightsEvent[] = [];
  manager.onWeights((event) => heard.push(event));
  await manager.setWeight('main', 60, 'api');
  await writeFile(files.weights, (await readFile(files.weights, 'utf8')).replace('other: 0', 'other: 2'));
  await manager.reloadWeights();
  const text = await readFile(files.weights, 'utf8');
  assert.match(text, /^# the migration of main\nroutes:\n {2}main: 60 # half of it\n/);
  assert.deepEqual(heard.map((event) => [event.source, event.changes]), [
    ['api', [{ route: 'main', old: 50, new: 60 }]],
    ['file', [{ route: 'other', old: 0, new: 2 }]],
  ]);
  const edited = editWeightsText(text, { ramps: { main: { state: 'idle', step: -1, weight: 60, stepStartedAt: null, reason: null, version: 1, fence: 0, updatedAt: 'x', updatedBy: 'ops' } } });
  assert.match(edited, /# Ramp state, written by figway/);
  assert.match(edited, /ramps:\n {2}main:\n {4}state: idle\n/);
  assert.match(edited, /main: 60 # half of it/);
}));
