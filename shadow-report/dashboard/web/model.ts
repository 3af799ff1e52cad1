/**
 * The dashboard's and the report's view of the admin API: the shapes it reads (CONTRACTS.md) and pure functions that
 * turn them into what people read — patterns, rates, a verdict in words. No DOM and no Node here: the browser modules
 * and `figway report` both import this file. Fields the API does not carry yet are optional, and every function
 * degrades to what today's fields allow (patterns derived from samples, sampled = compared + dropped).
 */
import type { DiffClass, DiffPattern, RouteSummary as StoredSummary } from '../../types.js';
import type { RampStatus } from '../../../proxy/ramp/status.js';
import type { TimelinePoint } from '../../../proxy/evidence/evidence.js';

/** Finding as stored in a sample (redacted). */
export interface SampleFinding {
  class: string;
  path: string;
  legacy?: unknown;
  candidate?: unknown;
  verdict: 'unexpected' | 'noise' | 'accepted' | 'ignored';
  reason?: string;
}

/** SampleMessage is a stored request or answer. */
export interface SampleMessage {
  method?: string;
  path?: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  bodyClipped?: boolean;
}

/** RedisValue is one declared key as both sides left it (redacted). */
export interface RedisValue {
  name: string;
  legacyKey?: string;
  newKey?: string;
  legacy?: unknown;
  new?: unknown;
}

/** Sample is one stored comparison. */
export interface Sample {
  id: string;
  route: string;
  at: number;
  result: string;
  primary: 'legacy' | 'new';
  /** Both answers came from shadow deployments (dual mirroring). */
  shadows?: boolean;
  bucket?: string;
  findings: SampleFinding[];
  request?: SampleMessage;
  legacy?: SampleMessage;
  candidate?: SampleMessage;
  redis?: RedisValue[];
  error?: { code: string; message: string };
  skipped?: { reason: string; detail?: string };
  /** Ids of the patterns of the findings kept here, and of pervasive patterns folded out of `findings`. */
  patterns?: string[];
  pervasive?: string[];
  [extra: string]: unknown;
}

/** DiffPattern is a finding folded over requests (the evidence store's, CONTRACTS.md). */
export type { DiffPattern } from '../../types.js';

/** SummaryAdditions are the evidence fields an older figway's /api/diffs lacks; the views degrade without them. */
type SummaryAdditions = 'sampled' | 'dropped' | 'droppedByReason' | 'coverage' | 'liveChecks' | 'liveClean' | 'patterns';

/** RouteSummary is one route of GET /api/diffs, read defensively (see SummaryAdditions). */
export type RouteSummary = Omit<StoredSummary, SummaryAdditions> & Partial<Pick<StoredSummary, SummaryAdditions>>;

/** AcceptRule is one compare.accept entry. */
export interface AcceptRule {
  path: string;
  class?: string;
  methods?: string[];
  pathPrefix?: string;
  reason: string;
}

/** RouteInfo is one route of GET /api/routes. */
export interface RouteInfo {
  name: string;
  weight: number;
  mirror: { sampleRate: number } | null;
  accept?: AcceptRule[];
}

/** RampStatus, GateStatus and TimelinePoint are the ramp's (CONTRACTS.md "Ramp API"). */
export type { RampStatus } from '../../../proxy/ramp/status.js';
export type { GateStatus } from '../../../proxy/ramp/gates.js';
export type { TimelinePoint } from '../../../proxy/evidence/evidence.js';
export type { AuditEntry } from '../../../proxy/audit.js';

/** RAMP_ACTIONS are the ramp actions, with the states each is allowed in (the server has the last word: 409). */
export const RAMP_ACTIONS: Record<string, readonly RampStatus['state'][]> = {
  start: ['idle', 'halted'],
  pause: ['running', 'awaiting-approval'],
  resume: ['paused'],
  promote: ['running', 'paused', 'awaiting-approval'],
  abort: ['running', 'paused', 'awaiting-approval', 'halted', 'completed'],
};

/** REDACTED matches a redaction placeholder, e.g. «redacted:number:3f2a». */
export const REDACTED = /^«redacted(?::([a-z]+))?(?::([0-9a-f]+))?»$/;

/** foldPath replaces array indices by [*], as patterns do. */
export function foldPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[*]');
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f-]{27,}|[0-9a-f]{12,}|[A-Za-z0-9_-]{24,})$/i;

/** endpointOf renders "METHOD /path" with id-like path segments folded to {id} and the query dropped. */
export function endpointOf(method: string | undefined, target: string | undefined): string {
  const path = (target ?? '/').split('?', 1)[0]!;
  const folded = path.split('/').map((segment) => (segment !== '' && ID_SEGMENT.test(segment) ? '{id}' : segment)).join('/');
  return `${method ?? '?'} ${folded || '/'}`;
}

/** derivePatterns folds the findings of recent samples into patterns, for an API that does not send patterns yet. */
export function derivePatterns(samples: readonly Sample[]): DiffPattern[] {
  const byKey = new Map<string, DiffPattern>();
  const seen = new Set<string>();
  let compared = 0;
  for (const sample of samples) {
    if (seen.has(sample.id)) continue;
    seen.add(sample.id);
    compared++;
    const endpoint = endpointOf(sample.request?.method, sample.request?.path);
    const once = new Set<string>();
    for (const finding of sample.findings) {
      if (finding.verdict === 'ignored') continue;
      const path = foldPath(finding.path);
      const key = `${finding.verdict}|${finding.class}|${path}|${endpoint}`;
      if (once.has(key)) continue;
      once.add(key);
      let pattern = byKey.get(key);
      if (pattern === undefined) {
        pattern = {
          id: key, verdict: finding.verdict, class: finding.class as DiffClass, path, endpoint, count: 0, share: 0,
          firstSeen: sample.at, lastSeen: sample.at, pervasive: false, example: sample.id,
          ...(finding.reason === undefined ? {} : { reason: finding.reason }),
        };
        byKey.set(key, pattern);
      }
      pattern.count++;
      if (sample.at < pattern.firstSeen) pattern.firstSeen = sample.at;
      if (sample.at >= pattern.lastSeen) { pattern.lastSeen = sample.at; pattern.example = sample.id; }
    }
  }
  const patterns = [...byKey.values()];
  for (const pattern of patterns) {
    pattern.share = compared === 0 ? 0 : pattern.count / compared;
    pattern.pervasive = compared >= 10 && pattern.share >= 0.9;
  }
  return patterns.sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
}

/** Evidence is a route's totals as the overview shows them. */
export interface Evidence {
  compared: number;
  sampled: number;
  dropped: number;
  droppedByReason: Record<string, number>;
  coverage: number | null;
  unexpectedComparisons: number;
  unexpectedRate: number | null;
}

/** evidenceOf reads a summary's totals; sampled and dropped fall back to what today's summary has. */
export function evidenceOf(summary: RouteSummary | undefined): Evidence {
  if (summary === undefined) return { compared: 0, sampled: 0, dropped: 0, droppedByReason: {}, coverage: null, unexpectedComparisons: 0, unexpectedRate: null };
  const droppedByReason = summary.droppedByReason ?? summary.skippedByReason;
  const dropped = summary.dropped ?? summary.skipped;
  const compared = summary.comparisons;
  const sampled = summary.sampled ?? compared + (summary.dropped ?? 0);
  const coverage = summary.coverage !== undefined ? summary.coverage : sampled === 0 ? null : compared / sampled;
  return {
    compared, sampled, dropped, droppedByReason, coverage,
    unexpectedComparisons: summary.differ,
    unexpectedRate: compared === 0 ? null : summary.differ / compared,
  };
}

/** patternsOf returns the route's patterns: the API's when it sends them, else derived from samples. */
export function patternsOf(summary: RouteSummary | undefined, samples: readonly Sample[]): { patterns: DiffPattern[]; derived: boolean } {
  if (summary?.patterns !== undefined) return { patterns: summary.patterns, derived: false };
  return { patterns: derivePatterns(samples), derived: true };
}

/** acceptRuleFor turns a pattern into the narrowest accept entry: its class and path, on its endpoint only. */
export function acceptRuleFor(pattern: DiffPattern, reason: string): AcceptRule {
  const [method, path = '/'] = pattern.endpoint.split(' ', 2);
  const prefix = path.split('/{id}', 1)[0] || '/';
  return {
    path: pattern.path,
    class: pattern.class,
    ...(method === undefined || method === '?' || method === '*' ? {} : { methods: [method] }),
    ...(prefix === '/' ? {} : { pathPrefix: prefix }),
    reason,
  };
}

/** acceptedBy returns the accept rule made for this pattern, when one exists (its later comparisons are accepted). */
export function acceptedBy(pattern: DiffPattern, rules: readonly AcceptRule[] | undefined): AcceptRule | undefined {
  const [method, path = '/'] = pattern.endpoint.split(' ', 2);
  return rules?.find((rule) => rule.path === pattern.path
    && (rule.class === undefined || rule.class === pattern.class)
    && (rule.methods === undefined || (method !== undefined && rule.methods.includes(method)))
    && (rule.pathPrefix === undefined || path === rule.pathPrefix || path.startsWith(`${rule.pathPrefix.replace(/\/$/, '')}/`)));
}

/** percent renders a ratio as a short percentage ("–" when unknown). */
export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const value = ratio * 100;
  return `${value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(digits)}%`;
}

/** sumWindow adds up timeline points at or after `since`. */
export function sumWindow(points: readonly TimelinePoint[], since: number): { requests: { legacy: number; new: number }; unexpected: number; compared: number } {
  const out = { requests: { legacy: 0, new: 0 }, unexpected: 0, compared: 0 };
  for (const point of points) {
    if (point.at < since) continue;
    out.requests.legacy += point.requests.legacy;
    out.requests.new += point.requests.new;
    out.unexpected += point.unexpected;
    out.compared += point.compared;
  }
  return out;
}

/** VerdictInput is what a verdict is made from. */
export interface VerdictInput {
  summary: RouteSummary | undefined;
  patterns: readonly DiffPattern[];
  ramp?: RampStatus | undefined;
  accept?: readonly AcceptRule[] | undefined;
  now: number;
  /** Comparisons and unexpected ones in the verdict window (default: all time from the summary). */
  window?: { minutes: number; compared: number; unexpected: number };
}

/** verdictOf says in words whether the route's evidence allows raising the weight. */
export function verdictOf(input: VerdictInput): { level: 'ok' | 'hold' | 'fail' | 'none'; text: string } {
  const { summary, ramp } = input;
  if (ramp !== undefined && ramp.state !== 'idle' && ramp.verdict !== '') {
    const level = ramp.state === 'halted' ? 'fail' : ramp.state === 'running' || ramp.state === 'completed' ? 'ok' : 'hold';
    return { level, text: ramp.reason !== null && ramp.reason !== '' ? `${ramp.verdict} — ${ramp.reason}` : ramp.verdict };
  }
  const evidence = evidenceOf(summary);
  if (evidence.compared === 0) return { level: 'none', text: 'no evidence yet: nothing compared on this route' };
  const open = input.patterns
    .filter((pattern) => pattern.verdict === 'unexpected' && acceptedBy(pattern, input.accept) === undefined)
    .sort((a, b) => b.lastSeen - a.lastSeen || b.count - a.count);
  const top = open[0];
  const recent = input.window?.unexpected;
  const inWindow = input.window === undefined || (recent ?? 0) > 0 || (top !== undefined && top.lastSeen >= input.now - input.window.minutes * 60_000);
  if (top !== undefined && inWindow) {
    const more = open.length > 1 ? `, and ${open.length - 1} more pattern${open.length > 2 ? 's' : ''}` : '';
    const windowed = input.window === undefined || recent === undefined ? '' : ` — ${recent} comparison${recent === 1 ? '' : 's'} differed in the last ${input.window.minutes} min`;
    return { level: 'hold', text: `holding: ${top.count} unexpected ${top.class} difference${top.count === 1 ? '' : 's'} at ${top.path} (${top.endpoint})${windowed}${more}` };
  }
  if (evidence.coverage !== null && evidence.coverage < 0.95 && evidence.sampled >= 20) {
    return { level: 'hold', text: `holding: coverage ${percent(evidence.coverage)} < 95% (${evidence.compared} of ${evidence.sampled} sampled compared)` };
  }
  return { level: 'ok', text: `clean: ${evidence.compared} comparisons, no open unexpected difference` };
}
