/**
 * Gates: pure judgements of one route's step window. Each gate is pass, fail or hold; too few samples is always hold
 * (never pass, never fail), and a hold's detail says which gate lacks what. Coverage holds but never fails: dropped
 * evidence is not evidence of a regression either. During a 0 % shadow bake no client is on new, so the gates on
 * client traffic (error rate, latency) are not judged and the mirrored comparisons decide alone.
 */
import type { RampGatesConfig } from '../config/schema.js';
import {
  CONCLUSIVE_RESULTS, classCounts, comparedCount, describeFinding, droppedCount, errorRate, p99Ms, sampledCount, topFindings, unexpectedComparisons, type RouteWindow,
} from '../evidence/window.js';

/** GateStatus is one gate's judgement, as RampStatus.gates carries it (CONTRACTS.md). */
export interface GateStatus {
  name: string;
  status: 'pass' | 'fail' | 'hold';
  value: number | null;
  threshold: number;
  samples: { legacy: number; new: number } | number;
  minSamples: number;
  detail: string;
}

/** PromqlValue is a PromQL gate's reading: a number, or why there is none. */
export interface PromqlValue {
  name: string;
  value: number | null;
  error?: string;
}

const percent = (ratio: number, digits = 1): string => `${(ratio * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
const ms = (value: number): string => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

function lacking(samples: { legacy: number; new: number }, min: number, unit: string): string {
  const short = (['legacy', 'new'] as const).filter((side) => samples[side] < min).map((side) => `${side} has ${samples[side]} of ${min} ${unit}`);
  return short.join(', ');
}

function errorRateGate(window: RouteWindow, config: RampGatesConfig['errorRate'], weight: number): GateStatus {
  const counters = window.counters;
  const samples = { legacy: counters.sides.legacy.requests, new: counters.sides.new.requests };
  const base = { name: 'error-rate', threshold: config.maxIncrease, samples, minSamples: config.minRequests };
  if (weight === 0) return { ...base, status: 'pass', value: null, detail: 'not judged in the shadow bake: no client is on new' };
  if (samples.legacy < config.minRequests || samples.new < config.minRequests) {
    return { ...base, status: 'hold', value: null, detail: `error rate: ${lacking(samples, config.minRequests, 'requests needed')}` };
  }
  const legacy = errorRate(counters, 'legacy')!;
  const fresh = errorRate(counters, 'new')!;
  const value = fresh - legacy;
  const detail = `new ${percent(fresh, 2)} errors vs legacy ${percent(legacy, 2)} (${counters.sides.new.errors} of ${samples.new} vs ${counters.sides.legacy.errors} of ${samples.legacy}; limit +${percent(config.maxIncrease, 2)})`;
  return { ...base, status: value > config.maxIncrease ? 'fail' : 'pass', value, detail: `error rate: ${detail}` };
}

function latencyGate(window: RouteWindow, config: RampGatesConfig['latencyP99'], weight: number): GateStatus {
  const counters = window.counters;
  const samples = { legacy: counters.sides.legacy.requests, new: counters.sides.new.requests };
  const base = { name: 'latency-p99', threshold: config.maxRatio, samples, minSamples: config.minRequests };
  if (weight === 0) return { ...base, status: 'pass', value: null, detail: 'not judged in the shadow bake: no client is on new' };
  const legacy = p99Ms(counters, 'legacy');
  const fresh = p99Ms(counters, 'new');
  if (samples.legacy < config.minRequests || samples.new < config.minRequests || legacy === null || fresh === null) {
    return { ...base, status: 'hold', value: null, detail: `p99 latency: ${lacking(samples, config.minRequests, 'requests needed') || 'no latency observed'}` };
  }
  const value = legacy === 0 ? (fresh === 0 ? 1 : Number.POSITIVE_INFINITY) : fresh / legacy;
  const failed = value > config.maxRatio && fresh - legacy > config.slackMs;
  const detail = `p99 latency: new ${ms(fresh)} vs legacy ${ms(legacy)} (×${Number.isFinite(value) ? value.toFixed(2) : '∞'}; limit ×${config.maxRatio}, or +${config.slackMs} ms)`;
  return { ...base, status: failed ? 'fail' : 'pass', value: Number.isFinite(value) ? value : null, detail };
}

function unexpectedGate(window: RouteWindow, config: RampGatesConfig['unexpectedDifferences'], mirrors: boolean): GateStatus {
  const compared = comparedCount(window.counters);
  const base = { name: 'unexpected-differences', threshold: config.maxRate, samples: compared, minSamples: config.minComparisons };
  if (!mirrors) return { ...base, status: 'hold', value: null, detail: 'unexpected differences: the route does not mirror, so nothing is compared (add mirror: to the route)' };
  if (compared < config.minComparisons) {
    return { ...base, status: 'hold', value: null, detail: `unexpected differences: ${compared} of ${config.minComparisons} comparisons needed` };
  }
  const unexpected = unexpectedComparisons(window);
  const value = unexpected / compared;
  if (value > config.maxRate) {
    const top = topFindings(window, 3);
    const finding = top.length === 0 ? `${unexpected} of ${compared} comparisons` : top.map((one) => describeFinding(one, compared)).join('; ');
    // Without patterns a path's class is unknown when several classes occurred: list the classes apart.
    const classes = top.some((one) => one.class === undefined) ? ` (by class: ${classCounts(window)})` : '';
    return { ...base, status: 'fail', value, detail: `unexpected differences ${percent(value)} > ${percent(config.maxRate)}${classes}: ${finding}` };
  }
  return { ...base, status: 'pass', value, detail: `unexpected differences: ${unexpected} of ${compared} comparisons (${percent(value)}; limit ${percent(config.maxRate)})` };
}

function coverageGate(window: RouteWindow, config: RampGatesConfig['coverage'], mirrors: boolean): GateStatus {
  const counters = window.counters;
  const sampled = sampledCount(counters);
  const compared = comparedCount(counters);
  const base = { name: 'coverage', threshold: config.min, samples: sampled, minSamples: config.minSampled };
  if (!mirrors) return { ...base, status: 'hold', value: null, detail: 'coverage: the route does not mirror, so nothing is sampled' };
  if (sampled < config.minSampled) return { ...base, status: 'hold', value: null, detail: `coverage: ${sampled} of ${config.minSampled} sampled shadows needed` };
  const value = Math.min(1, compared / sampled);
  const dropped = Object.entries(counters.droppedByReason).sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${reason} ${count}`);
  const inconclusive = Object.entries(counters.comparisons).filter(([result]) => !CONCLUSIVE_RESULTS.has(result)).map(([result, count]) => `${result} ${count}`);
  const notCompared = [...dropped, ...inconclusive].slice(0, 3);
  // Sampled shadows neither compared nor dropped yet are still queued or in flight (a backlog, not a loss).
  const pending = Math.max(0, sampled - compared - droppedCount(counters));
  const why = `${notCompared.length > 0 ? `; not compared: ${notCompared.join(', ')}` : ''}${pending > 0 ? `; ${pending} still queued or in flight` : ''}`;
  const detail = `coverage ${percent(value, 0)} ${value < config.min ? '<' : '≥'} ${percent(config.min, 0)} (${compared} of ${sampled} sampled compared${why})`;
  return { ...base, status: value < config.min ? 'hold' : 'pass', value, detail };
}

function promqlGate(gate: RampGatesConfig['promql'][number], reading: PromqlValue | undefined): GateStatus {
  const threshold = gate.max ?? gate.min!;
  const base = { name: `promql:${gate.name}`, threshold, samples: reading?.value === null || reading === undefined ? 0 : 1, minSamples: 1 };
  if (reading === undefined || reading.value === null) {
    return { ...base, status: 'hold', value: null, detail: `promql:${gate.name}: no value${reading?.error === undefined ? '' : ` (${reading.error})`}` };
  }
  const value = reading.value;
  const tooHigh = gate.max !== undefined && value > gate.max;
  const tooLow = gate.min !== undefined && value < gate.min;
  const bound = tooHigh ? `> max ${gate.max}` : tooLow ? `< min ${gate.min}` : 'within bounds';
  return { ...base, status: tooHigh || tooLow ? 'fail' : 'pass', value, detail: `promql:${gate.name} = ${value} ${bound}` };
}

/** evaluateGates judges a route's window at `weight`; `mirrors` says whether the route mirrors (else comparisons hold). */
export function evaluateGates(window: RouteWindow, gates: RampGatesConfig, weight: number, mirrors: boolean, promql: readonly PromqlValue[] = []): GateStatus[] {
  return [
    errorRateGate(window, gates.errorRate, weight),
    latencyGate(window, gates.latencyP99, weight),
    unexpectedGate(window, gates.unexpectedDifferences, mirrors),
    coverageGate(window, gates.coverage, mirrors),
    ...gates.promql.map((gate) => promqlGate(gate, promql.find((reading) => reading.name === gate.name))),
  ];
}
