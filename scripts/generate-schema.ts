/**
 * Writes schema/*.schema.json from proxy/config/schema.ts. With --check it writes nothing and exits 1 when a
 * committed file is stale, so `npm test` fails until `npm run schema` is run.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_SCHEMAS } from '../proxy/config/schema.js';
import { parseCommandLine, type CommandLine } from '../proxy/command-line.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** renderSchema serialises one schema as the committed file should read. */
export function renderSchema(name: string, schema: object): string {
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:figway:schema:${name}`,
    ...JSON.parse(JSON.stringify(schema)) as object,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

type Node = {
  type?: string; description?: string; default?: unknown; properties?: Record<string, Node>; required?: string[];
  items?: Node; anyOf?: Node[]; patternProperties?: Record<string, Node>; const?: unknown; minimum?: number; maximum?: number; pattern?: string;
};

function typeOf(node: Node): string {
  if (node.anyOf !== undefined) return node.anyOf.map((variant) => (variant.const !== undefined ? JSON.stringify(variant.const) : typeOf(variant))).join(' \\| ');
  if (node.type === 'array') return `${typeOf(node.items ?? {})}[]`;
  if (node.patternProperties !== undefined) return `map of ${typeOf(Object.values(node.patternProperties)[0] ?? {})}`;
  let type = node.type ?? 'any';
  if (node.minimum !== undefined || node.maximum !== undefined) type += ` (${node.minimum ?? ''}–${node.maximum ?? ''})`;
  return type;
}

function rows(node: Node, path: string, out: string[]): void {
  const properties = node.properties ?? {};
  for (const [name, child] of Object.entries(properties)) {
    if (name === '$schema') continue;
    const childPath = path === '' ? name : `${path}.${name}`;
    const required = node.required?.includes(name) && child.default === undefined ? 'yes' : '';
    const fallback = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
    const description = (child.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
    out.push(`| \`${childPath}\` | ${typeOf(child)} | ${required} | ${fallback} | ${description} |`);
    if (child.properties !== undefined) rows(child, childPath, out);
    if (child.items?.properties !== undefined) rows(child.items, `${childPath}[]`, out);
    for (const value of Object.values(child.patternProperties ?? {})) if (value.properties !== undefined) rows(value, `${childPath}.<name>`, out);
    for (const variant of child.anyOf ?? []) if (variant.properties !== undefined) rows(variant, `${childPath}`, out);
  }
}

/** renderReference renders docs/configuration.md from the schemas' descriptions and defaults. */
export function renderReference(): string {
  const out = [
    '# Configuration reference',
    '',
    'Generated from `proxy/config/schema.ts` by `npm run schema`; `npm test` fails when this page is stale. Editors can',
    'validate files against `schema/figway.schema.json` and `schema/weights.schema.json` (add a `$schema` line).',
    '',
  ];
  for (const [title, name] of [['figway.yaml', 'figway.schema.json'], ['weights.yaml', 'weights.schema.json']] as const) {
    out.push(`## ${title}`, '', '| field | type | required | default | meaning |', '|---|---|---|---|---|');
    rows(JSON.parse(JSON.stringify(GENERATED_SCHEMAS[name])) as Node, '', out);
    out.push('');
  }
  return out.join('\n');
}

const SCHEMA_COMMAND: CommandLine = {
  name: 'schema',
  help: 'npm run schema -- --help',
  usage: `Usage: npm run schema [-- --check]

Regenerate schema/figway.schema.json, schema/weights.schema.json and docs/configuration.md from
proxy/config/schema.ts. --check writes nothing and exits 1 when a generated file is stale (npm test runs it).
`,
};

async function main(): Promise<void> {
  const parsed = parseCommandLine(SCHEMA_COMMAND, { options: { check: { type: 'boolean', default: false } } });
  if (typeof parsed === 'number') {
    process.exitCode = parsed;
    return;
  }
  const check = parsed.values.check;
  let stale = 0;
  const outputs: [string, string][] = Object.entries(GENERATED_SCHEMAS).map(([name, schema]) => [join('schema', name), renderSchema(name, schema)]);
  outputs.push([join('docs', 'configuration.md'), renderReference()]);
  for (const [name, wanted] of outputs) {
    const path = join(root, name);
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === wanted) continue;
    if (check) {
      process.stderr.write(`${name} is stale: run \`npm run schema\` and commit it\n`);
      stale++;
    } else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, wanted);
      process.stdout.write(`wrote ${name}\n`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

await main();
