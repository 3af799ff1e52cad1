/** The shape of `bench/results/*.json`, and the summary computed from the raw runs. */
import type { LoadResult, Scenario } from './load.js';
import type { ServiceMemory } from './services.js';
import type { DependencyCost } from './deps.js';
import type { MemoryConfig } from './memory.js';
import type { ProfileRun } from './profiling.js';
import { median, ratio } from './stats.js';

/** Names of the targets, in the order they are reported. */
export const TARGET_ORDER = [
  'direct', 'thin-undici', 'http-proxy', 'nginx', 'figway', 'figway-b', 'figway-workers', 'figway-mirror', 'figway-mirror-b', 'figway-access-log',
] as const;

/** figwayBaselineOf is the unmirrored figway a variant is compared with: figway-b for the B build, else figway. */
export function figwayBaselineOf(target: TargetName): TargetName {
  return target === 'figway-mirror-b' ? 'figway-b' : 'figway';
}

/** A target name. */
export type TargetName = (typeof TARGET_ORDER)[number];

/** What is known about one target outside the load runs. */
export interface TargetInfo {
  description: string;
  status: 'ok' | 'skipped';
  note?: string;
  /** VmRSS after start and a pause, before any load. */
  idleRssBytes?: number;
  /** VmHWM at the end of the bench (the process's lifetime peak). */
  peakRssBytes?: number;
}

/** One measured run. */
export interface RunRecord extends LoadResult {
  round: number;
  scenario: Scenario;
  target: TargetName;
}

/** Medians of one target in one scenario, with ratios against the baselines of the same round. */
export interface TargetSummary {
  runs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  upstreamCpuUsPerRequest: number;
  errors: number;
  non2xx: number;
  requests: number;
  peakRssBytes: number;
  /** True when errors + non-2xx exceed 1% of requests: the figures are not a valid measurement. */
  invalid: boolean;
  rpsVsDirect: number;
  rpsVsThin: number;
  rpsVsHttpProxy: number;
  /** req/s against the unmirrored figway of the same build (figwayBaselineOf), same round. */
  rpsVsFigway: number;
  /** CPU per request against the same baseline (for figway-b: B ÷ A). */
  cpuVsFigway: number;
  p99VsThin: number;
  cpuVsThin: number;
}

/** The stalled-shadow run of figway with mirroring. */
export interface StalledShadow {
  status: 'ok' | 'skipped';
  note?: string;
  /** VmRSS after start, before any load. */
  idleRssBytes?: number;
  /** VmRSS after the first phase of load and the shadow timeouts. */
  rssBeforeBytes?: number;
  /** VmRSS after the second phase of load and the shadow timeouts. */
  rssAfterBytes?: number;
  /** VmHWM at the end. */
  peakRssBytes?: number;
  /** rssAfterBytes − rssBeforeBytes: memory kept by a sustained stall. */
  growthBytes?: number;
  runs?: Array<{ phase: number; scenario: Scenario } & LoadResult>;
}

/** Comparison-engine throughput from bench/compare-bench.ts. */
export interface ComparisonFigures {
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  kb1PerSec?: number;
  kb64PerSec?: number;
  raw?: unknown;
}

/** One target of the issue, checked. */
export interface Check {
  name: string;
  value: string;
  limit: string;
  status: 'PASS' | 'MISS' | 'N/A' | 'INVALID';
  note?: string;
}

/** The whole result file. */
export interface BenchResults {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  clockTicks: number;
  loadGenerator: string;
  settings: {
    connections: number; seconds: number; warmupSeconds: number; runWarmupSeconds: number; rounds: number; quick: boolean; deadlineSeconds: number;
    workers: number; scenarios: Scenario[]; targets?: string[]; figwayB?: string; figwayBFlags?: string[];
  };
  truncated: boolean;
  targets: Partial<Record<TargetName, TargetInfo>>;
  runs: RunRecord[];
  summary: Partial<Record<Scenario, Partial<Record<TargetName, TargetSummary>>>>;
  stalledShadow: StalledShadow;
  /** Memory of the bench's own upstream processes (the direct target's figures). */
  upstreams: Array<{ name: string; idleRssBytes: number; peakRssBytes: number }>;
  /** Idle and peak RSS of figway per configuration (plain, mirroring, mirroring + Redis). */
  memoryConfigs: MemoryConfig[];
  /** RSS of each dependency loaded alone into a bare node. */
  dependencies: DependencyCost[];
  /** --profile: CPU profile summaries per figway target and scenario. */
  profiles: ProfileRun[];
  services: ServiceMemory[];
  comparisons: ComparisonFigures;
  checks: Check[];
  elapsedSeconds: number;
}

function perRoundRatio(runs: RunRecord[], target: TargetName, baseline: TargetName,
  pick: (run: RunRecord) => number): number {
  const values: number[] = [];
  for (const run of runs) {
    if (run.target !== target) continue;
    const base = runs.find((other) => other.target === baseline && other.round === run.round && other.scenario === run.scenario);
    if (base !== undefined) values.push(ratio(pick(run), pick(base)));
  }
  return median(values);
}

/** summarize computes medians per target and scenario, and each ratio as the median of per-round ratios. */
export function summarize(runs: RunRecord[]): BenchResults['summary'] {
  const summary: BenchResults['summary'] = {};
  for (const scenario of ['GET', 'POST'] as const) {
    const ofScenario = runs.filter((run) => run.scenario === scenario);
    const perTarget: Partial<Record<TargetName, TargetSummary>> = {};
    for (const target of TARGET_ORDER) {
      const mine = ofScenario.filter((run) => run.target === target);
      if (mine.length === 0) continue;
      const requests = mine.reduce((sum, run) => sum + run.requests, 0);
      const errors = mine.reduce((sum, run) => sum + run.errors, 0);
      const non2xx = mine.reduce((sum, run) => sum + run.non2xx, 0);
      const upstreamUs = (run: RunRecord): number => {
        const cpu = Object.entries(run.cpuSeconds).filter(([label]) => label.startsWith('upstream'))
          .reduce((sum, [, seconds]) => sum + seconds, 0);
        return run.requests > 0 ? (cpu / run.requests) * 1e6 : Number.NaN;
      };
      perTarget[target] = {
        runs: mine.length,
        rps: median(mine.map((run) => run.rps)),
        p50Ms: median(mine.map((run) => run.p50Ms)),
        p99Ms: median(mine.map((run) => run.p99Ms)),
        cpuUsPerRequest: median(mine.map((run) => run.cpuUsPerRequest)),
        upstreamCpuUsPerRequest: median(mine.map(upstreamUs)),
        errors,
        non2xx,
        requests,
        peakRssBytes: Math.max(...mine.map((run) => run.peakRssBytes)),
        invalid: requests === 0 || (errors + non2xx) / Math.max(1, requests) > 0.01,
        rpsVsDirect: perRoundRatio(ofScenario, target, 'direct', (run) => run.rps),
        rpsVsThin: perRoundRatio(ofScenario, target, 'thin-undici', (run) => run.rps),
        rpsVsHttpProxy: perRoundRatio(ofScenario, target, 'http-proxy', (run) => run.rps),
        rpsVsFigway: perRoundRatio(ofScenario, target, figwayBaselineOf(target), (run) => run.rps),
        cpuVsFigway: perRoundRatio(ofScenario, target, figwayBaselineOf(target), (run) => run.cpuUsPerRequest),
        p99VsThin: perRoundRatio(ofScenario, target, 'thin-undici', (run) => run.p99Ms),
        cpuVsThin: perRoundRatio(ofScenario, target, 'thin-undici', (run) => run.cpuUsPerRequest),
      };
    }
    summary[scenario] = perTarget;
  }
  return summary;
}
