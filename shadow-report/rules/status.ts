import type { CapturedResponse, Finding } from '../types.js';
import type { DiffRule } from './rule.js';

/** statusRule reports a different HTTP status as one `status` finding at path `status`. */
export const statusRule: DiffRule<CapturedResponse> = {
  id: 'status',
  run(legacy, candidate): Finding[] {
    if (legacy.status === candidate.status) return [];
    return [{ class: 'status', path: 'status', legacy: legacy.status, candidate: candidate.status, rule: 'status' }];
  },
};
