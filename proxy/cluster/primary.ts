/**
 * The cluster primary (`workers` > 1): forks the data-plane workers on the shared gateway port, serves the admin
 * listener (its /metrics adds up every worker, see ClusterRegistry), watches the files and tells every worker to
 * reload whenever a configuration or weight change was applied, and replaces a worker that dies.
 */
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startFigway, type FigwayExtension, type RunningFigway, type StartOptions } from '../main.js';
import { createGatewayMetrics } from '../metrics.js';
import { ask, isMessage, onWorkerMessage, type PrimaryMessage, type WorkerMessage, type WorkerStatus } from './ipc.js';
import { ClusterRegistry } from './registry.js';
import { applyEvidence } from './evidence-sink.js';

/** How long the primary waits for one worker's answer before leaving it out of a scrape or status. */
const ANSWER_TIMEOUT_MS = 2_000;
/** How long a starting worker may take to serve. */
const WORKER_START_TIMEOUT_MS = 30_000;
/** Restart delay after a worker died before it served, doubled per failure in a row, up to the maximum. */
const RESPAWN_BASE_MS = 250;
const RESPAWN_MAX_MS = 30_000;

/** RunningCluster is a started primary. */
export interface RunningCluster extends RunningFigway {
  /** workerStatus asks every worker for its status (GET /api/workers). */
  workerStatus(): Promise<Array<{ id: number; pid: number | undefined; status: WorkerStatus | null }>>;
}

interface Tracked { worker: Worker; ready: boolean; forkedAtChange: number }

/** startPrimary forks `workers` data-plane processes and serves the admin listener; it resolves once all serve. */
export async function startPrimary(options: StartOptions & { workers: number }): Promise<RunningCluster> {
  const tracked = new Map<number, Tracked>();
  let stopping = false;
  let changes = 0;
  let failuresInARow = 0;
  let logger: RunningFigway['logger'] | undefined;

  const live = (): Worker[] => [...tracked.values()].filter((entry) => entry.ready).map((entry) => entry.worker);
  const registry = new ClusterRegistry(async () => {
    const answers = await Promise.all(live().map((worker) => ask(worker, 'metrics', ANSWER_TIMEOUT_MS)));
    return answers.filter((answer): answer is Awaited<ReturnType<ClusterRegistry['getMetricsAsJSON']>> => Array.isArray(answer));
  });
  const metrics = createGatewayMetrics(registry);

  const reload: PrimaryMessage = { type: 'figway:reload' };
  const tell = (worker: Worker): void => {
    try {
      if (worker.isConnected()) worker.send(reload);
    } catch {
      // a dying worker: its replacement reads the files afresh
    }
  };

  cluster.setupPrimary({
    exec: fileURLToPath(new URL('../cli.js', import.meta.url)),
    args: ['start', '--config', options.configPath],
  });

  let onFirstStartFailure: ((error: Error) => void) | undefined;
  const fork = (): Worker => {
    const worker = cluster.fork();
    const entry: Tracked = { worker, ready: false, forkedAtChange: changes };
    tracked.set(worker.id, entry);
    worker.on('message', (message: unknown) => {
      if (!isMessage<WorkerMessage>(message)) return;
      if (message.type === 'figway:evidence') {
        applyEvidence(message.ops);
        return;
      }
      if (message.type === 'figway:ready') {
        entry.ready = true;
        failuresInARow = 0;
        // A change applied while it started may have been broadcast before it listened.
        if (entry.forkedAtChange !== changes) tell(worker);
        return;
      }
      onWorkerMessage(message);
    });
    worker.on('exit', (code, signal) => {
      tracked.delete(worker.id);
      if (stopping) return;
      if (!entry.ready) {
        failuresInARow++;
        onFirstStartFailure?.(new Error(`worker ${worker.process.pid ?? '?'} exited (${signal ?? code}) before it served`));
      }
      const delay = entry.ready ? 0 : Math.min(RESPAWN_MAX_MS, RESPAWN_BASE_MS * 2 ** (failuresInARow - 1));
      logger?.error({ pid: worker.process.pid, code, signal, respawnInMs: delay }, 'worker exited; starting a replacement');
      setTimeout(() => { if (!stopping) fork(); }, delay).unref();
    });
    return worker;
  };

  const clusterExtension: FigwayExtension = {
    applied() {
      changes++;
      for (const { worker } of tracked.values()) tell(worker);
    },
    admin: (app) => {
      app.get('/api/workers', async () => ({ workers: await workerStatus() }));
    },
  };

  async function workerStatus(): Promise<Array<{ id: number; pid: number | undefined; status: WorkerStatus | null }>> {
    const entries = [...tracked.values()].filter((entry) => entry.ready);
    const answers = await Promise.all(entries.map((entry) => ask(entry.worker, 'status', ANSWER_TIMEOUT_MS)));
    return entries.map((entry, i) => ({ id: entry.worker.id, pid: entry.worker.process.pid, status: (answers[i] as WorkerStatus | undefined) ?? null }));
  }

  const running = await startFigway({
    ...options,
    role: 'primary',
    metrics,
    extensions: async (context) => [...(options.extensions === undefined ? [] : await options.extensions(context)), clusterExtension],
  });
  logger = running.logger;

  // All workers must serve before the primary says it listens; one that fails at start fails the start.
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`workers did not start within ${WORKER_START_TIMEOUT_MS} ms`)), WORKER_START_TIMEOUT_MS);
      onFirstStartFailure = (error) => { clearTimeout(timer); reject(error); };
      for (let i = 0; i < options.workers; i++) fork();
      const check = setInterval(() => {
        if ([...tracked.values()].filter((entry) => entry.ready).length >= options.workers) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      timer.unref();
    });
  } catch (error) {
    await stopWorkers(tracked, 2_000, () => { stopping = true; });
    await running.stop();
    throw error;
  } finally {
    onFirstStartFailure = undefined;
  }
  running.logger.info({ workers: options.workers, pids: live().map((worker) => worker.process.pid) }, 'workers serving');

  return {
    ...running,
    workerStatus,
    async stop() {
      await stopWorkers(tracked, running.manager.config.shutdownGraceMs + 2_000, () => { stopping = true; });
      return running.stop();
    },
  };
}

/** stopWorkers sends SIGTERM (each worker drains itself), then SIGKILL to what is left after graceMs. */
async function stopWorkers(tracked: Map<number, Tracked>, graceMs: number, markStopping: () => void): Promise<void> {
  markStopping();
  const workers = [...tracked.values()].map((entry) => entry.worker).filter((worker) => worker.process.exitCode === null && worker.process.signalCode === null);
  const exits = workers.map((worker) => once(worker, 'exit').catch(() => undefined));
  for (const worker of workers) worker.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exits), new Promise((resolve) => { timer = setTimeout(resolve, graceMs); })]);
  clearTimeout(timer);
  for (const worker of workers) if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGKILL');
  await Promise.all(exits);
}
