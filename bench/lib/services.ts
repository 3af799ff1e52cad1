/**
 * Memory of the Pesto services (the legacy stand-ins and the rewrites): each started alone against a private
 * redis-server, idle RSS read after a pause, peak after a short /healthz load.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startRedisServer, freePort } from '../../testing/redis-server.js';
import { onCleanup, sleep, startNode, waitForPort } from './children.js';
import { rss } from './proc.js';
import { distDir } from './paths.js';

/** The services measured, by label → compiled entry point under dist/. */
export const PESTO_SERVICES: Record<string, string> = {
  'legacy auth': 'legacy-adapters/auth/main.js',
  'legacy registration': 'legacy-adapters/registration/main.js',
  'new auth': 'new-services/auth/main.js',
  'new registration': 'new-services/registration/main.js',
};

/** Memory figures of one service, or why it was skipped. */
export interface ServiceMemory {
  name: string;
  entry: string;
  idleRssBytes?: number;
  peakRssBytes?: number;
  loadRequests?: number;
  /** Answers of the /healthz load that were not 2xx (or failed). */
  loadNon2xx?: number;
  note?: string;
}

/** measureServices starts each service in turn and reads its idle and peak RSS. */
export async function measureServices(loadSeconds: number): Promise<ServiceMemory[]> {
  const results: ServiceMemory[] = [];
  const present = Object.entries(PESTO_SERVICES).filter(([, entry]) => existsSync(join(distDir, entry)));
  for (const [name, entry] of Object.entries(PESTO_SERVICES)) {
    if (!present.some(([presentName]) => presentName === name)) {
      results.push({ name, entry, note: `skipped: dist/${entry} does not exist (not written or not built yet)` });
    }
  }
  if (present.length === 0) return results;
  let redis: Awaited<ReturnType<typeof startRedisServer>>;
  try {
    redis = await startRedisServer();
  } catch (error) {
    for (const [name, entry] of present) results.push({ name, entry, note: `skipped: ${(error as Error).message}` });
    return results;
  }
  onCleanup(() => redis.stop());
  for (const [name, entry] of present) {
    const port = await freePort();
    const child = startNode(name, join(distDir, entry), [], {
      env: { ...process.env, PORT: String(port), REDIS_URL: `${redis.url}/0`, HOST: '127.0.0.1', NODE_ENV: 'production' },
      stdout: 'pipe',
    });
    try {
      await waitForPort(child, port, 15_000);
      await sleep(1500);
      const idle = rss(child.pid).rssBytes;
      const result = await autocannon({ url: `http://127.0.0.1:${port}/healthz`, connections: 10, duration: loadSeconds, sampleInt: 100 });
      const peak = Math.max(rss(child.pid).hwmBytes, idle);
      results.push({ name, entry, idleRssBytes: idle, peakRssBytes: peak, loadRequests: result.requests.total, loadNon2xx: result.non2xx + result.errors });
    } catch (error) {
      results.push({ name, entry, note: `failed: ${(error as Error).message.slice(0, 300)}` });
    } finally {
      await child.stop();
    }
  }
  await redis.stop();
  return results;
}
