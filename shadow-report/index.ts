/** The comparison engine's public surface: compare, judge, learn noise, redact, store, count. */
export * from './types.js';
export * from './errors.js';
export type { CompareOptions } from './options.js';
export { DEFAULT_COMPARE_MAX_BODY_BYTES, DEFAULT_COMPARED_HEADERS } from './options.js';
export { compareValues, deepEqual, type ValueCompareOptions } from './compare-values.js';
export { compareResponses, type ResponseComparison, type ResponseCompareOptions } from './compare-responses.js';
export { RESPONSE_RULES, statusRule, headersRule, bodyRule, type DiffRule, type RuleContext } from './rules/index.js';
export { ALL_HEADERS, TRANSPORT_HEADERS, comparedHeaderNames } from './rules/headers.js';
export { judge, resultOf, type AcceptRule, type RequestScope, type JudgeRules, type Judgement, type NoiseView } from './judge.js';
export {
  createNoiseLearner, MEASURED_NOISE_RATIO, SAFE_METHODS, type NoiseLearner, type NoiseLearnerOptions, type ObservedRoots, type LearnedPath,
  type LegacyPairTicket, type LegacyPairOptions, type LegacyPairStats,
} from './noise-learner.js';
export { looksGenerated, looksRandomToken } from './generated.js';
export { createRedactor, isPlaceholder, DEFAULT_SECRET_FIELDS, type Redactor, type RedactionSession, type RedactorOptions, type PlaceholderType } from './redact.js';
export { createMemoryDiffStore, type MemoryDiffStoreOptions } from './store/memory.js';
export { createRedisDiffStore, COUNTER_FLUSH_MS, type RedisDiffStore, type RedisDiffStoreOptions, type RedisDiffStoreStats } from './store/redis.js';
export { endpointOf, patternId, PERVASIVE_SHARE, PERVASIVE_MIN_COMPARISONS, PATTERNS_PER_VERDICT, SAMPLES_PER_PATTERN } from './store/patterns.js';
export { createComparisonMetrics, COMPARISON_RESULTS, LIVE_CHECK_RESULTS, type ComparisonMetrics, type LiveCheckResult } from './metrics.js';
export { createComparator, type Comparator, type ComparatorOptions, type CompareInput, type SideAnswer, type ComparatorCompareConfig } from './comparator.js';
export { compilePattern, normalizePath, splitPath } from './paths.js';
export { registerDiffApi, DEFAULT_SAMPLE_LIMIT, MAX_SAMPLE_LIMIT, type DiffApiOptions } from './api.js';
