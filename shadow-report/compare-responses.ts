import type { CapturedResponse, Finding, SkipReason } from './types.js';
import type { CompareOptions } from './options.js';
import { RESPONSE_RULES } from './rules/index.js';
import type { RuleContext } from './rules/rule.js';

/** ResponseComparison is the raw (unjudged, unredacted) outcome of comparing two answers. */
export interface ResponseComparison {
  findings: Finding[];
  /** Set when (part of) the comparison was skipped; the first reason wins. */
  skipped?: { reason: SkipReason; detail?: string };
  /** Decoded bodies (parsed JSON or text; undefined = empty), only when `wantBodies` was set. */
  bodies?: { legacy: unknown; candidate: unknown };
}

/** ResponseCompareOptions adds engine switches to the route's compare options. */
export interface ResponseCompareOptions extends CompareOptions {
  /**
   * Also return the decoded bodies (the noise learner uses them to see which fields exist on both sides; redaction
   * reuses them). 'if-different': only when the bodies' bytes differ.
   */
  wantBodies?: boolean | 'if-different';
}

/**
 * compareResponses compares two captured answers (legacy first) with every response rule: status, the named headers,
 * and the body. It never throws on well-formed CapturedResponse values.
 */
export function compareResponses(legacy: CapturedResponse, candidate: CapturedResponse, opts: ResponseCompareOptions = {}): ResponseComparison {
  const result: ResponseComparison = { findings: [] };
  const ctx: RuleContext = {
    options: opts,
    skip(reason, detail) {
      if (result.skipped === undefined) result.skipped = detail === undefined ? { reason } : { reason, detail };
    },
  };
  if (opts.wantBodies === true || opts.wantBodies === 'if-different') {
    ctx.bodies = (l, c) => { result.bodies = { legacy: l, candidate: c }; };
    if (opts.wantBodies === 'if-different') ctx.bodiesIfDifferent = true;
  }
  for (const rule of RESPONSE_RULES) {
    const found = rule.run(legacy, candidate, ctx);
    for (const f of found) result.findings.push(f);
  }
  return result;
}
