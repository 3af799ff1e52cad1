import { isNeverNoise, type ComparisonResult, type DiffClass, type Finding, type JudgedFinding } from './types.js';
import { compilePattern, compilePatterns, type PathMatcher } from './paths.js';

/** AcceptRule is an intended difference: a path pattern, an optional class, and the reason shown on the report. */
export interface AcceptRule {
  path: string;
  class?: string;
  reason: string;
  /** Only for requests with one of these methods. */
  methods?: readonly string[];
  /** Only for requests whose path is this prefix or below it (segment-aware). */
  pathPrefix?: string;
}

/** RequestScope is the request a comparison is about, for accept rules scoped to an endpoint. */
export interface RequestScope {
  method: string;
  path: string;
}

function inScope(rule: { methods?: readonly string[]; pathPrefix?: string }, scope: RequestScope | undefined): boolean {
  if (rule.methods === undefined && rule.pathPrefix === undefined) return true;
  if (scope === undefined) return false;
  if (rule.methods !== undefined && !rule.methods.includes(scope.method)) return false;
  if (rule.pathPrefix !== undefined && rule.pathPrefix !== '/') {
    const path = scope.path.split('?', 1)[0]!;
    const prefix = rule.pathPrefix.replace(/\/$/, '');
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
  }
  return true;
}

/** JudgeRules are the route's declared ignore, noise and accept lists (the `compare` config section). */
export interface JudgeRules {
  ignore?: readonly string[];
  noise?: readonly string[];
  accept?: readonly AcceptRule[];
}

/** NoiseView answers, for one route, whether a finding (path and class) was learned or measured as noise. */
export interface NoiseView {
  noiseSource(path: string, cls: DiffClass): 'learned' | 'measured' | undefined;
}

/** Judgement is the judged findings (ignored ones included, marked) and the comparison's overall result. */
export interface Judgement {
  findings: JudgedFinding[];
  result: ComparisonResult;
}

interface CompiledRules {
  ignore: (path: string) => number;
  noise: (path: string) => number;
  accept: { match: PathMatcher; class?: string; reason: string; methods?: readonly string[]; pathPrefix?: string }[];
}

// Rules come from config and are reused for every comparison: compile each rules object once.
const compiled = new WeakMap<JudgeRules, CompiledRules>();

function compile(rules: JudgeRules): CompiledRules {
  let c = compiled.get(rules);
  if (c === undefined) {
    c = {
      ignore: compilePatterns(rules.ignore ?? []),
      noise: compilePatterns(rules.noise ?? []),
      accept: (rules.accept ?? []).map((a) => ({
        match: compilePattern(a.path),
        reason: a.reason,
        ...(a.class === undefined ? {} : { class: a.class }),
        ...(a.methods === undefined ? {} : { methods: a.methods }),
        ...(a.pathPrefix === undefined ? {} : { pathPrefix: a.pathPrefix }),
      })),
    };
    compiled.set(rules, c);
  }
  return c;
}

/** resultOf derives a comparison result from judged findings (ignored ones do not count). */
export function resultOf(findings: readonly JudgedFinding[]): ComparisonResult {
  let noise = 0;
  let accepted = 0;
  for (const f of findings) {
    if (f.verdict === 'unexpected') return 'differ';
    if (f.verdict === 'noise') noise++;
    else if (f.verdict === 'accepted') accepted++;
  }
  if (accepted > 0) return 'accepted-only';
  return noise > 0 ? 'noise-only' : 'match';
}

/**
 * judge gives every finding a verdict, in this order: ignored (path in `ignore`), accepted (path and class in
 * `accept`, with its reason), noise (path in `noise`, or path and class learned or measured; never for NEVER_NOISE
 * classes; `reason` says which: declared, learned, measured), else unexpected.
 * The result is `differ` if anything is unexpected, `accepted-only` if something was accepted, `noise-only`, or `match`.
 */
export function judge(findings: readonly Finding[], rules: JudgeRules, learner?: NoiseView, scope?: RequestScope): Judgement {
  const c = compile(rules);
  const out: JudgedFinding[] = [];
  for (const f of findings) {
    if (c.ignore(f.path) !== -1) { out.push({ ...f, verdict: 'ignored' }); continue; }
    const accept = c.accept.find((a) => (a.class === undefined || a.class === f.class) && a.match(f.path) && inScope(a, scope));
    if (accept !== undefined) { out.push({ ...f, verdict: 'accepted', reason: accept.reason }); continue; }
    if (!isNeverNoise(f.class)) {
      const source = c.noise(f.path) !== -1 ? 'declared' : learner?.noiseSource(f.path, f.class);
      if (source !== undefined) { out.push({ ...f, verdict: 'noise', reason: source }); continue; }
    }
    out.push({ ...f, verdict: 'unexpected' });
  }
  return { findings: out, result: resultOf(out) };
}
