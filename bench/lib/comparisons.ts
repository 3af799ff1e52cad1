/** Runs bench/compare-runner.js in its own process, bounded in time, and reads the comparison-engine figures. */
import { startNode, type Child } from './children.js';
import { benchDist } from './paths.js';
import type { ComparisonFigures } from './results.js';

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object') return parsed as Record<string, unknown>;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

const numberField = (object: unknown, key: string): number | undefined => {
  const value = (object as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' ? value : undefined;
};

/** measureComparisons returns the 1 KB and 64 KB comparisons per second, or why there are none. */
export async function measureComparisons(timeoutSeconds: number): Promise<ComparisonFigures> {
  let stdout = '';
  const child: Child = startNode('compare-bench', benchDist('compare-runner.js'), [], { stdout: 'pipe' });
  child.process.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
  const exited = new Promise<boolean>((resolve) => child.process.once('exit', () => resolve(true)));
  const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutSeconds * 1000).unref());
  const finished = await Promise.race([exited, timedOut]);
  if (!finished) {
    await child.stop(500);
    return { status: 'failed', note: `benchComparisons() did not finish within ${timeoutSeconds} s` };
  }
  const line = lastJsonLine(stdout);
  if (line === undefined) return { status: 'failed', note: `no result: ${child.stderrTail().slice(-300) || 'no output'}` };
  if (typeof line.skipped === 'string') return { status: 'skipped', note: line.skipped };
  if (typeof line.error === 'string') return { status: 'failed', note: `benchComparisons() threw: ${line.error}` };
  const kb1PerSec = numberField(line.result, 'kb1PerSec');
  const kb64PerSec = numberField(line.result, 'kb64PerSec');
  if (kb1PerSec === undefined) return { status: 'failed', note: 'benchComparisons() returned no kb1PerSec', raw: line.result };
  return { status: 'ok', kb1PerSec, kb64PerSec, raw: line.result };
}
