/**
 * Mode 2 (live split traffic, one shared store): the shape of what legacy writes under a declared key — Redis type,
 * field names and JSON types — is learned from legacy-served requests, and a new-served write is checked against it.
 * Findings carry field names and type names only, never stored values, so nothing secret can leak from here.
 */
import { casingKey } from '../../shadow-report/casing.js';
import type { Finding } from '../../shadow-report/types.js';
import type { KeyState } from './store-reader.js';
import { REDIS_RULE } from './compare-keys.js';

/** ValueShape flattens a value to path → JSON kind (`UserEmail` → string, `[*].email` → string). */
export type ValueShape = Map<string, string>;

/** Objects nested deeper than this are summarised as `object`. */
const MAX_DEPTH = 6;
/** Array elements looked at to learn the element shape. */
const MAX_ELEMENTS = 20;

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function walk(value: unknown, path: string, depth: number, out: ValueShape): void {
  const k = kind(value);
  if (path !== '') {
    const existing = out.get(path);
    out.set(path, existing === undefined || existing === k ? k : existing === 'null' ? k : k === 'null' ? existing : `${existing}|${k}`);
  }
  if (depth >= MAX_DEPTH) return;
  if (k === 'object') {
    for (const [field, inner] of Object.entries(value as Record<string, unknown>)) walk(inner, path === '' ? field : `${path}.${field}`, depth + 1, out);
  } else if (k === 'array') {
    for (const element of (value as unknown[]).slice(0, MAX_ELEMENTS)) walk(element, path === '' ? '[*]' : `${path}[*]`, depth + 1, out);
  }
}

/** shapeOf returns the flattened shape of a value ('' maps to nothing: the root kind is kept separately). */
export function shapeOf(value: unknown): ValueShape {
  const out: ValueShape = new Map();
  walk(value, '', 0, out);
  return out;
}

interface LearnedKey {
  observations: number;
  redisTypes: Set<string>;
  rootKinds: Set<string>;
  /** path → kinds seen and how many observations had it. */
  fields: Map<string, { kinds: Set<string>; seen: number }>;
}

/** ShapeLearner keeps, per route and key name, what legacy wrote. Bounded: paths per key are capped. */
export interface ShapeLearner {
  learn(route: string, name: string, state: KeyState & { exists: true }): void;
  /** check returns drift findings of a new-side write, or undefined when nothing was learned for that key yet. */
  check(route: string, name: string, state: KeyState & { exists: true }): Finding[] | undefined;
  /** learned returns how many legacy writes shaped a key (0 when none). */
  observations(route: string, name: string): number;
}

/** Fields kept per learned key (a key holding arbitrary maps must not grow memory). */
const MAX_FIELDS = 256;

function splitPath(path: string): { parent: string; leaf: string } {
  const dot = path.lastIndexOf('.');
  const bracket = path.lastIndexOf('[');
  if (dot === -1 && bracket === -1) return { parent: '', leaf: path };
  return dot > bracket ? { parent: path.slice(0, dot), leaf: path.slice(dot + 1) } : { parent: path.slice(0, bracket), leaf: path.slice(bracket) };
}

function under(path: string, ancestors: Iterable<string>): boolean {
  for (const ancestor of ancestors) if (path.startsWith(`${ancestor}.`) || path.startsWith(`${ancestor}[`)) return true;
  return false;
}

/** createShapeLearner builds an empty learner. */
export function createShapeLearner(): ShapeLearner {
  const keys = new Map<string, LearnedKey>();
  const id = (route: string, name: string): string => `${route}\u0000${name}`;

  return {
    learn(route, name, state) {
      let learned = keys.get(id(route, name));
      if (learned === undefined) {
        learned = { observations: 0, redisTypes: new Set(), rootKinds: new Set(), fields: new Map() };
        keys.set(id(route, name), learned);
      }
      learned.observations++;
      learned.redisTypes.add(state.type);
      learned.rootKinds.add(kind(state.value));
      for (const [path, k] of shapeOf(state.value)) {
        let field = learned.fields.get(path);
        if (field === undefined) {
          if (learned.fields.size >= MAX_FIELDS) continue;
          field = { kinds: new Set(), seen: 0 };
          learned.fields.set(path, field);
        }
        for (const part of k.split('|')) field.kinds.add(part);
        field.seen++;
      }
    },
    check(route, name, state) {
      const learned = keys.get(id(route, name));
      if (learned === undefined || learned.observations === 0) return undefined;
      const base = `redis.${name}`;
      if (!learned.redisTypes.has(state.type)) {
        return [{ class: 'redis-type', path: base, legacy: [...learned.redisTypes].join('|'), candidate: state.type, rule: REDIS_RULE }];
      }
      const rootKind = kind(state.value);
      if (!learned.rootKinds.has(rootKind)) {
        return [{ class: 'type', path: base, legacy: [...learned.rootKinds].join('|'), candidate: rootKind, rule: REDIS_RULE }];
      }
      const findings: Finding[] = [];
      const shape = shapeOf(state.value);
      const unmatchedLearned = new Set<string>();
      for (const [path, field] of learned.fields) {
        if (!shape.has(path) && field.seen === learned.observations) unmatchedLearned.add(path);
      }
      const recased = new Set<string>(); // new-side paths reported as key-casing
      const twins = new Set<string>(); // their learned counterparts
      for (const [path, k] of shape) {
        const field = learned.fields.get(path);
        if (field !== undefined) {
          const foreign = k.split('|').filter((part) => part !== 'null' && !field.kinds.has(part));
          if (foreign.length > 0) findings.push({ class: 'type', path: `${base}.${path}`, legacy: [...field.kinds].join('|'), candidate: k, rule: REDIS_RULE });
          continue;
        }
        if (under(path, recased)) continue; // reported once, at the casing finding above it
        // Not a learned field: the same name in another casing or style is key-casing, anything else a new field.
        const { parent, leaf } = splitPath(path);
        const folded = casingKey(leaf);
        const twin = [...unmatchedLearned].find((candidate) => {
          const other = splitPath(candidate);
          return other.parent === parent && casingKey(other.leaf) === folded;
        });
        if (twin !== undefined) {
          unmatchedLearned.delete(twin);
          recased.add(path);
          twins.add(twin);
          findings.push({ class: 'key-casing', path: `${base}.${twin}`, legacy: splitPath(twin).leaf, candidate: leaf, rule: REDIS_RULE });
          continue;
        }
        findings.push({ class: 'redis-shape', path: `${base}.${path}`, candidate: k, rule: REDIS_RULE });
      }
      for (const path of unmatchedLearned) {
        // A field under a missing or re-cased parent is covered by the parent's finding.
        if (under(path, twins) || under(path, unmatchedLearned)) continue;
        findings.push({ class: 'missing-field', path: `${base}.${path}`, legacy: [...learned.fields.get(path)!.kinds].join('|'), rule: REDIS_RULE });
      }
      return findings;
    },
    observations(route, name) {
      return keys.get(id(route, name))?.observations ?? 0;
    },
  };
}
