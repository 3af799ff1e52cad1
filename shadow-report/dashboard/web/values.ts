/**
 * values: renders captured values — JSON as an expandable tree, anything else as preformatted text — always as text
 * nodes. Nodes whose path has a finding are highlighted (matched with casing and separators folded, so a key-casing
 * finding marks `UserEmail` on one side and `user_email` on the other); redaction placeholders are visibly marked.
 */
import { h, type Child } from './dom.js';
import type { SampleFinding } from './model.js';

const PLACEHOLDER = /«redacted[^»]*»/g;

/** foldKey folds one path segment the way a key-casing finding does. */
function foldKey(segment: string): string {
  return segment.toLowerCase().replace(/[_\-\s]/g, '');
}

/** foldedPath folds every segment of a dotted path (array indices kept). */
export function foldedPath(path: string): string {
  return path.split('.').map(foldKey).join('.');
}

/** Marks maps a folded path to the findings at it. */
export type Marks = Map<string, SampleFinding[]>;

/** marksOf indexes findings by folded path. */
export function marksOf(findings: readonly SampleFinding[]): Marks {
  const marks: Marks = new Map();
  for (const finding of findings) {
    const key = foldedPath(finding.path);
    marks.set(key, [...(marks.get(key) ?? []), finding]);
  }
  return marks;
}

/** text renders a string with redaction placeholders marked. */
export function text(value: string): Child[] {
  const out: Child[] = [];
  let last = 0;
  for (const match of value.matchAll(PLACEHOLDER)) {
    if (match.index! > last) out.push(value.slice(last, match.index));
    const [, type] = /^«redacted:?([a-z]*)/.exec(match[0]) ?? [];
    out.push(h('span', { class: 'redacted', title: `redacted before storage${type ? ` (${type})` : ''}: the value is not kept, only its shape` }, match[0]));
    last = match.index! + match[0].length;
  }
  if (last < value.length) out.push(value.slice(last));
  return out;
}

function mark(element: HTMLElement, path: string, marks: Marks): HTMLElement {
  const found = marks.get(foldedPath(path));
  if (found !== undefined) {
    element.classList.add('diff');
    element.dataset.verdict = found.some((f) => f.verdict === 'unexpected') ? 'unexpected' : found[0]!.verdict;
    element.title = found.map((f) => `${f.class} (${f.verdict})${f.reason === undefined ? '' : `: ${f.reason}`}`).join('; ');
  }
  return element;
}

function scalar(value: unknown): HTMLElement {
  if (typeof value === 'string') return h('span', { class: 'v-string' }, '"', ...text(value), '"');
  return h('span', { class: `v-${value === null ? 'null' : typeof value}` }, String(value));
}

/** tree renders a JSON value as nested lists, marking nodes by path. */
export function tree(value: unknown, path: string, marks: Marks): HTMLElement {
  if (value === null || typeof value !== 'object') return mark(scalar(value), path, marks);
  const entries: Array<[string, unknown, string]> = Array.isArray(value)
    ? value.map((item, index) => [`[${index}]`, item, `${path}[${index}]`])
    : Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, item, `${path}.${key}`]);
  const open = Array.isArray(value) ? '[' : '{';
  const close = Array.isArray(value) ? ']' : '}';
  if (entries.length === 0) return mark(h('span', {}, `${open}${close}`), path, marks);
  return mark(h('span', { class: 'v-object' }, open,
    h('ul', {}, entries.map(([key, item, childPath]) => mark(h('li', {}, h('span', { class: 'key' }, ...text(key)), ': ', tree(item, childPath, marks)), childPath, marks))),
    close), path, marks);
}

/** body renders a stored body: a JSON tree when it parses, else text. */
export function body(raw: string | undefined, path: string, marks: Marks, clipped?: boolean): HTMLElement {
  if (raw === undefined) return h('p', { class: 'muted' }, 'no body stored');
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(raw);
    isJson = raw.trim() !== '' && typeof parsed === 'object';
  } catch { /* not JSON: shown as text */ }
  const content = isJson ? h('div', { class: 'json' }, tree(parsed, path, marks)) : mark(h('pre', { class: 'body-text' }, ...text(raw === '' ? '(empty)' : raw)), path, marks);
  return h('div', { class: 'body' }, content, clipped === true ? h('p', { class: 'muted' }, 'body clipped for storage') : null);
}

/** headers renders a header map, marking header.<name> findings. */
export function headers(map: Record<string, string> | undefined, marks: Marks): HTMLElement {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'no headers stored');
  return h('table', { class: 'headers' }, h('tbody', {}, entries.map(([name, value]) =>
    mark(h('tr', {}, h('th', {}, name), h('td', {}, ...text(value))), `header.${name}`, marks))));
}
