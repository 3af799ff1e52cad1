/** RampStatus: a ramp as the admin API, the CLI and the dashboard see it (CONTRACTS.md, "Ramp API"). */
import type { RampState } from '../config/schema.js';
import type { GateStatus } from './gates.js';

/** RampStatus is one route's ramp. */
export interface RampStatus {
  route: string;
  state: RampState;
  /** Percent on new at each step. */
  steps: number[];
  /** -1 before start. */
  stepIndex: number;
  /** Percent in force now. */
  weight: number;
  stepStartedAt: string | null;
  nextEvaluationAt: string | null;
  gates: GateStatus[];
  /** One line in words. */
  verdict: string;
  /** Why paused, halted or rolled back, naming the finding. */
  reason: string | null;
  /** Instance holding the lease, when several figways share a Redis. */
  leader: string | null;
}
