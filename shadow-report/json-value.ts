/** JSON value kinds and structural equality, shared by the walker (compare-values.ts) and the array aligner (align.ts). */

/** Kind is the JSON kind of a value (Absent = undefined: JSON has no undefined). */
export const enum Kind { Absent, Null, String, Number, Boolean, Array, Object, Other }

/** kindOf returns the JSON kind of a value. */
export function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'string': return Kind.String;
    case 'number': return Kind.Number;
    case 'boolean': return Kind.Boolean;
    case 'undefined': return Kind.Absent;
    case 'object': return value === null ? Kind.Null : Array.isArray(value) ? Kind.Array : Kind.Object;
    default: return Kind.Other;
  }
}

/** Rec is a JSON object. */
export type Rec = Record<string, unknown>;
/** hasOwn is Object.prototype.hasOwnProperty, for `hasOwn.call(obj, key)`. */
export const hasOwn = Object.prototype.hasOwnProperty;

/** own returns the own, defined value of `key` (undefined means absent: JSON has no undefined). */
export function own(obj: Rec, key: string): unknown {
  return hasOwn.call(obj, key) ? obj[key] : undefined;
}

/** deepEqual compares two JSON values structurally without allocating. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  if (ka === Kind.Number) return Number.isNaN(a) && Number.isNaN(b);
  if (ka === Kind.Array) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  if (ka === Kind.Object) {
    const x = a as Rec;
    const y = b as Rec;
    let count = 0;
    for (const k in x) {
      if (!hasOwn.call(x, k)) continue;
      const v = x[k];
      if (v === undefined) continue;
      count++;
      if (!deepEqual(v, own(y, k))) return false;
    }
    for (const k in y) if (hasOwn.call(y, k) && y[k] !== undefined) count--;
    return count === 0;
  }
  return false;
}
