/**
 * The messages between the cluster primary and its workers over node:cluster's IPC channel: the primary tells
 * workers to reload and asks them for their metrics and status; workers say when they serve and answer questions.
 */
import type { Worker } from 'node:cluster';
import type { ComparisonRecord } from '../../shadow-report/types.js';

/** What the primary may ask a worker. */
export type Question = 'metrics' | 'status';

/** PrimaryMessage goes from the primary to a worker. */
export type PrimaryMessage =
  | { type: 'figway:reload' }
  | { type: 'figway:ask'; id: number; question: Question };

/** EvidenceOp is one diff-store write a worker forwards to the primary's store. */
export type EvidenceOp =
  | { op: 'record'; rec: ComparisonRecord; sample: boolean }
  | { op: 'sampled'; route: string }
  | { op: 'dropped'; route: string; reason: string }
  | { op: 'live'; route: string; clean: boolean };

/** WorkerMessage goes from a worker to the primary. */
export type WorkerMessage =
  | { type: 'figway:ready' }
  | { type: 'figway:answer'; id: number; answer: unknown }
  | { type: 'figway:evidence'; ops: EvidenceOp[] };

/** WorkerStatus is what a worker reports about itself (GET /api/workers). */
export interface WorkerStatus {
  pid: number;
  /** Requests this worker answered since it started (figway_requests_total). */
  requests: number;
  inFlight: number;
  routes: Array<{ name: string; weight: number }>;
  /** When its configuration was last applied (ISO), or null before any reload. */
  reloadedAt: string | null;
}

/** isMessage tells figway's messages from others on the channel (prom-client and Node use it too). */
export function isMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string'
    && (message as { type: string }).type.startsWith('figway:');
}

let nextId = 0;
const pending = new Map<number, (answer: unknown) => void>();

/** onWorkerMessage routes a worker's answer to the question waiting for it; call it from cluster 'message'. */
export function onWorkerMessage(message: WorkerMessage): void {
  if (message.type !== 'figway:answer') return;
  const resolve = pending.get(message.id);
  pending.delete(message.id);
  resolve?.(message.answer);
}

/** ask sends a question to a worker; undefined when it does not answer within timeoutMs (busy, dying). */
export function ask(worker: Worker, question: Question, timeoutMs: number): Promise<unknown> {
  if (!worker.isConnected()) return Promise.resolve(undefined);
  const id = ++nextId;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(undefined);
    }, timeoutMs);
    pending.set(id, (answer) => {
      clearTimeout(timer);
      resolve(answer);
    });
    const message: PrimaryMessage = { type: 'figway:ask', id, question };
    try {
      worker.send(message);
    } catch {
      clearTimeout(timer);
      pending.delete(id);
      resolve(undefined);
    }
  });
}
