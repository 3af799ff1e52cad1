/**
 * The product's static import graph stays the product's: no module of proxy/ or shadow-report/ (tests aside)
 * statically imports demo, test or benchmark code (scripts/, testing/, bench/) or the Pesto services, and every
 * package it imports is a production dependency (the image installs only those). The traffic generator reaches
 * `figway traffic` through a dynamic import, on demand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(DIST, '..');
const PRODUCT = ['proxy', 'shadow-report'];

function modulesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js') && !/\.(test|hardening|browser\.test|e2e\.test)\.js$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** staticImports lists the specifiers of a compiled module's static `import … from` / `export … from` / bare `import '…'`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((match) => (match[1] ?? match[2])!);
}

test('the product imports no demo, test, bench or Pesto code, and only production dependencies', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const dependencies = new Set(Object.keys(manifest.dependencies));
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  for (const folder of PRODUCT) {
    for (const file of modulesUnder(join(DIST, folder))) {
      // The dashboard's browser bundle is compiled for the browser and served as files, not imported by Node.
      if (relative(DIST, file).startsWith(join('shadow-report', 'dashboard', 'web'))) continue;
      for (const specifier of staticImports(file)) {
        const where = relative(DIST, file);
        if (specifier.startsWith('.')) {
          const target = relative(DIST, resolve(dirname(file), specifier));
          if (!PRODUCT.some((allowed) => target.startsWith(`${allowed}/`))) problems.push(`${where} imports ${target}`);
          continue;
        }
        const name = specifier.startsWith('node:') ? specifier : specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (specifier.startsWith('node:') || builtins.has(name)) continue;
        if (!dependencies.has(name)) problems.push(`${where} imports ${specifier}, which is not a production dependency`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
