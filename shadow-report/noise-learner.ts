/**
 * Noise learning, two ways:
 * - from traffic: per route and normalized path (indices → `[*]`), count the comparisons in which the field exists on
 *   both sides, and those in which its values differ and both look generated (ids, tokens, timestamps). After
 *   `minSamples` with a differ ratio ≥ `minDifferRatio` the path is noise;
 * - Diffy's method: a path that differs between two legacy answers to the same request is measured noise.
 * Casing, type and status differences are never noise (NEVER_NOISE); memory is bounded per route.
 */
import { NEVER_NOISE, type CapturedResponse, type DiffClass, type Finding } from './types.js';
import type { CompareOptions } from './options.js';
import type { NoiseView } from './judge.js';
import { compareResponses } from './compare-responses.js';
import { looksGenerated } from './generated.js';
import { normalizePath, splitPath } from './paths.js';
import { DiffError } from './errors.js';

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

/** LearnedPath is what the learner knows about one normalized path of a route. */
export interface LearnedPath {
  path: string;
  samples: number;
  differ: number;
  measured: boolean;
  noise: boolean;
}

/** NoiseLearner learns noisy paths per route and answers isNoise. */
export interface NoiseLearner {
  /** observe counts one comparison's raw or redacted findings; `roots` lets it tell which tracked fields existed on both sides. */
  observe(route: string, findings: readonly Finding[], roots?: ObservedRoots): void;
  /** observeLegacyPair compares two legacy answers to the same request and marks every differing path as measured noise. */
  observeLegacyPair(route: string, legacyA: CapturedResponse, legacyB: CapturedResponse, opts?: CompareOptions): Finding[];
  isNoise(route: string, path: string): boolean;
  /** view binds the learner to one route, for judge(). */
  view(route: string): NoiseView;
  /** tracks is true when the route has tracked paths, i.e. when passing `roots` to observe is worth it. */
  tracks(route: string): boolean;
  learned(route: string): LearnedPath[];
}

interface Tracked { samples: number; differ: number; tokens: string[] }
interface RouteState { paths: Map<string, Tracked>; measured: Set<string> }

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

  const isLearned = (t: Tracked): boolean => t.samples >= minSamples && t.differ / t.samples >= minDifferRatio;

  function state(route: string, create: boolean): RouteState | undefined {
    let s = routes.get(route);
    if (s === undefined && create && routes.size < maxRoutes) {
      s = { paths: new Map(), measured: new Set() };
      routes.set(route, s);
    }
    return s;
  }

  function makeRoom(s: RouteState): boolean {
    if (s.paths.size < maxPaths) return true;
    // Evict a path already proven not to be noise; keep candidates that may still become noise.
    for (const [p, t] of s.paths) {
      if (t.samples >= minSamples && !isLearned(t)) { s.paths.delete(p); return true; }
    }
    return false;
  }

  function isNoise(route: string, path: string): boolean {
    const s = routes.get(route);
    if (s === undefined) return false;
    const norm = normalizePath(path);
    if (s.measured.has(norm)) return true;
    const t = s.paths.get(norm);
    return t !== undefined && isLearned(t);
  }

  return {
    observe(route, findings, roots) {
      const generated = new Set<string>();
      const differing = new Set<string>();
      // A field that was re-cased or changed type in this comparison is a real difference, whatever its value does.
      let structural: Set<string> | undefined;
      for (const f of findings) if (NEVER_NOISE.has(f.class as DiffClass)) (structural ??= new Set()).add(normalizePath(f.path));
      for (const f of findings) {
        if (NEVER_NOISE.has(f.class as DiffClass) || !bothSides(f)) continue;
        if (structural?.has(normalizePath(f.path)) === true) continue;
        const norm = normalizePath(f.path);
        differing.add(norm);
        if ((f.class === 'value' || f.class === 'header') && looksGenerated(f.legacy) && looksGenerated(f.candidate)) generated.add(norm);
      }
      const s = state(route, generated.size > 0);
      if (s === undefined) return;
      for (const [p, t] of s.paths) {
        let present = generated.has(p) || differing.has(p);
        if (!present) {
          // Without roots (or for a root we were not given) count the comparison: it can only slow learning down.
          const l = roots === undefined ? undefined : presentIn(roots.legacy, t.tokens);
          const c = roots === undefined ? undefined : presentIn(roots.candidate, t.tokens);
          present = (l ?? true) && (c ?? true);
        }
        if (!present) continue;
        t.samples++;
        if (generated.has(p)) t.differ++;
      }
      for (const p of generated) {
        if (s.paths.has(p) || !makeRoom(s)) continue;
        s.paths.set(p, { samples: 1, differ: 1, tokens: splitPath(p) });
      }
    },
    observeLegacyPair(route, legacyA, legacyB, compareOpts = {}) {
      const { findings } = compareResponses(legacyA, legacyB, compareOpts);
      const s = state(route, findings.length > 0);
      if (s !== undefined) {
        for (const f of findings) {
          if (NEVER_NOISE.has(f.class as DiffClass) || s.measured.size >= maxPaths) continue;
          s.measured.add(normalizePath(f.path));
        }
      }
      return findings;
    },
    isNoise,
    view(route) {
      return { isNoise: (path) => isNoise(route, path) };
    },
    tracks(route) {
      const s = routes.get(route);
      return s !== undefined && s.paths.size > 0;
    },
    learned(route) {
      const s = routes.get(route);
      if (s === undefined) return [];
      const out: LearnedPath[] = [];
      const seen = new Set<string>();
      for (const [path, t] of s.paths) {
        seen.add(path);
        out.push({ path, samples: t.samples, differ: t.differ, measured: s.measured.has(path), noise: isLearned(t) || s.measured.has(path) });
      }
      for (const path of s.measured) if (!seen.has(path)) out.push({ path, samples: 0, differ: 0, measured: true, noise: true });
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
  };
}
