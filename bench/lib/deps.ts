/** What each dependency costs in resident memory when loaded alone into a bare Node process (bench/dep-rss.ts). */
import { execFile } from 'node:child_process';
import { benchDist } from './paths.js';

/** The modules measured: figway's runtime dependencies and its own layers (dist/ paths). */
export const MEASURED_MODULES: Record<string, string[]> = {
  'bare node': [],
  'undici (index: fetch, WebSocket, caches, …)': ['undici'],
  'undici Pool module only (what figway loads)': ['undici/lib/dispatcher/pool.js'],
  fastify: ['fastify'],
  'prom-client': ['prom-client'],
  pino: ['pino'],
  yaml: ['yaml'],
  '@sinclair/typebox/value': ['@sinclair/typebox/value'],
  ioredis: ['ioredis'],
  'figway core (proxy/main.js: gateway, config, admin, metrics)': ['dist/proxy/main.js'],
  'figway comparison stack (proxy/extensions.js: mirror, shadow-report, Redis checker)': ['dist/proxy/extensions.js'],
  'figway core + comparison stack': ['dist/proxy/main.js', 'dist/proxy/extensions.js'],
};

/** DependencyCost is one measured module set; deltas are against bare node. */
export interface DependencyCost { name: string; rssBytes?: number; heapUsedBytes?: number; deltaRssBytes?: number; note?: string }

function measure(modules: string[]): Promise<{ rssBytes?: number; heapUsedBytes?: number; error?: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--expose-gc', benchDist('dep-rss.js'), ...modules], { timeout: 20_000 }, (error, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as { rssBytes?: number; heapUsedBytes?: number; error?: string });
      } catch {
        resolve({ error: error?.message ?? 'no output' });
      }
    });
  });
}

/** measureDependencies measures each module set `repeats` times and keeps the median RSS. */
export async function measureDependencies(repeats = 3): Promise<DependencyCost[]> {
  const costs: DependencyCost[] = [];
  let bare: number | undefined;
  for (const [name, modules] of Object.entries(MEASURED_MODULES)) {
    const samples: Array<{ rssBytes: number; heapUsedBytes: number }> = [];
    let note: string | undefined;
    for (let i = 0; i < repeats; i++) {
      const result = await measure(modules);
      if (result.rssBytes === undefined) { note = result.error; break; }
      samples.push({ rssBytes: result.rssBytes, heapUsedBytes: result.heapUsedBytes ?? 0 });
    }
    if (samples.length === 0) { costs.push({ name, note: note ?? 'failed' }); continue; }
    samples.sort((a, b) => a.rssBytes - b.rssBytes);
    const middle = samples[Math.floor(samples.length / 2)]!;
    if (modules.length === 0) bare = middle.rssBytes;
    costs.push({ name, rssBytes: middle.rssBytes, heapUsedBytes: middle.heapUsedBytes, ...(bare === undefined ? {} : { deltaRssBytes: middle.rssBytes - bare }) });
  }
  return costs;
}
