/**
 * A cluster worker: the data plane only (no admin listener, no file watching). The primary tells it to reload when a
 * file changed or a weight was written, and asks it for its metrics and status.
 */
import { startFigway, type RunningFigway, type StartOptions } from '../main.js';
import { isMessage, type PrimaryMessage, type WorkerMessage, type WorkerStatus } from './ipc.js';

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

async function requestsServed(running: RunningFigway): Promise<number> {
  const metrics = await running.metrics.registry.getMetricsAsJSON();
  const requests = metrics.find((metric) => metric.name === 'figway_requests_total');
  return (requests?.values ?? []).reduce((sum, value) => sum + value.value, 0);
}

/** startWorker starts this worker's data plane and answers the primary; the caller handles signals and stop(). */
export async function startWorker(options: StartOptions): Promise<RunningFigway> {
  const running = await startFigway({ ...options, role: 'worker', watch: false });
  let reloadedAt: string | null = null;
  // Reloads run one after the other: two broadcasts in a row must not interleave file reads.
  let reloads: Promise<unknown> = Promise.resolve();
  process.on('message', (message: unknown) => {
    if (!isMessage<PrimaryMessage>(message)) return;
    if (message.type === 'figway:reload') {
      reloads = reloads.then(async () => {
        await running.manager.reloadConfig();
        await running.manager.reloadWeights();
        reloadedAt = new Date().toISOString();
      }).catch((error: unknown) => running.logger.error({ err: error }, 'worker reload failed'));
      return;
    }
    const answer = async (): Promise<unknown> => {
      if (message.question === 'metrics') return running.metrics.registry.getMetricsAsJSON();
      await reloads;
      const status: WorkerStatus = {
        pid: process.pid,
        requests: await requestsServed(running),
        inFlight: running.gateway.inFlight,
        routes: running.manager.snapshot().routes.map((route) => ({ name: route.name, weight: route.weight })),
        reloadedAt,
      };
      return status;
    };
    answer().then((value) => send({ type: 'figway:answer', id: message.id, answer: value }),
      (error: unknown) => running.logger.error({ err: error }, 'worker could not answer the primary'));
  });
  send({ type: 'figway:ready' });
  return running;
}
