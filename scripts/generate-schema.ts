/**
 * Writes schema/*.schema.json from proxy/config/schema.ts. With --check it writes nothing and exits 1 when a
 * committed file is stale, so `npm test` fails until `npm run schema` is run.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_SCHEMAS } from '../proxy/config/schema.js';

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

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, schema] of Object.entries(GENERATED_SCHEMAS)) {
    const path = join(root, 'schema', name);
    const wanted = renderSchema(name, schema);
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === wanted) continue;
    if (check) {
      process.stderr.write(`schema/${name} is stale: run \`npm run schema\` and commit it\n`);
      stale++;
    } else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, wanted);
      process.stdout.write(`wrote schema/${name}\n`);
    }
  }
  if (stale > 0) process.exitCode = 1;
}

await main();
