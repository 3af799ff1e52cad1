/**
 * A cluster worker's diff store: every write goes to the primary (batched over IPC), whose store the admin API reads.
 * The worker keeps only its own sample gate, so comparisons the primary would not keep are not redacted here either.
 * (With `diffStore.kind: redis` workers write to the shared Redis store instead, and this is not used.)
 */
import type { DiffStore } from '../../shadow-report/types.js';
import { sampleBuckets } from '../../shadow-report/store/record.js';
import { createSampleGate } from '../../shadow-report/store/sample-gate.js';
import type { EvidenceOp, WorkerMessage } from './ipc.js';

/** Forwarded operations are sent in batches of this many, or after FLUSH_MS. */
const BATCH = 64;
const FLUSH_MS = 20;

/** createForwardingStore sends writes with `send` (default: to the primary); its readers are empty (the primary reads). */
export function createForwardingStore(samplesPerClass: number, send: (message: WorkerMessage) => void = (message) => {
  if (process.connected) process.send?.(message);
}): DiffStore {
  const gate = createSampleGate(samplesPerClass);
  let batch: EvidenceOp[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const ops = batch;
    batch = [];
    send({ type: 'figway:evidence', ops });
  };
  const push = (op: EvidenceOp): void => {
    batch.push(op);
    if (batch.length >= BATCH) flush();
    else if (timer === undefined) timer = setTimeout(flush, FLUSH_MS).unref();
  };
  return {
    keeps: (rec) => gate.keeps(rec),
    async record(rec, options = {}) {
      const sample = options.sample !== false;
      if (sample && sampleBuckets(rec).length > 0) gate.kept(rec);
      push({ op: 'record', rec, sample });
    },
    async sampled(route) { push({ op: 'sampled', route }); },
    async dropped(route, reason) { push({ op: 'dropped', route, reason }); },
    async liveCheck(route, clean) { push({ op: 'live', route, clean }); },
    async summaries() { return []; },
    async samples() { return []; },
    async sample() { return undefined; },
    async close() { flush(); },
  };
}
