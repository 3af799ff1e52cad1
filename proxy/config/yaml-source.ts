import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import type { ConfigIssue } from '../errors.js';

/** YamlSource is a parsed YAML file that can tell the line of any field path. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** lineOf returns the 1-based line of the deepest existing node on `path`. */
  lineOf(path: readonly (string | number)[]): number | undefined;
  document: Document;
}

/** parseYamlSource parses `text`, or returns the YAML syntax issues located by line. */
export function parseYamlSource(file: string, text: string): YamlSource | ConfigIssue[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return document.errors.map((error) => ({
      code: 'CONFIG_YAML' as const,
      file,
      line: error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line,
      field: '',
      message: error.message.split('\n')[0] ?? error.message,
    }));
  }
  return {
    file,
    document,
    value: document.toJS({ maxAliasCount: 100 }) ?? {},
    lineOf(path) {
      let node: unknown = document.contents;
      let offset: number | undefined = rangeStart(node);
      for (const segment of path) {
        if (isMap(node)) {
          const pair = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === String(segment));
          if (pair === undefined) break;
          offset = rangeStart(pair.key) ?? offset;
          node = pair.value;
        } else if (isSeq(node) && typeof segment === 'number') {
          const item = node.items[segment];
          if (item === undefined) break;
          node = item;
          offset = rangeStart(item) ?? offset;
        } else {
          break;
        }
      }
      return offset === undefined ? undefined : lineCounter.linePos(offset).line;
    },
  };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** pointerToPath turns a JSON pointer (`/routes/0/mirror`) into path segments, numbers for array indices. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((raw) => {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(segment) ? Number(segment) : segment;
  });
}

/** fieldName renders path segments as `routes[0].mirror.methods`. */
export function fieldName(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
