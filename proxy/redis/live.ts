/**
 * Mode 2, live split traffic (no mirror): after a counter-based sample of live requests, the keys the serving side
 * wrote are read from its production store; legacy writes teach the shape (field names, casing, JSON types) and new
 * writes are checked against it. Every check is counted, clean or not, so "checked and clean" differs from
 * "never checked". Findings carry field and type names only, never stored values.
 */
import type { ExchangeContext, ExchangeObserver } from '../gateway.js';
import { ResponseCapture } from '../mirror/response-capture.js';
import { judge, type ComparisonMetrics } from '../../shadow-report/index.js';
import type { CapturedResponse, ComparisonRecord, DiffStore, Finding, Side } from '../../shadow-report/types.js';
import type { RedisClientPool } from './clients.js';
import { EMPTY_KEY_PATH, REDIS_RULE } from './compare-keys.js';
import { skipReasonOf } from './errors.js';
import { delay, EMPTY_KEY, keyNamesOf, requestView, resolveKeys, type RoutePlan } from './plan.js';
import { withDeadline } from './seeding.js';
import type { ShapeLearner } from './shape.js';
import { readKey, snapshotKeys, type KeySnapshot } from './store-reader.js';

/** Request bodies captured for key templates over the body ({body.token}). */
export const LIVE_REQUEST_BODY_LIMIT = 64 * 1024;

/** LiveDeps are shared by all live checks. */
export interface LiveDeps {
  pool: RedisClientPool;
  shapes: ShapeLearner;
  metrics: ComparisonMetrics;
  store(): DiffStore | undefined;
  now(): number;
  /** track keeps a check's promise so idle() and close() can wait for it. */
  track(work: Promise<void>): void;
}

function samePayload(a: KeySnapshot | undefined, b: KeySnapshot | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.payload === null || b.payload === null) return a.payload === b.payload;
  return a.payload.equals(b.payload);
}

/** Before forwarding: DUMP the keys nameable from the request line and headers, so the check can tell writes from reads. */
async function snapshotBefore(deps: LiveDeps, context: ExchangeContext, plan: RoutePlan, url: string): Promise<Map<string, KeySnapshot> | undefined> {
  try {
    const redis = await deps.pool.ready(url);
    return await withDeadline((async () => {
      const resolved = await resolveKeys(plan, requestView(context, undefined), undefined, redis, deps.now());
      const snapshots = await snapshotKeys(redis, [EMPTY_KEY, ...keyNamesOf(resolved)]);
      return new Map(snapshots.map((snapshot) => [snapshot.key, snapshot]));
    })(), plan.snapshotTimeoutMs);
  } catch (error) {
    deps.metrics.live(plan.route, skipReasonOf(error));
    return undefined;
  }
}

async function check(deps: LiveDeps, context: ExchangeContext, plan: RoutePlan, url: string, before: Map<string, KeySnapshot>, side: Side, body: Buffer | undefined, response: CapturedResponse): Promise<void> {
  try {
    await delay(plan.settleMs);
    const redis = await deps.pool.ready(url);
    const resolved = await resolveKeys(plan, requestView(context, body), response, redis, deps.now());
    const findings: Finding[] = [];
    for (const [name, entry] of resolved) {
      if (!entry.state.exists) continue;
      const earlier = before.get(entry.key);
      if (earlier !== undefined) {
        // Named before the request: only a changed value is this request's write (reads teach nothing).
        const [after] = await snapshotKeys(redis, [entry.key]);
        if (samePayload(earlier, after)) continue;
      }
      if (side === 'legacy') deps.shapes.learn(plan.route, name, entry.state);
      else findings.push(...(deps.shapes.check(plan.route, name, entry.state) ?? []));
    }
    const [emptyAfter] = await snapshotKeys(redis, [EMPTY_KEY]);
    if (emptyAfter?.payload !== null && !samePayload(before.get(EMPTY_KEY), emptyAfter)) {
      const state = await readKey(redis, EMPTY_KEY);
      // Only the fact and the type: the value may hold a user's record.
      if (state.exists) findings.push({ class: 'redis-extra-key', path: EMPTY_KEY_PATH, ...(side === 'legacy' ? { legacy: state.type } : { candidate: state.type }), rule: REDIS_RULE });
    }
    const judged = judge(findings, plan.compare);
    const kept = judged.findings.filter((finding) => finding.verdict !== 'ignored');
    const result = kept.length === 0 ? 'match' : judged.result;
    deps.metrics.live(plan.route, result);
    const store = deps.store();
    void store?.liveCheck(plan.route, result !== 'differ');
    if (result === 'match') return;
    // A drift record: its findings and sample are kept, but it is a live check, not a comparison.
    const record: ComparisonRecord = { route: plan.route, at: deps.now(), result: judged.result, primary: side, findings: kept, live: true };
    if (store !== undefined) {
      try { await store.record(record); } catch { /* stores count their own failures */ }
    }
    deps.metrics.comparison(record);
  } catch (error) {
    deps.metrics.live(plan.route, skipReasonOf(error));
  }
}

/** observeLive returns the observer of one sampled live request (after its pre-request snapshot), or undefined. */
export async function observeLive(deps: LiveDeps, context: ExchangeContext, plan: RoutePlan, url: string): Promise<ExchangeObserver | undefined> {
  const before = await snapshotBefore(deps, context, plan, url);
  if (before === undefined) return undefined;
  let body: Buffer | undefined;
  const capture = new ResponseCapture(plan.compare.maxBodyBytes, context.selection.side);
  return {
    requestBodyLimit: LIVE_REQUEST_BODY_LIMIT,
    onRequestBody(captured) { body = captured; },
    onResponseStart: (statusCode, rawHeaders, servedBy) => capture.start(statusCode, rawHeaders, servedBy),
    onResponseData: (chunk) => capture.data(chunk),
    onResponseEnd() {
      const side = capture.side;
      const sideUrl = plan.stores[side].production;
      if (sideUrl === undefined) { deps.metrics.live(plan.route, 'redis-not-configured'); return; }
      // After a failover the other side answered: its store is read, and what it wrote was not seen before.
      const seen = side === context.selection.side ? before : new Map<string, KeySnapshot>();
      deps.track(check(deps, context, plan, sideUrl, seen, side, body, capture.response()));
    },
    onAbort() { deps.metrics.live(plan.route, 'primary-failed'); },
  };
}
