/**
 * `npm run bench`: starts an upstream, the baselines (thin undici forwarder, http-proxy, nginx when installed) and
 * figway (without and with 100% mirroring) as separate processes on 127.0.0.1, drives interleaved autocannon runs,
 * accounts each process's CPU and memory from /proc, measures a stalled shadow, the Pesto services' memory and the
 * comparison engine, then prints and writes bench/results/<date>.json, latest.json and latest.md.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../testing/redis-server.js';
import { parseCommandLine, type CommandLine } from '../proxy/command-line.js';
import { killAllNow, onCleanup, sleep, stopAll } from './lib/children.js';
import { measureComparisons } from './lib/comparisons.js';
import { figwayAvailability, type FigwayVariant } from './lib/figway.js';
import { runLoad, type Scenario } from './lib/load.js';
import { benchStartedAt as startedAt, elapsed, log } from './lib/log.js';
import { autocannonVersion, cpuModel } from './lib/machine.js';
import { nginxBinary, nginxVersion, startNginx } from './lib/nginx.js';
import { repoRoot } from './lib/paths.js';
import { clockTicks, rss } from './lib/proc.js';
import { checkTargets, markdownReport } from './lib/report.js';
import { summarize, type BenchResults, type ComparisonFigures, type RunRecord, type StalledShadow, type TargetInfo, type TargetName } from './lib/results.js';
import { measureServices, type ServiceMemory } from './lib/services.js';
import { readSettings } from './lib/settings.js';
import { measureStalledShadow, STALL_SETTLE_SECONDS } from './lib/stalled-shadow.js';
import { DESCRIPTIONS, figwayVariant, startForwarder, startUpstream, type LiveTarget } from './lib/targets.js';

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 400);

async function main(): Promise<void> {
  const settings = readSettings();
  const scenarios: Scenario[] = ['GET', 'POST'];
  const work = mkdtempSync(join(tmpdir(), 'figway-bench-'));
  onCleanup(() => rmSync(work, { recursive: true, force: true }));
  const targets: Partial<Record<TargetName, TargetInfo>> = {};
  const live: LiveTarget[] = [];
  const skip = (name: TargetName, note: string): void => {
    targets[name] = { description: DESCRIPTIONS[name], status: 'skipped', note };
    log(`${name}: ${note}`);
  };

  log(`settings: ${JSON.stringify(settings)}`);
  const upstreamA = await startUpstream('upstream-a');
  const upstreamB = await startUpstream('upstream-b');
  live.push({ name: 'direct', url: upstreamA.url, pid: upstreamA.child.pid });
  live.push(await startForwarder('thin-undici', 'thin-forwarder.js', upstreamA.url));
  live.push(await startForwarder('http-proxy', 'http-proxy-baseline.js', upstreamA.url));

  const nginx = nginxBinary();
  if (nginx === undefined) {
    skip('nginx', 'not installed');
  } else {
    try {
      const port = await freePort();
      const child = await startNginx(nginx, join(work, 'nginx'), port, upstreamA.url);
      live.push({ name: 'nginx', url: `http://127.0.0.1:${port}`, pid: child.pid, child });
      DESCRIPTIONS.nginx = `${nginxVersion(nginx)}, one worker, upstream keep-alive, access_log off`;
    } catch (error) {
      skip('nginx', `failed to start: ${(error as Error).message.slice(0, 300)}`);
    }
  }

  const figwayNames: TargetName[] = ['figway', 'figway-mirror', ...(settings.accessLog ? ['figway-access-log' as const] : [])];
  const unavailable = await figwayAvailability();
  if (unavailable !== undefined) {
    for (const name of figwayNames) skip(name, unavailable);
  } else {
    const extras: Record<string, [string, string, Partial<FigwayVariant>]> = {
      figway: [upstreamA.url, upstreamA.url, {}],
      'figway-mirror': [upstreamA.url, upstreamB.url, { mirror: true }],
      'figway-access-log': [upstreamA.url, upstreamA.url, { accessLog: true }],
    };
    for (const name of figwayNames) {
      const [legacyUrl, newUrl, extra] = extras[name]!;
      try {
        live.push(await figwayVariant(name, work, legacyUrl, newUrl, extra));
      } catch (error) {
        skip(name, `figway failed to start: ${(error as Error).message.slice(0, 400)}`);
      }
    }
  }

  await sleep(1000);
  const upstreamIdle = new Map([upstreamA, upstreamB].map(({ child }) => [child.pid, rss(child.pid).rssBytes]));
  let upstreamMemory: BenchResults['upstreams'] = [];
  for (const target of live) {
    targets[target.name] = { description: DESCRIPTIONS[target.name], status: 'ok', idleRssBytes: rss(target.pid).rssBytes };
  }

  // One-time warm-up of every target (JIT, pools) so the first measured runs are not cold starts.
  log(`warm-up: ${settings.warmupSeconds} s per target and scenario`);
  for (const scenario of scenarios) {
    const warmed = live.filter((target) => target.name !== 'figway-access-log' || scenario === 'GET');
    for (const [url, pid] of [[upstreamB.url, upstreamB.child.pid], ...warmed.map((target) => [target.url, target.pid])] as Array<[string, number]>) {
      await runLoad({ url, scenario, connections: settings.connections, seconds: settings.warmupSeconds, warmupSeconds: 0, primaryPid: pid, accounted: {} });
    }
  }

  // Interleaved rounds: each round rotates the target order so every target meets every position.
  const runs: RunRecord[] = [];
  const runCost = settings.seconds + settings.runWarmupSeconds + 0.3;
  // Kept for what follows the load runs: stalled shadow (two phases), Pesto services, comparison engine.
  const reserve = (4 * settings.seconds + 2 * STALL_SETTLE_SECONDS + 5) + 4 * (settings.serviceLoadSeconds + 3.5) + 10;
  let truncated = false;
  const accounted = { 'upstream-a': upstreamA.child.pid, 'upstream-b': upstreamB.child.pid };
  const runsPerRound = live.length * scenarios.length - (live.some((target) => target.name === 'figway-access-log') ? 1 : 0);
  log(`${runsPerRound} runs × ${settings.rounds} rounds ≈ ${Math.round(runsPerRound * settings.rounds * runCost)} s of load`);
  rounds: for (let round = 0; round < settings.rounds; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length]!);
    for (const scenario of scenarios) {
      for (const target of order) {
        if (target.name === 'figway-access-log' && scenario !== 'GET') continue; // logging cost does not depend on the body
        if (elapsed() + runCost + reserve > settings.deadlineSeconds) {
          truncated = true;
          log(`deadline ${settings.deadlineSeconds} s reached: no more load runs`);
          break rounds;
        }
        const result = await runLoad({
          url: target.url, scenario, connections: settings.connections, seconds: settings.seconds,
          warmupSeconds: settings.runWarmupSeconds, primaryPid: target.pid, accounted,
        });
        runs.push({ round: round + 1, scenario, target: target.name, ...result });
        log(`round ${round + 1} ${scenario.padEnd(4)} ${target.name.padEnd(17)} ${Math.round(result.rps).toString().padStart(6)} req/s  p99 ${result.p99Ms.toFixed(2)} ms  ${result.cpuUsPerRequest.toFixed(1)} µs CPU/req  errors ${result.errors} non-2xx ${result.non2xx}`);
      }
    }
  }
  for (const target of live) {
    const info = targets[target.name];
    if (info !== undefined) info.peakRssBytes = rss(target.pid).hwmBytes;
  }
  upstreamMemory = [upstreamA, upstreamB].map(({ child }) => ({ name: child.name, idleRssBytes: upstreamIdle.get(child.pid) ?? 0, peakRssBytes: rss(child.pid).hwmBytes }));
  // Free the CPU before the remaining measurements.
  for (const target of live) await target.child?.stop();

  // The phases after the load runs must not lose what was measured: a failure becomes a note in the results.
  const stalledShadow = await measureStalledShadow(unavailable, work, upstreamA.url, settings.seconds, settings.connections)
    .catch((error: unknown): StalledShadow => ({ status: 'skipped', note: `failed: ${errorText(error)}` }));
  await upstreamA.child.stop();
  await upstreamB.child.stop();

  log('Pesto services memory');
  const services = await measureServices(settings.serviceLoadSeconds)
    .catch((error: unknown): ServiceMemory[] => [{ name: 'all services', entry: '-', note: `failed: ${errorText(error)}` }]);
  log('comparison engine');
  const comparisons = await measureComparisons(Math.max(15, Math.min(settings.compareTimeoutSeconds, settings.deadlineSeconds - elapsed())))
    .catch((error: unknown): ComparisonFigures => ({ status: 'failed', note: errorText(error) }));

  const partial: Omit<BenchResults, 'checks'> = {
    date: new Date(startedAt).toISOString(),
    node: process.version,
    cpuModel: cpuModel(),
    cores: cpus().length,
    clockTicks: clockTicks(),
    loadGenerator: autocannonVersion(),
    settings: {
      connections: settings.connections, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, runWarmupSeconds: settings.runWarmupSeconds,
      rounds: settings.rounds, quick: settings.quick, deadlineSeconds: settings.deadlineSeconds,
    },
    truncated,
    targets,
    runs,
    summary: summarize(runs),
    stalledShadow,
    upstreams: upstreamMemory,
    services,
    comparisons,
    elapsedSeconds: elapsed(),
  };
  const results: BenchResults = { ...partial, checks: checkTargets(partial) };
  const markdown = markdownReport(results);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(dir, `${results.date.replace(/:/g, '-')}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  writeFileSync(join(dir, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}\nwritten: bench/results/latest.json, bench/results/latest.md\n`);
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopAll();
  process.exit(code);
}
process.on('SIGINT', () => { log('SIGINT: stopping children'); void shutdown(130); });
process.on('SIGTERM', () => { log('SIGTERM: stopping children'); void shutdown(143); });
process.on('exit', killAllNow);
process.on('uncaughtException', (error) => { log(`uncaught: ${error.stack ?? error.message}`); void shutdown(1); });
process.on('unhandledRejection', (reason) => { log(`unhandled rejection: ${String(reason)}`); void shutdown(1); });

const BENCH_COMMAND: CommandLine = {
  name: 'bench',
  help: 'npm run bench -- --help',
  usage: `Usage: npm run bench   (settings from the environment)

Interleaved load runs on 127.0.0.1: direct upstream, thin undici forwarder, http-proxy, nginx (when installed),
figway and figway with 100% mirroring; per-process CPU and RSS; report in bench/results/latest.md.

Environment: BENCH_QUICK=1 (about a minute), BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_RUN_WARMUP,
BENCH_CONNECTIONS, BENCH_DEADLINE_SECONDS, BENCH_ACCESS_LOG (see bench/README.md).
`,
};
const commandLine = parseCommandLine(BENCH_COMMAND, { options: {} });
if (typeof commandLine === 'number') {
  process.exitCode = commandLine;
} else {
  main().then(() => shutdown(0), (error: unknown) => {
    log(`failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    void shutdown(1);
  });
}
