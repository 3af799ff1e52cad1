/**
 * Noise learning, two ways, always per route, normalized path (indices → `[*]`) AND class — a `value` learned as
 * noise at `body.id` never makes an `extra-field` at `body.id` noise:
 * - from traffic: count the comparisons in which the field exists on both sides, and those in which its values differ
 *   and both look generated (ids, tokens, timestamps). After `minSamples` with a differ ratio ≥ `minDifferRatio`
 *   the (path, class) is learned noise;
 * - Diffy's method: a (path, class) that differs between two legacy answers to the same request is measured noise
 *   while it differs in at least MEASURED_NOISE_RATIO of the measured pairs. Only pairs the caller vouches for count:
 *   a LegacyPairTicket, taken before the primary is forwarded, says the request is safe (GET/HEAD/OPTIONS) and stays
 *   valid only while no write reached the legacy store since (noteWrite) and the secondary is in step with it.
 * NEVER_NOISE classes (casing, type, status, missing-field, every redis-*) are never noise; memory is bounded per route.
 */
import { isNeverNoise, type CapturedResponse, type DiffClass, type Finding } from './types.js';
import type { CompareOptions } from './options.js';
import type { NoiseView } from './judge.js';
import { compareResponses } from './compare-responses.js';
import { looksGenerated } from './generated.js';
import { normalizePath, splitPath } from './paths.js';
import { DiffError } from './errors.js';

/** MEASURED_NOISE_RATIO is the share of measured legacy pairs in which a (path, class) must differ to be noise. */
export const MEASURED_NOISE_RATIO = 0.5;

/** SAFE_METHODS are the requests a secondary legacy may be asked: they read, never write (RFC 9110 §9.2.1). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** NoiseLearnerOptions bounds and tunes a learner. Defaults: 20 samples, ratio 0.9, 256 paths per route, 1000 routes. */
export interface NoiseLearnerOptions {
  minSamples?: number;
  minDifferRatio?: number;
  maxPathsPerRoute?: number;
  maxRoutes?: number;
}

/** ObservedRoots are the values of one comparison by first path segment (`body`, `header`, `redis`), per side. */
export interface ObservedRoots {
  legacy: Record<string, unknown>;
  candidate: Record<string, unknown>;
}

/** LearnedPath is what the learner knows about one normalized path and class of a route. */
export interface LearnedPath {
  path: string;
  class: DiffClass;
  /** `learned` from traffic, or `measured` against a second legacy instance. */
  source: 'learned' | 'measured';
  /** Comparisons (learned) or vouched legacy pairs (measured) in which the field existed. */
  samples: number;
  /** Of those, how many differed (learned: with generated-looking values on both sides). */
  differ: number;
  /** Same as `source === 'measured'` (kept for readers of earlier versions). */
  measured: boolean;
  noise: boolean;
}

/**
 * LegacyPairTicket vouches for one secondary-legacy measurement: taken (legacyPairTicket) before the primary is
 * forwarded, it is honoured by observeLegacyPair only while no write reached its scope since.
 */
export interface LegacyPairTicket {
  readonly route: string;
  readonly scope: string;
  readonly method: string;
  readonly epoch: number;
}

/** LegacyPairStats counts, per route, the legacy pairs measured and those refused (no ticket honoured). */
export interface LegacyPairStats {
  measured: number;
  refused: number;
}

/** LegacyPairOptions are the compare options of the route plus the ticket vouching for the pair. */
export interface LegacyPairOptions extends CompareOptions {
  ticket: LegacyPairTicket;
}

/** NoiseLearner learns noisy (path, class) pairs per route and answers isNoise. */
export interface NoiseLearner {
  /** observe counts one comparison's raw or redacted findings; `roots` lets it tell which tracked fields existed on both sides. */
  observe(route: string, findings: readonly Finding[], roots?: ObservedRoots): void;
  /**
   * legacyPairTicket vouches, before the primary is forwarded, that the secondary legacy may be asked the same
   * request: undefined when the method is not safe or the scope (default: the route) has drifted (see noteWrite).
   */
  legacyPairTicket(route: string, method: string, scope?: string): LegacyPairTicket | undefined;
  /**
   * noteWrite tells the learner a non-safe request reached the legacy store of `scope`: every ticket taken before is
   * void. Unless `secondaryInStep` (the secondary got the same write), the secondary has drifted and no ticket is
   * issued for the scope until resyncSecondary(scope).
   */
  noteWrite(scope: string, opts?: { secondaryInStep?: boolean }): void;
  /** resyncSecondary says the secondary legacy holds the same state as the legacy again (e.g. both stores reseeded). */
  resyncSecondary(scope: string): void;
  /**
   * observeLegacyPair compares two legacy answers to the same request; with a valid ticket, every differing
   * (path, class) that may be noise is measured. Returns the findings either way.
   */
  observeLegacyPair(route: string, legacyA: CapturedResponse, legacyB: CapturedResponse, opts: LegacyPairOptions): Finding[];
  /** isNoise is true when (path, class) was learned or measured as noise on the route (never for NEVER_NOISE classes). */
  isNoise(route: string, path: string, cls: DiffClass): boolean;
  /** view binds the learner to one route, for judge(). */
  view(route: string): NoiseView;
  /** tracks is true when the route has tracked paths, i.e. when passing `roots` to observe is worth it. */
  tracks(route: string): boolean;
  /** learned lists every learned and measured entry of a route with its counts, by path then class. */
  learned(route: string): LearnedPath[];
  /** legacyPairs counts the measured and refused legacy pairs of a route. */
  legacyPairs(route: string): LegacyPairStats;
}

interface Tracked { path: string; cls: DiffClass; samples: number; differ: number; tokens: string[] }
interface RouteState { learned: Map<string, Tracked>; measured: Map<string, Tracked>; pairs: LegacyPairStats }
interface ScopeState { epoch: number; inStep: boolean }

const keyOf = (path: string, cls: string): string => `${cls}\u0000${path}`;

/** True when both values exist on their side: the comparison saw the field on both sides. */
function bothSides(f: Finding): boolean {
  return f.legacy !== undefined && f.candidate !== undefined;
}

function resolves(value: unknown, tokens: readonly string[], at: number): boolean {
  if (at === tokens.length) return value !== undefined;
  if (value === null || typeof value !== 'object') return false;
  const token = tokens[at] as string;
  if (Array.isArray(value)) {
    if (token === '[*]') {
      for (const element of value) if (resolves(element, tokens, at + 1)) return true;
      return false;
    }
    if (token[0] !== '[') return false;
    return resolves(value[Number(token.slice(1, -1))], tokens, at + 1);
  }
  const rec = value as Record<string, unknown>;
  return Object.prototype.hasOwnProperty.call(rec, token) && resolves(rec[token], tokens, at + 1);
}

function presentIn(root: Record<string, unknown>, tokens: readonly string[]): boolean | undefined {
  const first = tokens[0];
  if (first === undefined || !Object.prototype.hasOwnProperty.call(root, first)) return undefined;
  return resolves(root[first], tokens, 1);
}

function sortEntries(a: LearnedPath, b: LearnedPath): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.class !== b.class) return a.class < b.class ? -1 : 1;
  return a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}

/** createNoiseLearner returns an in-memory, bounded noise learner. */
export function createNoiseLearner(opts: NoiseLearnerOptions = {}): NoiseLearner {
  const minSamples = opts.minSamples ?? 20;
  const minDifferRatio = opts.minDifferRatio ?? 0.9;
  const maxPaths = opts.maxPathsPerRoute ?? 256;
  const maxRoutes = opts.maxRoutes ?? 1000;
  if (!(minSamples >= 1) || !(minDifferRatio > 0 && minDifferRatio <= 1) || !(maxPaths >= 1) || !(maxRoutes >= 1)) {
    throw new DiffError('DIFF_BAD_OPTIONS', 'noise learner: minSamples ≥ 1, 0 < minDifferRatio ≤ 1, bounds ≥ 1');
  }
  const routes = new Map<string, RouteState>();
  const scopes = new Map<string, ScopeState>();

  const isLearned = (t: Tracked): boolean => t.samples >= minSamples && t.differ / t.samples >= minDifferRatio;
  const isMeasured = (t: Tracked): boolean => t.samples > 0 && t.differ / t.samples >= MEASURED_NOISE_RATIO;

  function state(route: string, create: boolean): RouteState | undefined {
    let s = routes.get(route);
    if (s === undefined && create && routes.size < maxRoutes) {
      s = { learned: new Map(), measured: new Map(), pairs: { measured: 0, refused: 0 } };
      routes.set(route, s);
    }
    return s;
  }

  function scope(name: string): ScopeState {
    let sc = scopes.get(name);
    if (sc === undefined) {
      // Bounded like routes: scopes are route or store names from config.
      if (scopes.size >= maxRoutes) scopes.delete(scopes.keys().next().value as string);
      sc = { epoch: 0, inStep: true };
      scopes.set(name, sc);
    }
    return sc;
  }

  function makeRoom(map: Map<string, Tracked>, done: (t: Tracked) => boolean): boolean {
    if (map.size < maxPaths) return true;
    // Evict an entry already proven not to be noise; keep candidates that may still become noise.
    for (const [k, t] of map) {
      if (done(t)) { map.delete(k); return true; }
    }
    return false;
  }

  function noiseSource(route: string, path: string, cls: DiffClass): 'learned' | 'measured' | undefined {
    if (isNeverNoise(cls)) return undefined;
    const s = routes.get(route);
    if (s === undefined) return undefined;
    const key = keyOf(normalizePath(path), cls);
    const m = s.measured.get(key);
    if (m !== undefined && isMeasured(m)) return 'measured';
    const t = s.learned.get(key);
    return t !== undefined && isLearned(t) ? 'learned' : undefined;
  }

  /** Counts one observation for every tracked entry whose field existed; `hit` are the keys that differed. */
  function count(map: Map<string, Tracked>, hit: ReadonlySet<string>, seenPaths: ReadonlySet<string>, roots: ObservedRoots | undefined, either: boolean): void {
    for (const [k, t] of map) {
      let present = hit.has(k) || seenPaths.has(t.path);
      if (!present) {
        // Without roots (or for a root we were not given) count the comparison: it can only slow learning down.
        const l = roots === undefined ? undefined : presentIn(roots.legacy, t.tokens);
        const c = roots === undefined ? undefined : presentIn(roots.candidate, t.tokens);
        present = either ? (l ?? true) || (c ?? true) : (l ?? true) && (c ?? true);
      }
      if (!present) continue;
      t.samples++;
      if (hit.has(k)) t.differ++;
    }
  }

  function measure(route: string, findings: readonly Finding[], roots: ObservedRoots | undefined): void {
    const s = state(route, true);
    if (s === undefined) return;
    s.pairs.measured++;
    const hit = new Map<string, { path: string; cls: DiffClass }>();
    const paths = new Set<string>();
    for (const f of findings) {
      const path = normalizePath(f.path);
      paths.add(path);
      if (!isNeverNoise(f.class)) hit.set(keyOf(path, f.class), { path, cls: f.class });
    }
    count(s.measured, new Set(hit.keys()), paths, roots, true);
    for (const [k, { path, cls }] of hit) {
      if (s.measured.has(k) || !makeRoom(s.measured, (t) => !isMeasured(t))) continue;
      s.measured.set(k, { path, cls, samples: 1, differ: 1, tokens: splitPath(path) });
    }
  }

  function honoured(route: string, ticket: LegacyPairTicket | undefined): boolean {
    // A ticket is required (the type says so; a JavaScript caller may still forget it): no ticket, no measurement.
    if (ticket === undefined) return false;
    const sc = scopes.get(ticket.scope);
    return ticket.route === route && SAFE_METHODS.has(ticket.method) && sc !== undefined && sc.inStep && sc.epoch === ticket.epoch;
  }

  return {
    observe(route, findings, roots) {
      const generated = new Set<string>();
      const differing = new Set<string>();
      // A field that was re-cased, changed type or went missing in this comparison is a real difference, whatever its value does.
      let structural: Set<string> | undefined;
      for (const f of findings) if (isNeverNoise(f.class)) (structural ??= new Set()).add(normalizePath(f.path));
      const fresh = new Map<string, { path: string; cls: DiffClass }>();
      for (const f of findings) {
        if (isNeverNoise(f.class) || !bothSides(f)) continue;
        const path = normalizePath(f.path);
        if (structural?.has(path) === true) continue;
        differing.add(path);
        if ((f.class === 'value' || f.class === 'header') && looksGenerated(f.legacy) && looksGenerated(f.candidate)) {
          const k = keyOf(path, f.class);
          generated.add(k);
          fresh.set(k, { path, cls: f.class });
        }
      }
      const s = state(route, generated.size > 0);
      if (s === undefined) return;
      count(s.learned, generated, differing, roots, false);
      for (const [k, { path, cls }] of fresh) {
        if (s.learned.has(k) || !makeRoom(s.learned, (t) => t.samples >= minSamples && !isLearned(t))) continue;
        s.learned.set(k, { path, cls, samples: 1, differ: 1, tokens: splitPath(path) });
      }
    },
    legacyPairTicket(route, method, scopeName = route) {
      const upper = method.toUpperCase();
      if (!SAFE_METHODS.has(upper)) return undefined;
      const sc = scope(scopeName);
      return sc.inStep ? { route, scope: scopeName, method: upper, epoch: sc.epoch } : undefined;
    },
    noteWrite(scopeName, writeOpts = {}) {
      const sc = scope(scopeName);
      sc.epoch++;
      if (writeOpts.secondaryInStep !== true) sc.inStep = false;
    },
    resyncSecondary(scopeName) {
      const sc = scope(scopeName);
      sc.epoch++;
      sc.inStep = true;
    },
    observeLegacyPair(route, legacyA, legacyB, pairOpts) {
      const { ticket, ...compareOpts } = pairOpts ?? ({} as Partial<LegacyPairOptions>);
      const cmp = compareResponses(legacyA, legacyB, { ...compareOpts, wantBodies: true });
      if (!honoured(route, ticket)) {
        const s = state(route, true);
        if (s !== undefined) s.pairs.refused++;
        return cmp.findings;
      }
      const roots = cmp.bodies === undefined ? undefined : {
        legacy: { body: cmp.bodies.legacy, header: legacyA.headers },
        candidate: { body: cmp.bodies.candidate, header: legacyB.headers },
      };
      measure(route, cmp.findings, roots);
      return cmp.findings;
    },
    isNoise(route, path, cls) {
      return noiseSource(route, path, cls) !== undefined;
    },
    view(route) {
      return { noiseSource: (path, cls) => noiseSource(route, path, cls) };
    },
    tracks(route) {
      const s = routes.get(route);
      return s !== undefined && s.learned.size > 0;
    },
    learned(route) {
      const s = routes.get(route);
      if (s === undefined) return [];
      const out: LearnedPath[] = [];
      for (const t of s.learned.values()) {
        out.push({ path: t.path, class: t.cls, source: 'learned', samples: t.samples, differ: t.differ, measured: false, noise: isLearned(t) });
      }
      for (const t of s.measured.values()) {
        out.push({ path: t.path, class: t.cls, source: 'measured', samples: t.samples, differ: t.differ, measured: true, noise: isMeasured(t) });
      }
      return out.sort(sortEntries);
    },
    legacyPairs(route) {
      const s = routes.get(route);
      return s === undefined ? { measured: 0, refused: 0 } : { ...s.pairs };
    },
  };
}
