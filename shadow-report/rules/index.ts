import type { CapturedResponse } from '../types.js';
import type { DiffRule } from './rule.js';
import { statusRule } from './status.js';
import { headersRule } from './headers.js';
import { bodyRule } from './body.js';

export type { DiffRule, RuleContext } from './rule.js';
export { statusRule } from './status.js';
export { headersRule } from './headers.js';
export { bodyRule } from './body.js';

/** RESPONSE_RULES are the rules compareResponses runs, in order. */
export const RESPONSE_RULES: readonly DiffRule<CapturedResponse>[] = [statusRule, headersRule, bodyRule];
