/**
 * Ramp metrics (names in CONTRACTS.md): step index, current state, each gate's value and threshold — so a user sees
 * why a ramp holds — and transitions by kind. Every series of a ramped route exists at 0 from the start.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { RAMP_STATES, TRANSITION_KINDS, type RampRecord } from '../config/schema.js';
import type { GateStatus } from './gates.js';

const KINDS = [...TRANSITION_KINDS, 'await-approval'] as const;

/** RampMetrics records what the controller sees and does. */
export interface RampMetrics {
  /** route initialises a ramped route's series. */
  route(route: string): void;
  record(route: string, record: RampRecord): void;
  gates(route: string, gates: readonly GateStatus[]): void;
  transition(route: string, kind: string): void;
}

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** createRampMetrics registers (or reuses) the ramp series on `registry`. */
export function createRampMetrics(registry: Registry): RampMetrics {
  const step = reuse(registry, 'figway_ramp_step_index', () => new Gauge({ name: 'figway_ramp_step_index', help: 'Index of the ramp step in force (-1 before the first).', labelNames: ['route'], registers: [registry] }));
  const state = reuse(registry, 'figway_ramp_state', () => new Gauge({ name: 'figway_ramp_state', help: 'Ramp state: 1 for the current state, 0 for the others.', labelNames: ['route', 'state'], registers: [registry] }));
  const gateValue = reuse(registry, 'figway_ramp_gate_value', () => new Gauge({ name: 'figway_ramp_gate_value', help: 'Current value of each ramp gate (ratio; NaN while it lacks samples).', labelNames: ['route', 'gate'], registers: [registry] }));
  const gateThreshold = reuse(registry, 'figway_ramp_gate_threshold', () => new Gauge({ name: 'figway_ramp_gate_threshold', help: 'Threshold of each ramp gate.', labelNames: ['route', 'gate'], registers: [registry] }));
  const transitions = reuse(registry, 'figway_ramp_transitions_total', () => new Counter({ name: 'figway_ramp_transitions_total', help: 'Ramp transitions by kind.', labelNames: ['route', 'kind'], registers: [registry] }));
  const known = new Set<string>();
  return {
    route(route) {
      if (known.has(route)) return;
      known.add(route);
      step.labels(route).set(-1);
      for (const name of RAMP_STATES) state.labels(route, name).set(name === 'idle' ? 1 : 0);
      for (const kind of KINDS) transitions.labels(route, kind).inc(0);
    },
    record(route, record) {
      step.labels(route).set(record.step);
      for (const name of RAMP_STATES) state.labels(route, name).set(name === record.state ? 1 : 0);
    },
    gates(route, gates) {
      for (const gate of gates) {
        gateValue.labels(route, gate.name).set(gate.value ?? Number.NaN);
        gateThreshold.labels(route, gate.name).set(gate.threshold);
      }
    },
    transition(route, kind) {
      transitions.labels(route, kind).inc();
    },
  };
}
