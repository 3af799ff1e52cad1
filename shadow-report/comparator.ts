/**
 * The comparison pipeline for one mirrored request: put the two answers in legacy-vs-new order, compare, redact,
 * learn noise, judge, record, count. It never throws: failures become records with result `error`.
 */
import type {
  CapturedRequest, CapturedResponse, ComparisonRecord, DiffStore, Finding, RecordOptions, RedisSample, SampleRequest, SampleResponse, Side,
} from './types.js';
import type { CompareOptions } from './options.js';
import { compareResponses, type ResponseComparison } from './compare-responses.js';
import { judge, type JudgeRules } from './judge.js';
import type { NoiseLearner, ObservedRoots } from './noise-learner.js';
import type { RedactionSession, Redactor } from './redact.js';
import type { ComparisonMetrics } from './metrics.js';
import { DiffError } from './errors.js';
import { SAMPLE_BODY_CHARS, sampleBuckets } from './store/record.js';

/** ComparatorCompareConfig is the route's `compare` section as the comparator reads it (a structural subset of CompareConfig). */
export interface ComparatorCompareConfig extends CompareOptions, JudgeRules {
  /** Learn noisy fields from traffic. Default true. */
  learnNoise?: boolean;
}

/** ComparatorOptions wires a comparator: config, and the learner, redactor, store and metrics it uses. */
export interface ComparatorOptions {
  compare: ComparatorCompareConfig;
  redactor: Redactor;
  learner?: NoiseLearner;
  store?: DiffStore;
  metrics?: ComparisonMetrics;
  /** Clock (epoch ms), injectable for tests. */
  now?: () => number;
}

/** SideAnswer is what one side gave: a response, or the error text when it gave none. */
export interface SideAnswer {
  side: Side;
  response?: CapturedResponse;
  error?: string;
  /** How long the side took, for figway_shadow_duration_seconds. */
  durationSeconds?: number;
}

/** CompareInput is one mirrored request: the primary's and the shadow's answers, plus findings made elsewhere (Redis), already legacy-vs-new. */
export interface CompareInput {
  route: string;
  request: CapturedRequest;
  primary: SideAnswer;
  shadow: SideAnswer;
  extraFindings?: readonly Finding[];
  /** Both sides' Redis keys and values (unredacted), kept redacted with the sample when the comparison keeps one. */
  redis?: readonly RedisSample[];
  /** Both answers came from shadow deployments (dual mirroring); `primary` still names the side that served the client. */
  shadows?: boolean;
}

/** Comparator runs the pipeline for one request. */
export interface Comparator {
  compare(input: CompareInput): Promise<ComparisonRecord>;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

function clipText(body: Buffer): { body: string; bodyClipped?: boolean } {
  const text = body.toString('utf8');
  return text.length > SAMPLE_BODY_CHARS ? { body: text.slice(0, SAMPLE_BODY_CHARS), bodyClipped: true } : { body: text };
}

function sampleRequest(session: RedactionSession, req: CapturedRequest): SampleRequest {
  const r = session.request(req);
  return { method: r.method, path: r.path, headers: flatHeaders(r.headers), ...clipText(r.body) };
}

function sampleResponse(session: RedactionSession, res: CapturedResponse, decoded?: unknown): SampleResponse {
  const r = session.response(res, decoded);
  return { status: r.status, headers: flatHeaders(r.headers), ...clipText(r.body) };
}

/** createComparator returns a comparator bound to one route's compare config. */
export function createComparator(opts: ComparatorOptions): Comparator {
  const { compare: config, redactor, learner, store, metrics } = opts;
  const now = opts.now ?? Date.now;
  const learn = learner !== undefined && config.learnNoise !== false;

  async function finish(rec: ComparisonRecord, options?: RecordOptions): Promise<ComparisonRecord> {
    if (store !== undefined) {
      try { await store.record(rec, options); } catch { /* stores count their own failures; never into the request path */ }
    }
    try { metrics?.comparison(rec); } catch { /* a metrics failure must not lose the record */ }
    return rec;
  }

  /**
   * countedOnly: a record the store would not keep as a sample (its buckets are full and were refreshed recently) is
   * only counted, so its parts are never redacted or copied. Most comparisons of a busy route end here.
   */
  function countedOnly(rec: ComparisonRecord): boolean {
    return store?.keeps !== undefined && sampleBuckets(rec).length > 0 && !store.keeps(rec);
  }

  return {
    async compare(input) {
      const { route, request } = input;
      const legacy = input.primary.side === 'legacy' ? input.primary : input.shadow;
      const candidate = input.primary.side === 'legacy' ? input.shadow : input.primary;
      const base = { route, at: now(), primary: input.primary.side, ...(input.shadows === true ? { shadows: true } : {}) };
      for (const answer of [input.primary, input.shadow]) {
        if (answer.durationSeconds !== undefined) metrics?.duration(route, answer.side, answer.durationSeconds);
      }
      // Redaction costs a parse of every part: only done for records that keep a sample (not for matches).
      const session = redactor.begin();

      if (legacy === candidate || legacy.side === candidate.side) {
        return finish({ ...base, result: 'error', findings: [], request: sampleRequest(session, request),
          error: { code: 'DIFF_BAD_OPTIONS', message: 'primary and shadow are the same side' } });
      }
      if (legacy.response !== undefined && candidate.response === undefined) {
        // Legacy answered and the new side did not (timeout, reset, refused): that is a difference of the new side,
        // judged like any status difference, never an inconclusive error — or a new side that always fails would only
        // ever lower coverage, and a ramp would hold forever instead of rolling back.
        const noAnswer: Finding = { class: 'status', path: 'status', legacy: legacy.response.status, candidate: `no answer (${candidate.error ?? 'unknown'})`, rule: 'status' };
        session.scanRequest(request);
        session.scanResponse(legacy.response);
        if (input.redis !== undefined) session.scanRedis(input.redis);
        const judged = judge(session.findings([noAnswer, ...(input.extraFindings ?? [])]), config, learner?.view(route), { method: request.method, path: request.path });
        const rec: ComparisonRecord = { ...base, result: judged.result, findings: judged.findings.filter((f) => f.verdict !== 'ignored') };
        rec.request = { method: request.method, path: session.path(request.path), headers: {}, body: '' };
        if (countedOnly(rec)) return finish(rec, { sample: false });
        rec.request = sampleRequest(session, request);
        rec.legacy = sampleResponse(session, legacy.response);
        if (input.redis !== undefined && input.redis.length > 0) rec.redis = session.redis(input.redis);
        return finish(rec);
      }
      if (legacy.response === undefined || candidate.response === undefined) {
        // Legacy gave no answer: nothing to compare against (inconclusive).
        const failed = legacy.response === undefined ? legacy : candidate;
        const err = new DiffError('DIFF_SHADOW_FAILED', `${failed.side}: ${failed.error ?? 'no response'}`);
        const counted: ComparisonRecord = { ...base, result: 'error', findings: [], error: { code: err.code, message: '' } };
        if (countedOnly(counted)) return finish(counted, { sample: false });
        session.scanRequest(request);
        for (const a of [legacy, candidate]) if (a.response !== undefined) session.scanResponse(a.response);
        if (input.redis !== undefined) session.scanRedis(input.redis);
        const rec: ComparisonRecord = { ...base, result: 'error', findings: [], request: sampleRequest(session, request),
          error: { code: err.code, message: session.text(err.message) } };
        if (legacy.response !== undefined) rec.legacy = sampleResponse(session, legacy.response);
        if (candidate.response !== undefined) rec.candidate = sampleResponse(session, candidate.response);
        if (input.redis !== undefined && input.redis.length > 0) rec.redis = session.redis(input.redis);
        return finish(rec);
      }

      let cmp: ResponseComparison;
      const tracks = learn && learner.tracks(route);
      try {
        // Bodies parsed once serve the learner and redaction; equal bytes need no parsing unless the learner tracks the route.
        const wantBodies = tracks ? true : 'if-different';
        cmp = compareResponses(legacy.response, candidate.response, { ...config, wantBodies });
      } catch (error) {
        const err = new DiffError('DIFF_COMPARE_FAILED', (error as Error).message, { cause: error });
        return finish({ ...base, result: 'error', findings: [], request: sampleRequest(session, request),
          error: { code: err.code, message: session.text(err.message) } });
      }
      const raw = input.extraFindings === undefined ? cmp.findings : [...cmp.findings, ...input.extraFindings];
      let roots: ObservedRoots | undefined;
      if (tracks && cmp.bodies !== undefined) {
        roots = {
          legacy: { body: cmp.bodies.legacy, header: legacy.response.headers },
          candidate: { body: cmp.bodies.candidate, header: candidate.response.headers },
        };
      }
      if (raw.length === 0 && cmp.skipped === undefined) {
        if (learn) learner.observe(route, [], roots);
        return finish({ ...base, result: 'match', findings: [] });
      }

      // Every part of the sample is scanned for secret values before any part (a finding's path or value) is redacted.
      session.scanRequest(request);
      session.scanResponse(legacy.response, cmp.bodies?.legacy);
      session.scanResponse(candidate.response, cmp.bodies?.candidate);
      if (input.redis !== undefined) session.scanRedis(input.redis);
      const findings = session.findings(raw);
      if (learn) learner.observe(route, findings, roots);
      // The learner is always consulted: with learnNoise off it only knows noise measured against a second legacy instance.
      const judged = judge(findings, config, learner?.view(route), { method: request.method, path: request.path });
      const rec: ComparisonRecord = {
        ...base,
        result: judged.result === 'match' && cmp.skipped !== undefined ? 'skipped' : judged.result,
        findings: judged.findings.filter((f) => f.verdict !== 'ignored'),
      };
      if (cmp.skipped !== undefined) rec.skipped = cmp.skipped;
      // The endpoint of its patterns: method and redacted path, nothing else of the request.
      rec.request = { method: request.method, path: session.path(request.path), headers: {}, body: '' };
      if (countedOnly(rec)) return finish(rec, { sample: false });
      rec.request = sampleRequest(session, request);
      rec.legacy = sampleResponse(session, legacy.response, cmp.bodies?.legacy);
      rec.candidate = sampleResponse(session, candidate.response, cmp.bodies?.candidate);
      if (input.redis !== undefined && input.redis.length > 0) rec.redis = session.redis(input.redis);
      return finish(rec);
    },
  };
}
