import type { IncomingMessage } from 'node:http';
import type { Side } from '../../shadow-report/types.js';
import { bucketOf, BUCKETS, thresholdOf } from './bucket.js';
import type { StickyConfig } from '../config/schema.js';

/** RandomSource returns a float in [0, 1); injected so tests assert exact splits. */
export type RandomSource = () => number;

/** Selection is the chosen side and why, for logs and metrics. */
export interface Selection {
  side: Side;
  reason: 'override' | 'sticky' | 'draw';
}

/** SelectionInput is what a policy may look at. */
export interface SelectionInput {
  req: IncomingMessage;
  /** Raw query string without '?', or ''. */
  query: string;
  clientAddress: string;
}

/** SidePolicy chooses a side for a request (Caddy's selection-policy shape). */
export interface SidePolicy {
  select(input: SelectionInput, weightPercent: number): Selection;
}

/** createWeightedDraw chooses new with probability weight/100 from `random`. */
export function createWeightedDraw(random: RandomSource): SidePolicy {
  return {
    select(_input, weightPercent) {
      const threshold = thresholdOf(weightPercent);
      const side: Side = threshold >= BUCKETS ? 'new' : threshold <= 0 ? 'legacy' : random() * BUCKETS < threshold ? 'new' : 'legacy';
      return { side, reason: 'draw' };
    },
  };
}

/** stickyKeyReader extracts the sticky key a route names, or undefined when the request has none. */
export function stickyKeyReader(sticky: StickyConfig): (input: SelectionInput) => string | undefined {
  if ('header' in sticky) {
    const name = sticky.header.toLowerCase();
    return ({ req }) => {
      const value = req.headers[name];
      const key = Array.isArray(value) ? value[0] : value;
      return key === undefined || key === '' ? undefined : key;
    };
  }
  if ('cookie' in sticky) {
    const name = sticky.cookie;
    return ({ req }) => cookieValue(req.headers.cookie, name);
  }
  if ('query' in sticky) {
    const name = sticky.query;
    return ({ query }) => {
      if (query === '') return undefined;
      const value = new URLSearchParams(query).get(name);
      return value === null || value === '' ? undefined : value;
    };
  }
  return ({ clientAddress }) => clientAddress || undefined;
}

/** cookieValue finds cookie `name` in a Cookie header (RFC 6265 §5.4 pairs separated by ';'). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    if (pair.slice(0, eq).trim() === name) {
      const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/**
 * createStickyPolicy keeps a client on one side: its key hashes to a fixed bucket, and the bucket goes to new when
 * below weight×100. Raising the weight only moves buckets legacy → new; lowering it only moves them back.
 * Requests without a key fall back to `fallback` (it wraps the draw rather than adding flags to it).
 */
export function createStickyPolicy(sticky: StickyConfig, salt: string, fallback: SidePolicy): SidePolicy {
  const readKey = stickyKeyReader(sticky);
  return {
    select(input, weightPercent) {
      const key = readKey(input);
      if (key === undefined) return fallback.select(input, weightPercent);
      return { side: bucketOf(salt, key) < thresholdOf(weightPercent) ? 'new' : 'legacy', reason: 'sticky' };
    },
  };
}
