import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { TEST_ADMIN_TOKEN } from '../testing/figway.js';
import { startRampFigway } from '../testing/ramp-figway.js';
import { freePort } from '../testing/redis-server.js';
import { ramp as rampVerb, status as statusVerb, weight as weightVerb } from './cli-admin.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');

interface Ran { code: number; stdout: string; stderr: string }

/** spawned runs the real CLI (one process start costs about a second: used for the wiring only). */
async function spawned(args: string[], env: Record<string, string>): Promise<Ran> {
  return promisify(execFile)(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

const VERBS = { status: statusVerb, weight: weightVerb, ramp: rampVerb } as const;

/** figwayCli runs a verb in this process, as `figway <verb> …` would, capturing its output. */
async function figwayCli([verb, ...args]: string[], env: Record<string, string>): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const output = { out: { write: (text: string) => { stdout += text; } }, err: { write: (text: string) => { stderr += text; } } };
  const code = await VERBS[verb as keyof typeof VERBS](args, env, output);
  return { code, stdout, stderr };
}

test('figway status, weight and ramp act through the admin API, with documented exit codes', async () => {
  const { figway, ramp, close } = await startRampFigway({
    evidence: { intervalMs: 1000 },
    routes: [
      { name: 'api', legacy: 'legacy', new: 'new', match: { pathPrefix: '/api' }, mirror: { sampleRate: 1 }, ramp: { steps: [0, 50, 100], minStepMs: 0 } },
      { name: 'web', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } },
    ],
  }, { api: 0, web: 0 });
  const env = { FIGWAY_ADMIN_URL: figway.adminUrl!, FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
  try {
    for (const verb of [['status'], ['weight'], ['ramp']]) {
      const help = await figwayCli([...verb, '--help'], {});
      assert.equal(help.code, 0, verb.join(' '));
      assert.match(help.stdout, /Exit codes: 0 done, 1 refused by figway/);
    }
    assert.equal((await figwayCli(['ramp', 'api', 'launch'], env)).code, 2);
    assert.match((await figwayCli(['ramp', 'api', 'launch'], env)).stderr, /^figway ramp: unknown action "launch" \(one of start, pause, resume, promote, abort\)/);
    assert.equal((await figwayCli(['weight', 'api'], env)).code, 2);
    assert.equal((await figwayCli(['weight', 'api', 'lots'], env)).code, 2);

    const started = await spawned(['ramp', 'api', 'start', '--reason', 'bake first'], env);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^api: running at 0% — /);
    const refused = await figwayCli(['ramp', 'api', 'resume'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only a paused ramp can be resumed .*\[ADMIN_RAMP_CONFLICT\]/);
    assert.equal((await figwayCli(['ramp', 'ghost', 'start'], env)).code, 1);

    const set = await figwayCli(['weight', 'web', '25', '--reason', 'canary'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^web = 25% on new/);
    const outOfRange = await figwayCli(['weight', 'web', '140'], env);
    assert.equal(outOfRange.code, 1);
    assert.match(outOfRange.stderr, /ADMIN_BAD_WEIGHT/);
    assert.deepEqual(figway.audit.entries().map((entry) => [entry.action, entry.route, entry.why]), [['weight.set', 'web', 'canary'], ['ramp.start', 'api', 'bake first']]);

    await ramp.controller()!.tick();
    await (await request(`${figway.gatewayUrl}/web`)).body.text();
    await ramp.controller()!.tick();
    const shown = await figwayCli(['status'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^api {2}\s+0%  last minute: legacy 0, new 0 client requests\n\s+ramp running, step 1 of 3 \(0 → 50 → 100\)\n\s+holding at 0%: /);
    assert.match(shown.stdout, /\nweb {2}\s+25%  last minute: legacy \d, new \d client requests\n/);
    const json = JSON.parse((await figwayCli(['status', '--json'], env)).stdout) as { routes: Array<{ name: string; ramp: { state: string } | null }> };
    assert.deepEqual(json.routes.map((route) => [route.name, route.ramp?.state ?? null]), [['api', 'running'], ['web', null]]);

    const wrongToken = await spawned(['status'], { ...env, FIGWAY_ADMIN_TOKEN: 'wrong-token-wrong-token' });
    assert.equal(wrongToken.code, 3);
    assert.match(wrongToken.stderr, /refused the token/);
    const nobody = await figwayCli(['status', '--admin-url', `http://127.0.0.1:${await freePort()}`], env);
    assert.equal(nobody.code, 3);
    assert.match(nobody.stderr, /^figway status: cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+/);
  } finally {
    await close();
  }
});
