/**
 * The ramp state machine: pure functions from (ramp record, ramp config, gates or an action, time) to the next record
 * and the transition taken. No I/O, no clock of its own: the controller (controller.ts) feeds it and persists what it
 * returns, so every transition can be tested exactly.
 *
 *   idle ──start──▶ running ──(gates pass, min time)──▶ running (next step) … ──▶ completed (last step)
 *                    │  ▲                  └─(next step needs approval)──▶ awaiting-approval ──promote──▶ running
 *                    │  └──resume── paused ◀──pause / a weight edited by hand
 *                    └─(a gate fails)──▶ halted (weight rolled back to 0 or the previous step)
 *   abort (from any state but idle) ──▶ idle at weight 0
 */
import type { RampConfig, RampRecord, TransitionKind } from '../config/schema.js';
import type { GateStatus } from './gates.js';

/** RampAction is what a human can ask of a ramp. */
export type RampAction = 'start' | 'pause' | 'resume' | 'promote' | 'abort';

/** RAMP_ACTIONS lists the actions, for validation. */
export const RAMP_ACTIONS: readonly RampAction[] = ['start', 'pause', 'resume', 'promote', 'abort'];

/** Transition is one change of a ramp: its kind, the weights before and after, and why. `await-approval` is a state change only. */
export interface Transition {
  kind: TransitionKind | 'await-approval';
  from: { state: RampRecord['state']; weight: number };
  to: { state: RampRecord['state']; weight: number };
  reason: string | null;
  who: string;
}

/** Context is when and by whom. */
export interface Context {
  now: number;
  who: string;
  why?: string;
}

/** Outcome is the next record and the transition taken (none: the record is unchanged). */
export interface Outcome {
  record: RampRecord;
  transition?: Transition;
  verdict: string;
}

/** Refusal is an action that is not allowed in the ramp's state (HTTP 409). */
export interface Refusal {
  refused: string;
}

/** idleRecord is the state of a route whose ramp never started. */
export function idleRecord(weight: number): RampRecord {
  return { state: 'idle', step: -1, weight, stepStartedAt: null, reason: null, version: 0, fence: 0, updatedAt: new Date(0).toISOString(), updatedBy: 'figway' };
}

/** formatDuration renders ms as "4 min 10 s" / "12 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes < 60) return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** stepAtOrBelow is the highest step whose weight is ≤ `weight` (0 when every step is above it). */
export function stepAtOrBelow(steps: readonly number[], weight: number): number {
  let index = 0;
  steps.forEach((step, i) => { if (step <= weight) index = i; });
  return index;
}

function move(record: RampRecord, next: Partial<RampRecord>, context: Context, kind: Transition['kind'], reason: string | null): Outcome {
  const updated: RampRecord = {
    ...record, ...next, version: record.version + 1, updatedAt: new Date(context.now).toISOString(), updatedBy: context.who,
  };
  const transition: Transition = {
    kind, from: { state: record.state, weight: record.weight }, to: { state: updated.state, weight: updated.weight }, reason, who: context.who,
  };
  return { record: updated, transition, verdict: verdictOf(updated, undefined, undefined, context.now) };
}

function enterStep(record: RampRecord, ramp: RampConfig, step: number, context: Context, kind: Transition['kind'], reason: string | null): Outcome {
  const last = step >= ramp.steps.length - 1;
  return move(record, {
    state: last ? 'completed' : 'running', step, weight: ramp.steps[step]!, stepStartedAt: new Date(context.now).toISOString(), reason,
  }, context, last && kind === 'promote' ? 'complete' : kind, reason);
}

/**
 * act applies a human action. `weightInForce` is the route's weight now (it may differ from the record's after a hand
 * edit): start and resume continue from the highest step at or below it, so no client moves back to legacy.
 */
export function act(record: RampRecord, ramp: RampConfig, action: RampAction, context: Context, weightInForce: number): Outcome | Refusal {
  const why = context.why ?? null;
  switch (action) {
    case 'start':
      if (record.state !== 'idle' && record.state !== 'halted') return { refused: `the ramp is ${record.state}; ${record.state === 'completed' ? 'abort it first to start over' : 'pause, resume or abort it instead'}` };
      return enterStep({ ...record, weight: weightInForce }, ramp, stepAtOrBelow(ramp.steps, weightInForce), context, 'start', why);
    case 'pause':
      if (record.state !== 'running' && record.state !== 'awaiting-approval') return { refused: `only a running ramp can be paused (it is ${record.state})` };
      return move(record, { state: 'paused', reason: why ?? `paused by ${context.who}` }, context, 'pause', why ?? `paused by ${context.who}`);
    case 'resume': {
      if (record.state !== 'paused') return { refused: `only a paused ramp can be resumed (it is ${record.state}${record.state === 'halted' ? '; start it again once the cause is fixed' : ''})` };
      const step = stepAtOrBelow(ramp.steps, weightInForce);
      return enterStep({ ...record, weight: weightInForce }, ramp, step, context, 'resume', why);
    }
    case 'promote': {
      if (record.state !== 'running' && record.state !== 'awaiting-approval' && record.state !== 'paused') {
        return { refused: `only a running, paused or waiting ramp can be promoted (it is ${record.state})` };
      }
      const next = Math.min(record.step + 1, ramp.steps.length - 1);
      return enterStep(record, ramp, next, context, 'promote', why ?? `promoted by ${context.who}`);
    }
    case 'abort':
      if (record.state === 'idle') return { refused: 'the ramp is idle: nothing to abort' };
      return move(record, { state: 'idle', step: -1, weight: 0, stepStartedAt: null, reason: why ?? `aborted by ${context.who}` }, context, 'abort', why ?? `aborted by ${context.who}`);
    default:
      return { refused: `unknown action "${String(action)}"` };
  }
}

/**
 * evaluate judges a running or waiting ramp on its gates: a failed gate rolls back and halts; holds and the minimum
 * time keep the step; otherwise the next step is entered (or awaited, when it needs approval). A weight in force
 * that differs from the ramp's own is a hand edit: the ramp pauses and says so.
 */
export function evaluate(record: RampRecord, ramp: RampConfig, gates: readonly GateStatus[], context: Context, weightInForce: number): Outcome {
  if (record.state !== 'running' && record.state !== 'awaiting-approval') return { record, verdict: verdictOf(record, gates, ramp, context.now) };
  if (weightInForce !== record.weight) return handEdit(record, weightInForce, context);
  if (ramp.steps[record.step] !== record.weight) {
    // The configuration's steps changed under a running ramp: never guess where it stands.
    const reason = `the ramp's steps changed (now ${ramp.steps.join(', ')}); paused at ${record.weight}% — resume continues from the step at or below it`;
    return move(record, { state: 'paused', reason }, context, 'pause', reason);
  }
  const failed = gates.find((gate) => gate.status === 'fail');
  if (failed !== undefined) {
    const target = ramp.rollbackTo === 'previous' && record.step > 0 ? ramp.steps[record.step - 1]! : 0;
    const rolledBack = target < record.weight;
    const reason = `${failed.detail}${rolledBack ? ` — rolled back from ${record.weight}% to ${target}%` : ` — halted at ${record.weight}%`}`;
    const step = ramp.steps.findLastIndex((step) => step <= target);
    return move(record, { state: 'halted', step, weight: rolledBack ? target : record.weight, reason }, context, rolledBack ? 'rollback' : 'halt', reason);
  }
  if (record.state === 'awaiting-approval') return { record, verdict: verdictOf(record, gates, ramp, context.now) };
  const holding = gates.filter((gate) => gate.status === 'hold');
  const elapsed = context.now - Date.parse(record.stepStartedAt ?? new Date(context.now).toISOString());
  if (holding.length > 0 || elapsed < ramp.minStepMs) return { record, verdict: verdictOf(record, gates, ramp, context.now) };
  const next = record.step + 1;
  if (next >= ramp.steps.length) return { record, verdict: verdictOf(record, gates, ramp, context.now) };
  if (ramp.approvalBefore.includes(ramp.steps[next]!)) {
    const reason = `gates passed at ${record.weight}%; ${ramp.steps[next]}% needs approval (figway ramp <route> promote)`;
    return move(record, { state: 'awaiting-approval', reason }, context, 'await-approval', reason);
  }
  const summary = `gates passed at ${record.weight}% for ${formatDuration(elapsed)}`;
  return enterStep(record, ramp, next, { ...context }, 'promote', summary);
}

/** handEdit pauses a running or waiting ramp whose weight was changed by someone else. */
export function handEdit(record: RampRecord, weightInForce: number, context: Context): Outcome {
  const reason = `the weight was set to ${weightInForce}% by hand while the ramp had ${record.weight}%; paused (resume continues from the step at or below ${weightInForce}%)`;
  return move(record, { state: 'paused', weight: weightInForce, reason }, context, 'pause', reason);
}

/** verdictOf says in one line where a ramp stands and why. */
export function verdictOf(record: RampRecord, gates: readonly GateStatus[] | undefined, ramp: RampConfig | undefined, now: number): string {
  switch (record.state) {
    case 'idle': return record.reason === null ? 'idle: not started' : `idle: ${record.reason}`;
    case 'paused': return `paused at ${record.weight}%: ${record.reason ?? 'no reason given'}`;
    case 'halted': return `halted at ${record.weight}%: ${record.reason ?? 'no reason given'}`;
    case 'completed': return `completed: ${record.weight}% on new${record.weight === 100 ? '; legacy gets no client traffic, only mirrored copies' : ''}`;
    case 'awaiting-approval': return `awaiting approval at ${record.weight}%: ${record.reason ?? ''}`.trim();
    default:
  }
  const hold = gates?.find((gate) => gate.status === 'hold');
  if (hold !== undefined) return `holding at ${record.weight}%: ${hold.detail}`;
  if (gates === undefined || ramp === undefined) return `running at ${record.weight}%`;
  const elapsed = now - Date.parse(record.stepStartedAt ?? new Date(now).toISOString());
  if (elapsed < ramp.minStepMs) return `running at ${record.weight}%: gates pass; ${formatDuration(ramp.minStepMs - elapsed)} left of the ${formatDuration(ramp.minStepMs)} minimum`;
  return `running at ${record.weight}%: gates pass`;
}
