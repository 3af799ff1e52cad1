/**
 * collectReport reads a running figway's evidence through its admin API (the same endpoints as the dashboard) and
 * folds it into one ReportData: per route the weight, ramp, history, totals, patterns with an example each, and a
 * verdict in words.
 */
import { request } from 'undici';
import {
  evidenceOf, patternsOf, verdictOf,
  type AuditEntry, type DiffPattern, type Evidence, type RampStatus, type RouteInfo, type RouteSummary, type Sample, type TimelinePoint,
} from '../dashboard/web/model.js';

/** ReportOptions say where figway is and what to include. */
export interface ReportOptions {
  url: string;
  token: string;
  route?: string;
  /** Window start, epoch ms: history, timeline and patterns last seen before it are left out. */
  since: number;
  now: number;
}

/** PatternExample is a pattern's example sample, trimmed to what a review needs. */
export interface PatternExample {
  id: string;
  at: number;
  endpoint: string;
  legacy?: unknown;
  candidate?: unknown;
}

/** RouteReport is one route's section of the report. */
export interface RouteReport {
  route: string;
  weight: number;
  ramp: RampStatus | null;
  verdict: { level: string; text: string };
  evidence: Evidence;
  window: { requests: { legacy: number; new: number }; compared: number; unexpected: number; weights: number[] };
  history: AuditEntry[];
  patterns: { unexpected: Array<DiffPattern & { exampleDetail?: PatternExample }>; accepted: DiffPattern[]; noise: DiffPattern[]; derived: boolean };
}

/** ReportData is the whole report. */
export interface ReportData {
  generatedAt: string;
  since: string;
  figway: string;
  routes: RouteReport[];
  notes: string[];
}

/** ReportError is a failure to reach or read the admin API (exit 1, one line). */
export class ReportError extends Error {}

async function getJson<T>(options: ReportOptions, path: string): Promise<T> {
  let response;
  try {
    response = await request(`${options.url.replace(/\/$/, '')}${path}`, { headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' } });
  } catch (error) {
    throw new ReportError(`cannot reach figway's admin API at ${options.url}: ${(error as Error).message}`);
  }
  const text = await response.body.text();
  if (response.statusCode === 401) throw new ReportError(`the admin API at ${options.url} refused the token (401): pass --token or set FIGWAY_ADMIN_TOKEN`);
  if (response.statusCode !== 200) throw new ReportError(`GET ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** collectReport reads everything the report shows. */
export async function collectReport(options: ReportOptions): Promise<ReportData> {
  const enc = encodeURIComponent;
  const [routes, diffs] = await Promise.all([
    getJson<{ routes: RouteInfo[] }>(options, '/api/routes'),
    getJson<{ routes: RouteSummary[] }>(options, '/api/diffs'),
  ]);
  const features = await getJson<{ ramps: boolean; audit: boolean; sampleById: boolean }>(options, '/api/dashboard/features')
    .catch(() => ({ ramps: false, audit: false, sampleById: false }));
  const ramps = features.ramps ? (await getJson<{ ramps: RampStatus[] }>(options, '/api/ramps')).ramps : [];
  const audit = features.audit ? (await getJson<{ entries: AuditEntry[] }>(options, '/api/audit?limit=500')).entries : [];
  const selected = routes.routes.filter((route) => options.route === undefined || route.name === options.route);
  if (options.route !== undefined && selected.length === 0) {
    throw new ReportError(`no route "${options.route}" (routes: ${routes.routes.map((route) => route.name).join(', ')})`);
  }
  const notes: string[] = ['Totals, coverage and pattern counts are since figway started; history, requests and patterns are limited to the window.'];
  if (!features.ramps) notes.push('This figway has no ramp controller: weights are set by hand.');
  if (!features.audit) notes.push('This figway has no audit log: the weight history is read from the timeline.');

  const out: RouteReport[] = [];
  for (const route of selected) {
    const summary = diffs.routes.find((candidate) => candidate.route === route.name);
    const samples = summary?.patterns === undefined
      ? (await getJson<{ samples: Sample[] }>(options, `/api/diffs/${enc(route.name)}/samples?limit=200`)).samples
      : [];
    const timeline = await getJson<{ points: TimelinePoint[] }>(options, `/api/routes/${enc(route.name)}/timeline?since=${options.since}`)
      .catch(() => ({ points: [] as TimelinePoint[] }));
    const { patterns, derived } = patternsOf(summary, samples);
    const recent = patterns.filter((pattern) => pattern.lastSeen >= options.since);
    const ramp = ramps.find((candidate) => candidate.route === route.name) ?? null;
    const window = { requests: { legacy: 0, new: 0 }, compared: 0, unexpected: 0, weights: [] as number[] };
    for (const point of timeline.points) {
      window.requests.legacy += point.requests.legacy;
      window.requests.new += point.requests.new;
      window.compared += point.compared;
      window.unexpected += point.unexpected;
      if (window.weights.at(-1) !== point.weight) window.weights.push(point.weight);
    }
    const example = async (pattern: DiffPattern): Promise<PatternExample | undefined> => {
      let sample = samples.find((candidate) => candidate.id === pattern.example);
      if (sample === undefined && pattern.example !== undefined) {
        // The example may have been evicted (samples are bounded): the pattern is then reported without one.
        sample = features.sampleById
          ? await getJson<Sample>(options, `/api/diffs/${enc(route.name)}/samples/${enc(pattern.example)}`).catch(() => undefined)
          : (await getJson<{ samples: Sample[] }>(options, `/api/diffs/${enc(route.name)}/samples?limit=200`).catch(() => ({ samples: [] as Sample[] })))
            .samples.find((candidate) => candidate.id === pattern.example);
      }
      if (sample === undefined) return undefined;
      const finding = sample.findings.find((f) => f.class === pattern.class && f.path.replace(/\[\d+\]/g, '[*]') === pattern.path);
      return {
        id: sample.id, at: sample.at, endpoint: pattern.endpoint,
        ...(finding?.legacy === undefined ? {} : { legacy: finding.legacy }),
        ...(finding?.candidate === undefined ? {} : { candidate: finding.candidate }),
      };
    };
    const unexpected = [];
    for (const pattern of recent.filter((p) => p.verdict === 'unexpected')) {
      const detail = await example(pattern);
      unexpected.push(detail === undefined ? pattern : { ...pattern, exampleDetail: detail });
    }
    out.push({
      route: route.name,
      weight: route.weight,
      ramp,
      verdict: verdictOf({ summary, patterns: recent, ramp: ramp ?? undefined, accept: route.accept, now: options.now }),
      evidence: evidenceOf(summary),
      window,
      history: audit.filter((entry) => entry.route === route.name && Date.parse(entry.at) >= options.since),
      patterns: { unexpected, accepted: recent.filter((p) => p.verdict === 'accepted'), noise: recent.filter((p) => p.verdict === 'noise'), derived },
    });
  }
  return { generatedAt: new Date(options.now).toISOString(), since: new Date(options.since).toISOString(), figway: options.url, routes: out, notes };
}
