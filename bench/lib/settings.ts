/** Bench settings from the environment: BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_RUN_WARMUP, BENCH_CONNECTIONS, BENCH_QUICK, BENCH_DEADLINE_SECONDS, BENCH_ACCESS_LOG. */

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
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

/** readSettings reads the environment; BENCH_QUICK=1 gives a ~1 minute smoke run. */
export function readSettings(): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    connections: Math.round(num('BENCH_CONNECTIONS', 50)),
    seconds: num('BENCH_SECONDS', quick ? 1.5 : 3),
    warmupSeconds: num('BENCH_WARMUP', quick ? 0.5 : 1),
    runWarmupSeconds: num('BENCH_RUN_WARMUP', quick ? 0.25 : 0.5),
    rounds: Math.round(num('BENCH_ROUNDS', quick ? 1 : 3)),
    quick,
    deadlineSeconds: num('BENCH_DEADLINE_SECONDS', quick ? 120 : 240),
    accessLog: process.env.BENCH_ACCESS_LOG !== undefined ? process.env.BENCH_ACCESS_LOG === '1' : !quick,
    serviceLoadSeconds: quick ? 0.5 : 1.5,
    compareTimeoutSeconds: quick ? 30 : 60,
  };
}
