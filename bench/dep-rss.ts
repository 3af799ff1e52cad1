/**
 * Memory of loading modules: imports each argument (a package name or a path under dist/), lets the heap settle and
 * prints one JSON line { rssBytes, heapUsedBytes }. The bench runs it once per dependency to say what each costs.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { distDir } from './lib/paths.js';

async function main(): Promise<void> {
  for (const name of process.argv.slice(2)) {
    await import(name.startsWith('dist/') ? pathToFileURL(join(distDir, name.slice('dist/'.length))).href : name);
  }
  // Settle: let lazy initialisation run, then collect garbage when exposed (--expose-gc).
  await new Promise((resolve) => setTimeout(resolve, 300));
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const usage = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rssBytes: usage.rss, heapUsedBytes: usage.heapUsed })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exitCode = 1;
});
