/**
 * Bench settings from the environment (BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_RUN_WARMUP, BENCH_CONNECTIONS,
 * BENCH_QUICK, BENCH_DEADLINE_SECONDS, BENCH_ACCESS_LOG, BENCH_WORKERS), overridden by command-line flags.
 */
import type { BenchArgs } from './args.js';
import type { Scenario } from './load.js';
import type { TargetName } from './results.js';

/** The knobs of one bench run. */
export interface Settings {
  connections: number;
  seconds: number;
  /** Warm-up of every target and scenario once, before the first round. */
  warmupSeconds: number;
  /** Warm-up before each measured run (new client connections), discarded. */
  runWarmupSeconds: number;
  rounds: number;
  quick: boolean;
  /** The whole bench stops starting new load runs so that it ends within this many seconds. */
  deadlineSeconds: number;
  /** Also bench figway with access logs written to /dev/null. */
  accessLog: boolean;
  /** Load seconds for each Pesto service's peak RSS. */
  serviceLoadSeconds: number;
  /** Upper bound for the comparison-engine benchmark. */
  compareTimeoutSeconds: number;
  /** Gateway processes of the figway-workers target. */
  workers: number;
  /** Load targets to run (undefined: all). */
  targets: ReadonlySet<TargetName> | undefined;
  scenarios: Scenario[];
  /** Root of a second figway checkout (with dist/) benched as figway-b. */
  figwayB: string | undefined;
  /** Node flags of the B build. */
  figwayBFlags: string[];
  /** Write CPU profiles of figway per scenario after the rounds. */
  profile: boolean;
  /** Skip everything after the load runs. */
  loadOnly: boolean;
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

/** readSettings reads the environment, then `args`; BENCH_QUICK=1 (or --quick) gives a ~1 minute smoke run. */
export function readSettings(args: BenchArgs = { profile: false, loadOnly: false }): Settings {
  const quick = args.quick ?? process.env.BENCH_QUICK === '1';
  return {
    connections: args.connections ?? Math.round(num('BENCH_CONNECTIONS', 50)),
    seconds: args.seconds ?? num('BENCH_SECONDS', quick ? 1.5 : 3),
    warmupSeconds: num('BENCH_WARMUP', quick ? 0.5 : 1),
    runWarmupSeconds: num('BENCH_RUN_WARMUP', quick ? 0.25 : 0.5),
    rounds: args.rounds ?? Math.round(num('BENCH_ROUNDS', quick ? 1 : 3)),
    quick,
    deadlineSeconds: num('BENCH_DEADLINE_SECONDS', quick ? 180 : 420),
    accessLog: process.env.BENCH_ACCESS_LOG !== undefined ? process.env.BENCH_ACCESS_LOG === '1' : !quick,
    serviceLoadSeconds: quick ? 0.5 : 1.5,
    compareTimeoutSeconds: quick ? 30 : 60,
    workers: args.workers ?? Math.round(num('BENCH_WORKERS', 2)),
    targets: args.targets,
    scenarios: args.scenarios ?? ['GET', 'POST'],
    figwayB: args.figwayB,
    figwayBFlags: args.figwayBFlags ?? [],
    profile: args.profile,
    loadOnly: args.loadOnly,
  };
}
