/** Where the compiled bench and the rest of the build live, resolved from this module's own location. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** distDir is the compiled output folder (dist/). */
export const distDir = fileURLToPath(new URL('../../', import.meta.url));

/** repoRoot is the package folder that holds dist/ and bench/. */
export const repoRoot = join(distDir, '..');

/** benchDist resolves a compiled bench entry point, e.g. benchDist('upstream.js'). */
export function benchDist(file: string): string {
  return join(distDir, 'bench', file);
}
