/**
 * startServing starts figway as `workers` says: one process, or a cluster primary with its workers. In a cluster
 * worker (forked by the primary with the same command line) it starts that worker's data plane.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfigFiles } from '../config/load.js';
import { startFigway, type RunningFigway, type StartOptions } from '../main.js';
import { startPrimary } from './primary.js';
import { startWorker } from './worker.js';

/** workerCount resolves figway.yaml's `workers` (auto: the cores this process may use). */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/** startServing: see the module comment. Throws ConfigError on invalid files, like startFigway. */
export async function startServing(options: StartOptions): Promise<RunningFigway> {
  if (cluster.isWorker) return startWorker(options);
  const { loaded } = await loadConfigFiles(options.configPath);
  const workers = workerCount(loaded.config.workers);
  if (workers <= 1) return startFigway(options);
  return startPrimary({ ...options, workers });
}
