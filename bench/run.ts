/**
 * `npm run bench`: starts an upstream, the baselines (thin undici forwarder, http-proxy, nginx when installed) and
 * figway (without and with 100% mirroring) as separate processes on 127.0.0.1, drives interleaved autocannon runs,
 * accounts each process's CPU and memory from /proc, measures a stalled shadow, the Pesto services' memory and the
 * comparison engine, then prints and writes bench/results/<date>.json, latest.json and latest.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseBenchArgs, type BenchArgs } from './lib/args.js';
import { measureDependencies, type DependencyCost } from './lib/deps.js';
import { measureMemoryConfigs, MEMORY_PHASE_SECONDS, type MemoryConfig } from './lib/memory.js';
import { profileFigway } from './lib/profiling.js';
import { freePort } from '../testing/redis-server.js';
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

async function main(args: BenchArgs): Promise<void> {
  const settings = readSettings(args);
  const scenarios: Scenario[] = settings.scenarios;
  const wanted = (name: TargetName): boolean => settings.targets === undefined || settings.targets.has(name);
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
  if (wanted('thin-undici')) live.push(await startForwarder('thin-undici', 'thin-forwarder.js', upstreamA.url));
  if (wanted('http-proxy')) live.push(await startForwarder('http-proxy', 'http-proxy-baseline.js', upstreamA.url));

  const nginx = wanted('nginx') ? nginxBinary() : undefined;
  if (!wanted('nginx')) {
    // not asked for
  } else if (nginx === undefined) {
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

  const figwayB = settings.figwayB === undefined ? undefined : join(resolve(settings.figwayB), 'dist', 'proxy', 'cli.js');
  const figwayNames = ([
    'figway', ...(figwayB === undefined ? [] : ['figway-b' as const]), 'figway-workers', 'figway-mirror',
    ...(figwayB === undefined ? [] : ['figway-mirror-b' as const]), ...(settings.accessLog ? ['figway-access-log' as const] : []),
  ] as TargetName[]).filter((name) => wanted(name) || (name === 'figway-mirror-b' && wanted('figway-mirror')) || (name === 'figway-b' && wanted('figway')));
  const unavailable = await figwayAvailability();
  if (figwayB !== undefined && !existsSync(figwayB)) throw new Error(`--figway-b: ${figwayB} does not exist (build that checkout first)`);
  const extras: Record<string, [string, string, Partial<FigwayVariant>]> = {
    figway: [upstreamA.url, upstreamA.url, {}],
    'figway-b': [upstreamA.url, upstreamA.url, { cli: figwayB, nodeFlags: settings.figwayBFlags }],
    'figway-workers': [upstreamA.url, upstreamA.url, { workers: settings.workers }],
    'figway-mirror': [upstreamA.url, upstreamB.url, { mirror: true }],
    'figway-mirror-b': [upstreamA.url, upstreamB.url, { mirror: true, cli: figwayB, nodeFlags: settings.figwayBFlags }],
    'figway-access-log': [upstreamA.url, upstreamA.url, { accessLog: true }],
  };
  if (unavailable !== undefined) {
    for (const name of figwayNames) skip(name, unavailable);
  } else {
    if (figwayNames.includes('figway-workers')) DESCRIPTIONS['figway-workers'] = `as figway with \`workers: ${settings.workers}\` (node:cluster, one admin listener in the primary); CPU and RSS summed over all its processes`;
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
  const figwayLive = live.filter((target) => target.name.startsWith('figway'));
  const profileCost = settings.profile ? (figwayLive.length + 2) * scenarios.length * (settings.seconds + 4) : 0;
  const reserve = profileCost + (settings.loadOnly ? 0
    : (4 * settings.seconds + 2 * STALL_SETTLE_SECONDS + 5) + 4 * (settings.serviceLoadSeconds + 3.5) + 10 + MEMORY_PHASE_SECONDS + 2 * settings.seconds);
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

  // Profiles are taken apart from the measured runs: the profiler's own cost must not reach the figures.
  let profiles: BenchResults['profiles'] = [];
  if (settings.profile && unavailable === undefined) {
    const profileRoot = join(repoRoot, 'bench', 'results', 'profiles', new Date(startedAt).toISOString().replace(/:/g, '-'));
    profiles = await profileFigway(live.map((target) => target.name), scenarios, profileRoot, work, extras, settings, upstreamA.url)
      .catch((error: unknown) => [{ target: 'all', scenario: '-', note: `failed: ${errorText(error)}`, summaries: [] }]);
  }

  // The phases after the load runs must not lose what was measured: a failure becomes a note in the results.
  let stalledShadow: StalledShadow = { status: 'skipped', note: '--load-only' };
  let memoryConfigs: MemoryConfig[] = [];
  let dependencies: DependencyCost[] = [];
  if (!settings.loadOnly) {
    log('memory per configuration');
    memoryConfigs = await measureMemoryConfigs(unavailable, work, upstreamA.url, upstreamB.url, settings)
      .catch((error: unknown): MemoryConfig[] => [{ name: 'all', note: `failed: ${errorText(error)}` }]);
    log('dependency costs');
    dependencies = await measureDependencies().catch((error: unknown): DependencyCost[] => [{ name: 'all', note: `failed: ${errorText(error)}` }]);
    stalledShadow = await measureStalledShadow(unavailable, work, upstreamA.url, settings.seconds, settings.connections)
      .catch((error: unknown): StalledShadow => ({ status: 'skipped', note: `failed: ${errorText(error)}` }));
  }
  await upstreamA.child.stop();
  await upstreamB.child.stop();

  let services: ServiceMemory[] = [];
  let comparisons: ComparisonFigures = { status: 'skipped', note: '--load-only' };
  if (!settings.loadOnly) {
    log('Pesto services memory');
    services = await measureServices(settings.serviceLoadSeconds)
      .catch((error: unknown): ServiceMemory[] => [{ name: 'all services', entry: '-', note: `failed: ${errorText(error)}` }]);
    log('comparison engine');
    comparisons = await measureComparisons(Math.max(15, Math.min(settings.compareTimeoutSeconds, settings.deadlineSeconds - elapsed())))
      .catch((error: unknown): ComparisonFigures => ({ status: 'failed', note: errorText(error) }));
  }

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
      workers: settings.workers, scenarios, ...(settings.targets === undefined ? {} : { targets: [...settings.targets] }),
      ...(settings.figwayB === undefined ? {} : { figwayB: resolve(settings.figwayB), figwayBFlags: settings.figwayBFlags }),
    },
    truncated,
    targets,
    runs,
    summary: summarize(runs),
    stalledShadow,
    upstreams: upstreamMemory,
    memoryConfigs,
    dependencies,
    profiles,
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
  // A partial run (--targets, --scenarios, --load-only, an A/B) or a quick smoke must not replace the full run the README quotes.
  const partialRun = settings.quick || settings.targets !== undefined || settings.scenarios.length < 2 || settings.loadOnly || settings.figwayB !== undefined;
  const latest = partialRun ? 'latest-partial' : 'latest';
  writeFileSync(join(dir, `${latest}.json`), json);
  writeFileSync(join(dir, `${latest}.md`), markdown);
  process.stdout.write(`\n${markdown}\nwritten: bench/results/${latest}.json, bench/results/${latest}.md\n`);
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

const parsed = parseBenchArgs(process.argv.slice(2));
if (parsed.kind === 'exit') {
  if (parsed.stdout !== undefined) process.stdout.write(parsed.stdout);
  if (parsed.stderr !== undefined) process.stderr.write(parsed.stderr);
  process.exit(parsed.code);
}
main(parsed.args).then(() => shutdown(0), (error: unknown) => {
  log(`failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  void shutdown(1);
});
