/**
 * Redis key templates: `counter/{month}/{keys.token.UserEmail}`, `session:{path.2}`. A placeholder may list alternatives separated by `|`;
 * the first one that can be filled wins. Parsed once at config load; an unparsable template rejects the config.
 */

/** PlaceholderSource is where a placeholder takes its value from. */
export type PlaceholderSource =
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'body'; path: string[] }
  | { kind: 'response-body'; path: string[] }
  | { kind: 'response-text' }
  | { kind: 'response-header'; name: string }
  | { kind: 'key'; key: string; path: string[] }
  | { kind: 'month' }
  | { kind: 'path' }
  | { kind: 'path-segment'; index: number };

/** TemplatePart is literal text or a placeholder with its alternatives. */
export type TemplatePart = { literal: string } | { alternatives: PlaceholderSource[] };

/** KeyTemplate is a parsed key template. */
export interface KeyTemplate {
  source: string;
  parts: TemplatePart[];
  /** Names of earlier keys this template reads from (`{keys.<name>...}`). */
  dependsOn: string[];
  /** True when some placeholder needs the side's response. */
  needsResponse: boolean;
}

function parsePlaceholder(text: string): PlaceholderSource {
  const segments = text.trim().split('.');
  const [root, ...rest] = segments;
  switch (root) {
    case 'month':
      if (rest.length === 0) return { kind: 'month' };
      break;
    case 'path':
      if (rest.length === 0) return { kind: 'path' };
      if (rest.length === 1 && /^\d{1,3}$/.test(rest[0]!)) return { kind: 'path-segment', index: Number(rest[0]) };
      break;
    case 'header':
      if (rest.length >= 1) return { kind: 'header', name: rest.join('.').toLowerCase() };
      break;
    case 'query':
      if (rest.length >= 1) return { kind: 'query', name: rest.join('.') };
      break;
    case 'body':
      if (rest.length >= 1) return { kind: 'body', path: rest };
      break;
    case 'keys':
      if (rest.length >= 1 && rest[0] !== undefined) return { kind: 'key', key: rest[0], path: rest.slice(1) };
      break;
    case 'response': {
      const [what, ...more] = rest;
      if (what === 'text' && more.length === 0) return { kind: 'response-text' };
      if (what === 'body' && more.length >= 1) return { kind: 'response-body', path: more };
      if (what === 'header' && more.length >= 1) return { kind: 'response-header', name: more.join('.').toLowerCase() };
      break;
    }
    default:
      break;
  }
  throw new Error(`unknown placeholder {${text}}: use header.<name>, query.<name>, body.<field>, path, path.<N>, response.body.<field>, response.text, response.header.<name>, keys.<name>.<field> or month`);
}

/** parseKeyTemplate parses a template or throws an Error whose message says what is wrong. */
export function parseKeyTemplate(source: string): KeyTemplate {
  const parts: TemplatePart[] = [];
  const dependsOn = new Set<string>();
  let needsResponse = false;
  let index = 0;
  while (index < source.length) {
    const open = source.indexOf('{', index);
    const close = source.indexOf('}', index);
    if (close !== -1 && (open === -1 || close < open)) throw new Error(`unmatched } at column ${close + 1}`);
    if (open === -1) {
      parts.push({ literal: source.slice(index) });
      break;
    }
    if (open > index) parts.push({ literal: source.slice(index, open) });
    const end = source.indexOf('}', open);
    if (end === -1) throw new Error(`unclosed { at column ${open + 1}`);
    const inner = source.slice(open + 1, end);
    if (inner.includes('{')) throw new Error(`nested { at column ${open + 1}`);
    const alternatives = inner.split('|').map(parsePlaceholder);
    for (const alternative of alternatives) {
      if (alternative.kind === 'key') dependsOn.add(alternative.key);
      if (alternative.kind.startsWith('response')) needsResponse = true;
    }
    parts.push({ alternatives });
    index = end + 1;
  }
  return { source, parts, dependsOn: [...dependsOn], needsResponse };
}
