/**
 * The structural JSON walker. It compares two parsed JSON values and classifies every difference
 * (missing-field, extra-field, value, type, null-vs-absent, key-casing, array-order, array-length).
 *
 * Speed matters (every mirrored request goes through here): the walker keeps one mutable stack of path segments and
 * only builds a path string when it reports a finding; equal scalars are skipped by `===`, nothing is cloned.
 */
import type { DiffClass, Finding } from './types.js';
import { casingKey } from './casing.js';
import { formatPath, normalizePath } from './paths.js';
import { alignArrays } from './align.js';
import { Kind, deepEqual, hasOwn, kindOf, own, type Rec } from './json-value.js';

export { deepEqual } from './json-value.js';

/** ValueCompareOptions tunes compareValues. */
export interface ValueCompareOptions {
  /** Array path (indices may be written `[*]` or as numbers) → id field; such arrays are matched by id, not position. */
  arrayKeys?: Readonly<Record<string, string>>;
  /** Rule id put on every finding. Default `body`. */
  rule?: string;
  /** Arrays up to this length are checked for "same elements, other order". Default 256. */
  maxOrderCheck?: number;
}

interface State {
  base: string;
  rule: string;
  segments: (string | number)[];
  depth: number;
  out: Finding[];
  arrayKeys: Map<string, string> | undefined;
  maxOrderCheck: number;
}

function path(st: State): string {
  return formatPath(st.base, st.segments, st.depth);
}

function report(st: State, cls: DiffClass, legacy: unknown, candidate: unknown): void {
  const finding: Finding = { class: cls, path: path(st), rule: st.rule };
  if (legacy !== undefined) finding.legacy = legacy;
  if (candidate !== undefined) finding.candidate = candidate;
  st.out.push(finding);
}

function push(st: State, segment: string | number): void {
  st.segments[st.depth++] = segment;
}

function absent(st: State, legacy: unknown, candidate: unknown): void {
  if (legacy === undefined) report(st, candidate === null ? 'null-vs-absent' : 'extra-field', undefined, candidate);
  else report(st, legacy === null ? 'null-vs-absent' : 'missing-field', legacy, undefined);
}

function walk(st: State, a: unknown, b: unknown): void {
  if (a === b) return;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === Kind.Absent || kb === Kind.Absent) { absent(st, a, b); return; }
  if (ka !== kb) { report(st, 'type', a, b); return; }
  switch (ka) {
    case Kind.Object: walkObject(st, a as Rec, b as Rec); return;
    case Kind.Array: walkArray(st, a as unknown[], b as unknown[]); return;
    case Kind.Number: if (Number.isNaN(a) && Number.isNaN(b)) return; report(st, 'value', a, b); return;
    case Kind.Other: if (Object.is(a, b)) return; report(st, 'value', a, b); return;
    default: report(st, 'value', a, b);
  }
}

function walkObject(st: State, a: Rec, b: Rec): void {
  let missing: string[] | undefined;
  let matched = 0;
  for (const k in a) {
    if (!hasOwn.call(a, k)) continue;
    const av = a[k];
    if (av === undefined) continue;
    const bv = own(b, k);
    if (bv === undefined) { (missing ??= []).push(k); continue; }
    matched++;
    if (av === bv) continue;
    push(st, k);
    walk(st, av, bv);
    st.depth--;
  }
  let bCount = 0;
  for (const k in b) if (hasOwn.call(b, k) && b[k] !== undefined) bCount++;
  if (bCount === matched && missing === undefined) return;

  let extra: string[] | undefined;
  if (bCount !== matched) {
    for (const k in b) {
      if (!hasOwn.call(b, k) || b[k] === undefined) continue;
      if (own(a, k) === undefined) (extra ??= []).push(k);
    }
  }
  // The same field in another casing or style is ONE key-casing finding, and the values under it are still compared.
  if (missing !== undefined && extra !== undefined) {
    const extraFolded = extra.map(casingKey);
    for (let i = 0; i < missing.length; i++) {
      const m = missing[i] as string;
      const folded = casingKey(m);
      if (folded === '') continue;
      const j = extraFolded.indexOf(folded);
      if (j === -1) continue;
      const e = extra[j] as string;
      extraFolded[j] = '\u0000'; // used
      missing[i] = '\u0000';
      push(st, m);
      report(st, 'key-casing', m, e);
      walk(st, a[m], b[e]);
      st.depth--;
      extra[j] = '\u0000';
    }
  }
  if (missing !== undefined) {
    for (const m of missing) {
      if (m === '\u0000') continue;
      push(st, m);
      absent(st, a[m], undefined);
      st.depth--;
    }
  }
  if (extra !== undefined) {
    for (const e of extra) {
      if (e === '\u0000') continue;
      push(st, e);
      absent(st, undefined, b[e]);
      st.depth--;
    }
  }
}

function arrayKeyFor(st: State): string | undefined {
  if (st.arrayKeys === undefined) return undefined;
  return st.arrayKeys.get(normalizePath(path(st)));
}

/** One element present on one side only is reported as `missing-field`/`extra-field` at its index, even a null one. */
function element(st: State, index: number, legacy: unknown, candidate: unknown): void {
  push(st, index);
  if (candidate === undefined) report(st, 'missing-field', legacy, undefined);
  else report(st, 'extra-field', undefined, candidate);
  st.depth--;
}

function walkArray(st: State, a: unknown[], b: unknown[]): void {
  const idField = arrayKeyFor(st);
  if (idField !== undefined) { walkKeyedArray(st, a, b, idField); return; }
  if (a.length !== b.length) { walkAlignedArray(st, a, b); return; }
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!deepEqual(a[i], b[i])) { first = i; break; }
  }
  if (first === -1) return;
  if (a.length <= st.maxOrderCheck && isPermutationFrom(a, b, first)) { report(st, 'array-order', a, b); return; }
  for (let i = first; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    push(st, i);
    walk(st, a[i], b[i]);
    st.depth--;
  }
}

/**
 * walkAlignedArray compares arrays of different lengths: one `array-length` finding, then the elements aligned
 * (see alignArrays) — each aligned pair compared like any value (legacy index in the path), each unaligned element
 * reported as removed (`missing-field` at its legacy index) or added (`extra-field` at its new index).
 */
function walkAlignedArray(st: State, a: unknown[], b: unknown[]): void {
  report(st, 'array-length', a.length, b.length);
  for (const step of alignArrays(a, b)) {
    if (step.i === -1) element(st, step.j, undefined, b[step.j]);
    else if (step.j === -1) element(st, step.i, a[step.i], undefined);
    else if (step.same !== true && a[step.i] !== b[step.j]) {
      push(st, step.i);
      walk(st, a[step.i], b[step.j]);
      st.depth--;
    }
  }
}

/** True when b[from..] holds exactly the elements of a[from..] in another order (deep equality is an equivalence, so greedy matching is exact). */
function isPermutationFrom(a: unknown[], b: unknown[], from: number): boolean {
  const used = new Uint8Array(b.length);
  outer: for (let i = from; i < a.length; i++) {
    if (used[i] === 0 && deepEqual(a[i], b[i])) { used[i] = 1; continue; }
    for (let j = from; j < b.length; j++) {
      if (used[j] === 0 && deepEqual(a[i], b[j])) { used[j] = 1; continue outer; }
    }
    return false;
  }
  return true;
}

/** The id of a keyed array element, by its string form (so `1` and `"1"` name one element); the field is found in any casing. */
function idOf(element: unknown, idField: string): string | undefined {
  if (kindOf(element) !== Kind.Object) return undefined;
  const rec = element as Rec;
  let id = own(rec, idField);
  if (id === undefined) {
    const folded = casingKey(idField);
    for (const k in rec) if (hasOwn.call(rec, k) && casingKey(k) === folded) { id = rec[k]; break; }
  }
  return typeof id === 'string' ? id : typeof id === 'number' || typeof id === 'boolean' ? String(id) : undefined;
}

function walkKeyedArray(st: State, a: unknown[], b: unknown[], idField: string): void {
  if (a.length !== b.length) report(st, 'array-length', a.length, b.length);
  const byId = new Map<string, number>();
  for (let j = 0; j < b.length; j++) {
    const id = idOf(b[j], idField);
    if (id !== undefined && !byId.has(id)) byId.set(id, j);
  }
  const used = new Uint8Array(b.length);
  let lastMatched = -1;
  let reordered = false;
  for (let i = 0; i < a.length; i++) {
    const id = idOf(a[i], idField);
    let j = id === undefined ? undefined : byId.get(id);
    if (j !== undefined && used[j] === 1) j = undefined; // a duplicate id on the legacy side
    if (j === undefined && id === undefined && i < b.length && used[i] === 0 && idOf(b[i], idField) === undefined) j = i;
    if (j === undefined) { element(st, i, a[i], undefined); continue; }
    used[j] = 1;
    if (j < lastMatched) reordered = true;
    lastMatched = j;
    push(st, i);
    walk(st, a[i], b[j]);
    st.depth--;
  }
  for (let j = 0; j < b.length; j++) if (used[j] === 0) element(st, j, undefined, b[j]);
  if (reordered) report(st, 'array-order', a.map((e) => idOf(e, idField)), b.map((e) => idOf(e, idField)));
}

function compileArrayKeys(arrayKeys: Readonly<Record<string, string>> | undefined): Map<string, string> | undefined {
  if (arrayKeys === undefined) return undefined;
  const map = new Map<string, string>();
  for (const [p, id] of Object.entries(arrayKeys)) map.set(normalizePath(p), id);
  return map.size === 0 ? undefined : map;
}

const arrayKeyCache = new WeakMap<object, Map<string, string> | undefined>();

function arrayKeysOf(opts: ValueCompareOptions): Map<string, string> | undefined {
  const source = opts.arrayKeys;
  if (source === undefined) return undefined;
  if (arrayKeyCache.has(source)) return arrayKeyCache.get(source);
  const compiled = compileArrayKeys(source);
  arrayKeyCache.set(source, compiled);
  return compiled;
}

/**
 * compareValues compares two parsed JSON values under `basePath` (`body`, `redis.token`) and returns the classified
 * differences, legacy first. It never throws on JSON input and never mutates or clones its inputs.
 */
export function compareValues(legacy: unknown, candidate: unknown, basePath: string, opts: ValueCompareOptions = {}): Finding[] {
  const out: Finding[] = [];
  if (legacy === candidate) return out;
  const st: State = {
    base: basePath,
    rule: opts.rule ?? 'body',
    segments: [],
    depth: 0,
    out,
    arrayKeys: arrayKeysOf(opts),
    maxOrderCheck: opts.maxOrderCheck ?? 256,
  };
  walk(st, legacy, candidate);
  return out;
}
