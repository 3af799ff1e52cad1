/**
 * The primary's end of the workers' evidence: the diff-store writes workers forward (evidence-store.ts) go into the
 * store the primary's admin API reads, so GET /api/diffs, the patterns, samples and coverage cover every worker.
 */
import type { DiffStore } from '../../shadow-report/types.js';
import type { EvidenceOp } from './ipc.js';

let sink: (() => DiffStore | undefined) | undefined;

/** setEvidenceSink names the store forwarded evidence goes to (the mirror extension's, once it exists). */
export function setEvidenceSink(store: () => DiffStore | undefined): void {
  sink = store;
}

/** applyEvidence writes a worker's forwarded operations; without a store (no route mirrors here) they are dropped. */
export function applyEvidence(ops: readonly EvidenceOp[]): void {
  const store = sink?.();
  if (store === undefined) return;
  for (const op of ops) {
    // Stores never throw on writes; the catch keeps a broken one from reaching the IPC handler.
    if (op.op === 'record') void store.record(op.rec, { sample: op.sample }).catch(() => undefined);
    else if (op.op === 'sampled') void store.sampled(op.route).catch(() => undefined);
    else if (op.op === 'dropped') void store.dropped(op.route, op.reason).catch(() => undefined);
    else void store.liveCheck(op.route, op.clean).catch(() => undefined);
  }
}
