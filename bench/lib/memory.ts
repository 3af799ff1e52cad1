/**
 * Memory per configuration: figway started fresh as a plain gateway, mirroring, and mirroring with Redis stores and a
 * declared key; idle RSS before any load, then peak (VmHWM) after a GET and a POST run.
 */
import { join } from 'node:path';
import { startRedisServer, type TestRedis } from '../../testing/redis-server.js';
import { sleep } from './children.js';
import { runLoad, type Scenario } from './load.js';
import { log } from './log.js';
import { rss } from './proc.js';
import type { Settings } from './settings.js';
import { figwayVariant, type LiveTarget } from './targets.js';

/** Seconds the phase takes beyond its load runs (starts, pauses). */
export const MEMORY_PHASE_SECONDS = 12;

/** MemoryConfig is one configuration's idle and peak RSS (summed over its processes). */
export interface MemoryConfig {
  name: string;
  idleRssBytes?: number;
  peakRssBytes?: number;
  requests?: number;
  note?: string;
}

const CONFIGS: Array<{ name: string; mirror: boolean; redis: boolean }> = [
  { name: 'plain (no mirroring, no Redis)', mirror: false, redis: false },
  { name: 'mirroring (100%, GET+POST)', mirror: true, redis: false },
  { name: 'mirroring + Redis (stores per side, one declared key)', mirror: true, redis: true },
];

/** measureMemoryConfigs measures each configuration in turn. */
export async function measureMemoryConfigs(unavailable: string | undefined, work: string, legacyUrl: string, newUrl: string,
  settings: Settings): Promise<MemoryConfig[]> {
  if (unavailable !== undefined) return CONFIGS.map(({ name }) => ({ name, note: unavailable }));
  const results: MemoryConfig[] = [];
  let redis: TestRedis | undefined;
  for (const config of CONFIGS) {
    let target: LiveTarget | undefined;
    try {
      if (config.redis) redis ??= await startRedisServer();
      target = await figwayVariant('figway', join(work, `memory-${results.length}`), legacyUrl, config.mirror ? newUrl : legacyUrl,
        { mirror: config.mirror, ...(config.redis && redis !== undefined ? { redisUrl: redis.url } : {}) });
      await sleep(1000);
      const idleRssBytes = rss(target.pid).rssBytes;
      let requests = 0;
      for (const scenario of settings.scenarios as Scenario[]) {
        const result = await runLoad({ url: target.url, scenario, connections: settings.connections, seconds: settings.seconds, warmupSeconds: 0, primaryPid: target.pid, accounted: {} });
        requests += result.requests;
      }
      const peakRssBytes = rss(target.pid).hwmBytes;
      results.push({ name: config.name, idleRssBytes, peakRssBytes, requests });
      log(`memory, ${config.name}: idle ${(idleRssBytes / 1048576).toFixed(1)} MB, peak ${(peakRssBytes / 1048576).toFixed(1)} MB`);
    } catch (error) {
      results.push({ name: config.name, note: `failed: ${(error as Error).message.slice(0, 300)}` });
    } finally {
      await target?.child?.stop();
    }
  }
  await redis?.stop();
  return results;
}
