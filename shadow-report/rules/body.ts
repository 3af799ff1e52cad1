import type { CapturedResponse, Finding } from '../types.js';
import { DEFAULT_COMPARE_MAX_BODY_BYTES } from '../options.js';
import { decodeBody, parseBody, type DecodedBody } from '../body-decode.js';
import { headerValue } from '../headers.js';
import { compareValues } from '../compare-values.js';
import type { DiffRule, RuleContext } from './rule.js';

const RULE = 'body';

function describe(decoded: DecodedBody): string {
  if (decoded.ok) return decoded.encoding === '' ? 'identity' : decoded.encoding;
  return `${decoded.encoding} (${decoded.reason}: ${decoded.detail})`;
}

/** skipIfBlocked reports a skip and returns true when a side cannot be compared at all (too large, unknown coding). */
function skipIfBlocked(a: DecodedBody, b: DecodedBody, ctx: RuleContext): boolean {
  for (const [side, decoded] of [['legacy', a], ['candidate', b]] as const) {
    if (!decoded.ok && decoded.reason !== 'undecodable') {
      ctx.skip(decoded.reason, `${side}: ${decoded.detail}`);
      return true;
    }
  }
  return false;
}

/**
 * bodyRule decodes content-encoding, then compares JSON structurally (when the content type is JSON or the text
 * parses as JSON) or as text (`body-text`). An empty body against a non-empty one is missing-field/extra-field at
 * `body`; bodies above `maxBodyBytes` or cut at capture are skipped with a reason.
 */
export const bodyRule: DiffRule<CapturedResponse> = {
  id: RULE,
  run(legacy, candidate, ctx): Finding[] {
    if (legacy.truncated === true || candidate.truncated === true) {
      ctx.skip('truncated', legacy.truncated === true ? 'legacy body cut at capture' : 'candidate body cut at capture');
      return [];
    }
    const max = ctx.options.maxBodyBytes ?? DEFAULT_COMPARE_MAX_BODY_BYTES;
    const a = decodeBody(legacy, max);
    const b = decodeBody(candidate, max);
    if (skipIfBlocked(a, b, ctx)) return [];
    if (!a.ok || !b.ok) {
      if (!a.ok && !b.ok) { ctx.skip('undecodable', `${describe(a)} / ${describe(b)}`); return []; }
      return [{ class: 'body-encoding', path: 'body', legacy: describe(a), candidate: describe(b), rule: RULE }];
    }
    const sameBytes = a.bytes.equals(b.bytes);
    if (sameBytes && (ctx.bodies === undefined || ctx.bodiesIfDifferent === true)) return [];
    if (a.bytes.length === 0 && b.bytes.length === 0) return [];
    const pa = parseBody(a.bytes, headerValue(legacy.headers, 'content-type'));
    const pb = sameBytes ? pa : parseBody(b.bytes, headerValue(candidate.headers, 'content-type'));
    ctx.bodies?.(a.bytes.length === 0 ? undefined : pa.value, b.bytes.length === 0 ? undefined : pb.value);
    if (sameBytes) return [];
    if (a.bytes.length === 0) return [{ class: 'extra-field', path: 'body', candidate: pb.value, rule: RULE }];
    if (b.bytes.length === 0) return [{ class: 'missing-field', path: 'body', legacy: pa.value, rule: RULE }];
    if (!pa.json && !pb.json) {
      return pa.value === pb.value ? [] : [{ class: 'body-text', path: 'body', legacy: pa.value, candidate: pb.value, rule: RULE }];
    }
    const opts = ctx.options.arrayKeys === undefined ? { rule: RULE } : { rule: RULE, arrayKeys: ctx.options.arrayKeys };
    return compareValues(pa.value, pb.value, 'body', opts);
  },
};
