import type { CapturedResponse, Finding, SkipReason } from '../types.js';
import type { CompareOptions } from '../options.js';

/** RuleContext is what a rule may read besides the two answers, and where it reports a skipped comparison. */
export interface RuleContext {
  options: CompareOptions;
  /** Called when the rule could not compare (the result is then `skipped` unless other rules found differences). */
  skip(reason: SkipReason, detail?: string): void;
  /** Called by the body rule with the two decoded bodies (parsed JSON or text), so callers need not decode twice. */
  bodies?(legacy: unknown, candidate: unknown): void;
  /** With bodies: only when the bytes differ (equal bytes are a match without parsing). */
  bodiesIfDifferent?: boolean;
}

/** DiffRule is one pure difference rule: same inputs, same findings, never throws. Every finding carries the rule id. */
export interface DiffRule<T = CapturedResponse> {
  id: string;
  run(legacy: T, candidate: T, ctx: RuleContext): Finding[];
}
