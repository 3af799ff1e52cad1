/**
 * state: what the dashboard knows, refreshed from the admin API and the event stream. Every collection is bounded:
 * timelines keep one hour of points per route, samples the API's own limit, so a page left open does not grow.
 */
import { enc, get, optional } from './api.js';
import type { RampStatus, RouteInfo, RouteSummary, Sample, TimelinePoint } from './model.js';

/** MAX_POINTS bounds each route's timeline in the page (an hour at the 5 s default). */
export const MAX_POINTS = 720;

/** State is the dashboard's data. */
export interface State {
  routes: RouteInfo[];
  diffs: Map<string, RouteSummary>;
  /** undefined when this figway has no ramp API yet. */
  ramps: Map<string, RampStatus> | undefined;
  timelines: Map<string, TimelinePoint[]>;
  samples: Map<string, Sample[]>;
  intervalMs: number;
  loadedAt: number;
}

/** state is the one shared instance. */
export const state: State = { routes: [], diffs: new Map(), ramps: undefined, timelines: new Map(), samples: new Map(), intervalMs: 5000, loadedAt: 0 };

/** samplesAt remembers each route's comparison count when its samples were read. */
const samplesAt = new Map<string, number>();

/** refresh reloads routes, summaries, ramps and each route's recent samples. */
export async function refresh(): Promise<void> {
  const [routes, diffs, ramps] = await Promise.all([
    get<{ routes: RouteInfo[] }>('/api/routes'),
    get<{ routes: RouteSummary[] }>('/api/diffs'),
    optional<{ ramps: RampStatus[] }>('ramps', '/api/ramps'),
  ]);
  state.routes = routes.routes;
  state.diffs = new Map(diffs.routes.map((summary) => [summary.route, summary]));
  state.ramps = ramps === undefined ? undefined : new Map(ramps.ramps.map((ramp) => [ramp.route, ramp]));
  // Patterns come with the summary once the API sends them; until then they are derived from recent samples, read
  // again only when the route has new comparisons (samples are the heaviest answer the API gives).
  await Promise.all(state.routes.map(async (route) => {
    const summary = state.diffs.get(route.name);
    if (summary?.patterns !== undefined) return;
    const seen = summary?.comparisons ?? 0;
    if (samplesAt.get(route.name) === seen && state.samples.has(route.name)) return;
    const result = await get<{ samples: Sample[] }>(`/api/diffs/${enc(route.name)}/samples?limit=200`);
    state.samples.set(route.name, result.samples);
    samplesAt.set(route.name, seen);
  }));
  for (const name of [...state.samples.keys()]) {
    if (!state.routes.some((route) => route.name === name)) { state.samples.delete(name); samplesAt.delete(name); }
  }
  state.loadedAt = Date.now();
}

/** loadTimelines reads each route's recent points once (the event stream appends after that). */
export async function loadTimelines(): Promise<void> {
  await Promise.all(state.routes.map(async (route) => {
    const timeline = await get<{ intervalMs: number; points: TimelinePoint[] }>(`/api/routes/${enc(route.name)}/timeline`);
    state.intervalMs = timeline.intervalMs;
    state.timelines.set(route.name, timeline.points.slice(-MAX_POINTS));
  }));
}

/** addPoints appends one tick's points, dropping the oldest beyond MAX_POINTS. */
export function addPoints(points: Record<string, TimelinePoint>): void {
  for (const [route, point] of Object.entries(points)) {
    let list = state.timelines.get(route);
    if (list === undefined) { list = []; state.timelines.set(route, list); }
    list.push(point);
    if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
  }
}
