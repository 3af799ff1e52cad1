/**
 * Alignment of two arrays of different lengths (no id field declared): which legacy element became which new one,
 * and which were removed or added. Equal prefix and suffix are cut first; the rest is aligned like a longest common
 * subsequence in which elements need not be equal, only similar enough (a record with one field changed, an id turned
 * into a string) — the alignment maximises the total similarity of the pairs, in order. Above ALIGN_MAX_CELLS pairs to
 * score, a greedy walk with a short, budgeted look-ahead takes over, so a huge array costs time linear in its length.
 */
import { casingKey } from './casing.js';
import { Kind, deepEqual, hasOwn, kindOf, type Rec } from './json-value.js';

/** ALIGN_MIN_SIMILARITY is the least similarity (0..1) at which two elements count as one element changed. */
export const ALIGN_MIN_SIMILARITY = 0.5;
/** ALIGN_MAX_CELLS bounds the exact alignment (legacy × new elements left after cutting the equal ends). */
export const ALIGN_MAX_CELLS = 10_000;
/** ALIGN_LOOKAHEAD is how far the greedy fallback looks for the next match on either side. */
export const ALIGN_LOOKAHEAD = 16;
/** ALIGN_LOOKAHEAD_BUDGET bounds the similarity scores the greedy look-ahead may spend on one array pair; past it, unmatched elements are reported as removed and added in place. */
export const ALIGN_LOOKAHEAD_BUDGET = 20_000;

/** Similarity of one object field whose values are equal in their string form only (`1` vs `"1"`). */
const SAME_TEXT = 0.8;
/** Similarity of one object field holding a changed object or array (same kind). */
const SAME_CONTAINER = 0.5;
/** Least similarity of two records sharing an id-like field (`id`, `userId`, `uuid`) with the same string form. */
const SAME_ID = 0.75;

/** AlignStep is one step of an alignment: a pair (i, j), a removed legacy element (j = -1) or an added new one (i = -1); `same` when the pair is deep-equal. */
export interface AlignStep { i: number; j: number; same?: true }

const isScalar = (kind: Kind): boolean => kind === Kind.String || kind === Kind.Number || kind === Kind.Boolean;

// Field names recur across every element of an array: remember which are id-like (bounded).
const idLike = new Map<string, boolean>();

function isIdLike(key: string): boolean {
  let hit = idLike.get(key);
  if (hit === undefined) {
    const folded = casingKey(key);
    hit = folded === 'id' || folded === 'uuid' || folded === 'guid' || key.endsWith('Id') || key.endsWith('ID') || key.endsWith('_id');
    if (idLike.size < 1000) idLike.set(key, hit);
  }
  return hit;
}

/** Field similarity: 1 equal, SAME_TEXT same string form, SAME_CONTAINER both changed containers of one kind, else 0. */
function fieldSimilarity(x: unknown, y: unknown): number {
  if (x === y) return 1;
  const kx = kindOf(x);
  const ky = kindOf(y);
  if (kx !== ky) return isScalar(kx) && isScalar(ky) && String(x) === String(y) ? SAME_TEXT : 0;
  if (kx === Kind.Object || kx === Kind.Array) return deepEqual(x, y) ? 1 : SAME_CONTAINER;
  return kx === Kind.Number && Number.isNaN(x) && Number.isNaN(y) ? 1 : 0;
}

function objectSimilarity(x: Rec, y: Rec): number {
  let yKeys = 0;
  let folded: Map<string, string> | undefined;
  for (const k in y) if (hasOwn.call(y, k) && y[k] !== undefined) yKeys++;
  let union = yKeys;
  let sum = 0;
  let sameId = false;
  for (const k in x) {
    if (!hasOwn.call(x, k) || x[k] === undefined) continue;
    let other: unknown = hasOwn.call(y, k) ? y[k] : undefined;
    if (other === undefined) {
      // A re-cased field is the same field: the casing is reported by the walker, not by the alignment.
      if (folded === undefined) {
        folded = new Map();
        for (const key in y) if (hasOwn.call(y, key) && y[key] !== undefined) folded.set(casingKey(key), key);
      }
      const twin = folded.get(casingKey(k));
      other = twin === undefined ? undefined : y[twin];
    }
    if (other === undefined) { union++; continue; }
    const s = fieldSimilarity(x[k], other);
    sum += s;
    if (s >= SAME_TEXT && !sameId && isScalar(kindOf(x[k])) && isIdLike(k)) sameId = true;
  }
  if (union === 0) return 1;
  const score = sum / union;
  return sameId ? Math.max(score, SAME_ID) : score;
}

function arraySimilarity(x: unknown[], y: unknown[]): number {
  const longest = Math.max(x.length, y.length);
  if (longest === 0) return 1;
  let equal = 0;
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (deepEqual(x[i], y[i])) equal++;
  return equal / longest;
}

/** similarity scores how likely two elements are one element, changed (0..1; 1 = the same values, keys maybe re-cased). Shallow: bounded cost. */
export function similarity(x: unknown, y: unknown): number {
  const kind = kindOf(x);
  if (kind === Kind.Object && kindOf(y) === Kind.Object) return objectSimilarity(x as Rec, y as Rec);
  if (kind === Kind.Array && kindOf(y) === Kind.Array) return arraySimilarity(x as unknown[], y as unknown[]);
  return fieldSimilarity(x, y);
}

/** A pair step; `same` only when deep-equal (a similarity of 1 may hide a re-cased key the walker must still report). */
function pair(a: unknown[], i: number, b: unknown[], j: number, s: number): AlignStep {
  return s === 1 && deepEqual(a[i], b[j]) ? { i, j, same: true } : { i, j };
}

/** Exact alignment of a[a0..a1) with b[b0..b1): dynamic programming over the similarity of every pair. */
function alignExact(a: unknown[], a0: number, a1: number, b: unknown[], b0: number, b1: number, out: AlignStep[]): void {
  const n = a1 - a0;
  const m = b1 - b0;
  const sim = new Float64Array(n * m);
  const score = new Float64Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => i * (m + 1) + j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const s = similarity(a[a0 + i - 1], b[b0 + j - 1]);
      sim[(i - 1) * m + (j - 1)] = s;
      let best = Math.max(score[at(i - 1, j)]!, score[at(i, j - 1)]!);
      if (s >= ALIGN_MIN_SIMILARITY) best = Math.max(best, score[at(i - 1, j - 1)]! + s);
      score[at(i, j)] = best;
    }
  }
  const steps: AlignStep[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0) {
      const s = sim[(i - 1) * m + (j - 1)]!;
      if (s >= ALIGN_MIN_SIMILARITY && score[at(i, j)] === score[at(i - 1, j - 1)]! + s) {
        steps.push(pair(a, a0 + i - 1, b, b0 + j - 1, s)); i--; j--; continue;
      }
    }
    if (i > 0 && (j === 0 || score[at(i, j)] === score[at(i - 1, j)])) { steps.push({ i: a0 + i - 1, j: -1 }); i--; continue; }
    steps.push({ i: -1, j: b0 + j - 1 }); j--;
  }
  for (let k = steps.length - 1; k >= 0; k--) out.push(steps[k]!);
}

/** Greedy alignment for large arrays: pair when similar, else skip to the nearest similar element within ALIGN_LOOKAHEAD. */
function alignGreedy(a: unknown[], a0: number, a1: number, b: unknown[], b0: number, b1: number, out: AlignStep[]): void {
  let i = a0;
  let j = b0;
  let budget = ALIGN_LOOKAHEAD_BUDGET;
  while (i < a1 && j < b1) {
    const s = similarity(a[i], b[j]);
    if (s >= ALIGN_MIN_SIMILARITY) { out.push(pair(a, i, b, j, s)); i++; j++; continue; }
    let skipB = 0;
    let skipA = 0;
    for (let k = 1; k <= ALIGN_LOOKAHEAD && budget > 0; k++) {
      budget -= 2;
      if (j + k < b1 && similarity(a[i], b[j + k]) >= ALIGN_MIN_SIMILARITY) { skipB = k; break; }
      if (i + k < a1 && similarity(a[i + k], b[j]) >= ALIGN_MIN_SIMILARITY) { skipA = k; break; }
    }
    if (skipB > 0) { for (let k = 0; k < skipB; k++) out.push({ i: -1, j: j++ }); continue; }
    if (skipA > 0) { for (let k = 0; k < skipA; k++) out.push({ i: i++, j: -1 }); continue; }
    out.push({ i: i++, j: -1 });
    out.push({ i: -1, j: j++ });
  }
  while (i < a1) out.push({ i: i++, j: -1 });
  while (j < b1) out.push({ i: -1, j: j++ });
}

/**
 * alignArrays aligns two arrays in order and returns the steps, pairs of deep-equal elements included. Equal ends are
 * cut first (the common case: items appended or removed), then the middle is aligned exactly or, when larger than
 * ALIGN_MAX_CELLS, greedily.
 */
export function alignArrays(a: unknown[], b: unknown[]): AlignStep[] {
  const out: AlignStep[] = [];
  let start = 0;
  const shortest = Math.min(a.length, b.length);
  while (start < shortest && deepEqual(a[start], b[start])) { out.push({ i: start, j: start, same: true }); start++; }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && deepEqual(a[endA - 1], b[endB - 1])) { endA--; endB--; }
  const n = endA - start;
  const m = endB - start;
  if (n > 0 && m > 0 && n * m <= ALIGN_MAX_CELLS) alignExact(a, start, endA, b, start, endB, out);
  else alignGreedy(a, start, endA, b, start, endB, out);
  for (let k = 0; endA + k < a.length; k++) out.push({ i: endA + k, j: endB + k, same: true });
  return out;
}
