import type { CapturedResponse, Finding } from '../types.js';
import { DEFAULT_COMPARED_HEADERS } from '../options.js';
import { headerValue } from '../headers.js';
import { appendKey } from '../paths.js';
import type { DiffRule } from './rule.js';

/** headersRule compares only the headers the route names (names case-insensitive, values trimmed) → `header.<name>`. */
export const headersRule: DiffRule<CapturedResponse> = {
  id: 'headers',
  run(legacy, candidate, ctx): Finding[] {
    const names = ctx.options.headers ?? DEFAULT_COMPARED_HEADERS;
    const out: Finding[] = [];
    for (const name of names) {
      const lower = name.trim().toLowerCase();
      if (lower === '') continue;
      const a = headerValue(legacy.headers, lower);
      const b = headerValue(candidate.headers, lower);
      if (a === b) continue;
      const finding: Finding = { class: 'header', path: appendKey('header', lower), rule: 'headers' };
      if (a !== undefined) finding.legacy = a;
      if (b !== undefined) finding.candidate = b;
      out.push(finding);
    }
    return out;
  },
};
