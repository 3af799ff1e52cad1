/**
 * Runs the comparison-engine micro-benchmark (`bench/compare-bench.ts`, owned by the shadow-report side) in its own
 * process so the orchestrator can bound it in time, and prints its result as one JSON line on stdout.
 * The import is dynamic so the bench type-checks and runs while that file does not exist yet.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modulePath = fileURLToPath(new URL('./compare-bench.js', import.meta.url));

async function main(): Promise<void> {
  if (!existsSync(modulePath)) {
    process.stdout.write(`${JSON.stringify({ skipped: 'bench/compare-bench.ts missing (comparison engine benchmark not written yet)' })}\n`);
    return;
  }
  const specifier: string = new URL('./compare-bench.js', import.meta.url).href;
  const loaded = (await import(specifier)) as { benchComparisons?: (options?: { durationMs?: number }) => unknown };
  if (typeof loaded.benchComparisons !== 'function') {
    process.stdout.write(`${JSON.stringify({ skipped: 'bench/compare-bench.ts does not export benchComparisons()' })}\n`);
    return;
  }
  const durationMs = process.env.BENCH_QUICK === '1' ? 300 : undefined;
  const result = await loaded.benchComparisons(durationMs === undefined ? {} : { durationMs });
  process.stdout.write(`${JSON.stringify({ result })}\n`);
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exitCode = 1;
});
