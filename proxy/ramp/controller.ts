/**
 * The ramp controller drives the state machine (machine.ts): every evidence interval it adds each route's deltas to
 * the current step's window, judges the gates, and persists what the machine decides (compare-and-set through the
 * RampStore), then records the transition — audit entry, metrics, webhook, in-process event. Human actions go through
 * the same path. Its clock is injected and its loop is `tick()`, so tests walk whole ramps without sleeping.
 */
import type { Logger } from 'pino';
import type { FigwayConfig, RampConfig, RampRecord } from '../config/schema.js';
import type { AuditLog } from '../audit.js';
import type { FigwayEvents } from '../events.js';
import type { Evidence } from '../evidence/evidence.js';
import { emptyWindow, extendWindow, type RouteWindow } from '../evidence/window.js';
import { evaluateGates, type GateStatus, type PromqlValue } from './gates.js';
import { act, evaluate, idleRecord, verdictOf, type Outcome, type RampAction } from './machine.js';
import type { RampMetrics } from './metrics.js';
import { RampConflictError, RampUnavailableError, type RampStore } from './store.js';
import type { RampStatus } from './status.js';
import type { WebhookSender } from './webhooks.js';

/** RampError is an action the API answers with an error status: 404 no such ramp, 409 not now, 503 store unreachable. */
export class RampError extends Error {
  constructor(readonly status: 404 | 409 | 503, message: string) {
    super(message);
  }
}

/** RampControllerOptions wire the controller; `now` is the injectable clock. */
export interface RampControllerOptions {
  config(): FigwayConfig;
  store: RampStore;
  evidence: Evidence;
  audit: AuditLog;
  metrics: RampMetrics;
  logger: Logger;
  events?: FigwayEvents;
  webhooks?: WebhookSender;
  promql?(gate: RampConfig['gates']['promql'][number], route: string): Promise<PromqlValue>;
  now?: () => number;
}

/** RampController is the running controller. */
export interface RampController {
  statuses(): RampStatus[];
  /** status is undefined for a route without a ramp. */
  status(route: string): RampStatus | undefined;
  /** act applies a human action; throws RampError. */
  act(route: string, action: RampAction, who: string, why?: string): Promise<RampStatus>;
  /** tick reads the evidence once and evaluates every ramp. */
  tick(): Promise<void>;
  /** start ticks every evidence interval until close(). */
  start(): void;
  close(): Promise<void>;
}

interface StepWindow {
  key: string;
  window: RouteWindow;
}

const ACTIVE: ReadonlySet<string> = new Set(['running', 'awaiting-approval', 'paused']);

/** createRampController builds the controller; nothing runs until tick() or start(). */
export function createRampController(options: RampControllerOptions): RampController {
  const { store, evidence, audit, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, StepWindow>();
  const lastGates = new Map<string, GateStatus[]>();
  const promqlReadings = new Map<string, PromqlValue[]>();
  const chains = new Map<string, Promise<unknown>>();
  let lastTickAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;

  const rampOf = (route: string): RampConfig | undefined => options.config().routes.find((candidate) => candidate.name === route)?.ramp;
  const rampedRoutes = (): string[] => options.config().routes.filter((route) => route.ramp !== undefined).map((route) => route.name);
  const recordOf = (route: string): RampRecord => store.record(route) ?? idleRecord(store.weight(route));
  const mirrors = (route: string): boolean => {
    const mirror = options.config().routes.find((candidate) => candidate.name === route)?.mirror;
    return mirror !== undefined && mirror.sampleRate > 0;
  };

  for (const route of rampedRoutes()) {
    metrics.route(route);
    metrics.record(route, recordOf(route));
  }

  /** serial runs one route's evaluations and actions one at a time. */
  function serial<T>(route: string, work: () => Promise<T>): Promise<T> {
    const run = (chains.get(route) ?? Promise.resolve()).then(work);
    chains.set(route, run.catch(() => undefined));
    return run;
  }

  /** windowOf returns the window of the record's current step, starting a new one when the step (or resume) is new. */
  function windowOf(route: string, record: RampRecord): RouteWindow | undefined {
    if (!ACTIVE.has(record.state) || record.stepStartedAt === null) return undefined;
    const key = `${record.step}@${record.stepStartedAt}`;
    let current = windows.get(route);
    if (current === undefined || current.key !== key) {
      current = { key, window: emptyWindow(Date.parse(record.stepStartedAt)) };
      windows.set(route, current);
    }
    return current.window;
  }

  evidence.onInterval((deltas, at) => {
    for (const route of rampedRoutes()) {
      const window = windowOf(route, recordOf(route));
      const delta = deltas.get(route);
      if (window !== undefined && delta !== undefined) extendWindow(window, delta, at);
    }
  });

  function gatesOf(route: string, record: RampRecord, ramp: RampConfig): GateStatus[] {
    const window = windowOf(route, record);
    if (window === undefined) return [];
    return evaluateGates(window, ramp.gates, record.weight, mirrors(route), promqlReadings.get(route) ?? []);
  }

  function statusOf(route: string, ramp: RampConfig): RampStatus {
    const record = recordOf(route);
    const active = record.state === 'running' || record.state === 'awaiting-approval';
    const gates = lastGates.get(route) ?? gatesOf(route, record, ramp);
    let verdict = verdictOf(record, gates, ramp, now());
    if (active && !store.available()) verdict = `paused at ${record.weight}%: the shared Redis cannot be reached; weights keep their last value and the ramp waits (it never advances blind)`;
    else if (active && !store.leads(route)) verdict = `${verdict} (driven by ${store.leader(route) ?? 'another instance'})`;
    return {
      route,
      state: record.state,
      steps: [...ramp.steps],
      stepIndex: record.step,
      weight: store.weight(route),
      stepStartedAt: record.stepStartedAt,
      nextEvaluationAt: active && lastTickAt !== null ? new Date(lastTickAt + evidence.intervalMs).toISOString() : null,
      gates,
      verdict,
      reason: record.reason,
      leader: store.leader(route),
    };
  }

  function announce(route: string, ramp: RampConfig, outcome: Outcome): void {
    const transition = outcome.transition!;
    metrics.transition(route, transition.kind);
    metrics.record(route, outcome.record);
    audit.record({
      at: outcome.record.updatedAt, who: transition.who, action: `ramp.${transition.kind}`, route,
      old: transition.from, new: transition.to, ...(transition.reason === null ? {} : { why: transition.reason }),
    });
    logger.info({ route, kind: transition.kind, from: transition.from, to: transition.to, reason: transition.reason }, 'ramp transition');
    options.webhooks?.send(ramp.webhooks, {
      route, kind: transition.kind, from: transition.from.weight, to: transition.to.weight, state: transition.to.state,
      reason: transition.reason, who: transition.who, at: outcome.record.updatedAt,
    });
  }

  /** decide runs `choose` on a fresh read and commits its outcome, re-reading once when the state moved meanwhile. */
  async function decide(route: string, ramp: RampConfig, choose: (record: RampRecord, weight: number) => Outcome): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const record = recordOf(route);
      const weight = store.weight(route);
      const outcome = choose(record, weight);
      if (outcome.transition === undefined) return outcome;
      try {
        await store.commit(route, { version: record.version, weight }, outcome.record);
      } catch (error) {
        if (error instanceof RampConflictError && attempt === 0) continue;
        throw error;
      }
      announce(route, ramp, outcome);
      return outcome;
    }
  }

  async function evaluateRoute(route: string): Promise<void> {
    const ramp = rampOf(route);
    if (ramp === undefined) return;
    const record = recordOf(route);
    if ((record.state === 'running' || record.state === 'awaiting-approval') && ramp.gates.promql.length > 0 && options.promql !== undefined) {
      promqlReadings.set(route, await Promise.all(ramp.gates.promql.map((gate) => options.promql!(gate, route))));
    }
    if (!store.available() || !store.leads(route)) {
      lastGates.set(route, gatesOf(route, record, ramp));
      metrics.gates(route, lastGates.get(route)!);
      options.events?.emit('ramp', statusOf(route, ramp));
      return;
    }
    try {
      await decide(route, ramp, (current, weight) => {
        const gates = gatesOf(route, current, ramp);
        lastGates.set(route, gates);
        metrics.gates(route, gates);
        return evaluate(current, ramp, gates, { now: now(), who: 'ramp' }, weight);
      });
    } catch (error) {
      // A conflict twice in a row, or the store went away: nothing was written; the next interval tries again.
      logger.warn({ err: error, route }, 'ramp evaluation not persisted');
    }
    options.events?.emit('ramp', statusOf(route, ramp));
  }

  const controller: RampController = {
    statuses() {
      return rampedRoutes().map((route) => statusOf(route, rampOf(route)!));
    },
    status(route) {
      const ramp = rampOf(route);
      return ramp === undefined ? undefined : statusOf(route, ramp);
    },
    act(route, action, who, why) {
      return serial(route, async () => {
        const ramp = rampOf(route);
        if (ramp === undefined) throw new RampError(404, `route "${route}" has no ramp (add ramp: to the route in figway.yaml)`);
        if (!store.available()) throw new RampError(503, 'the shared Redis cannot be reached: ramp actions wait until it is back');
        await store.refresh?.();
        let refused: string | undefined;
        try {
          await decide(route, ramp, (record, weight) => {
            const outcome = act(record, ramp, action, { now: now(), who, ...(why === undefined ? {} : { why }) }, weight);
            if ('refused' in outcome) {
              refused = outcome.refused;
              return { record, verdict: outcome.refused };
            }
            refused = undefined;
            return outcome;
          });
        } catch (error) {
          if (error instanceof RampConflictError) throw new RampError(409, `${error.message}; try again`);
          if (error instanceof RampUnavailableError) throw new RampError(503, error.message);
          throw error;
        }
        if (refused !== undefined) throw new RampError(409, refused);
        lastGates.delete(route);
        const status = statusOf(route, ramp);
        options.events?.emit('ramp', status);
        return status;
      });
    },
    async tick() {
      await evidence.collect();
      await store.refresh?.();
      lastTickAt = now();
      await Promise.all(rampedRoutes().map((route) => serial(route, () => evaluateRoute(route))));
    },
    start() {
      if (timer !== undefined) return;
      const run = (): void => {
        if (ticking !== undefined) return; // a slow tick is never overlapped
        ticking = controller.tick().catch((error: unknown) => logger.error({ err: error }, 'ramp tick failed')).finally(() => { ticking = undefined; });
      };
      run();
      timer = setInterval(run, evidence.intervalMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await ticking;
      await Promise.all([...chains.values()]);
      await options.webhooks?.idle();
    },
  };

  store.onChange((routes) => {
    for (const route of routes) {
      if (rampOf(route) !== undefined) void serial(route, () => evaluateRoute(route));
    }
  });
  return controller;
}
