/** figway mirroring to a shadow that never answers: does its memory stay flat, and does the primary stay fast? */
import { join } from 'node:path';
import { sleep } from './children.js';
import { runLoad } from './load.js';
import { log } from './log.js';
import { rss } from './proc.js';
import type { StalledShadow } from './results.js';
import { figwayVariant, startUpstream, type LiveTarget } from './targets.js';

/** Seconds to wait after a stalled-shadow phase: past figway's default 2 s shadow timeout. */
export const STALL_SETTLE_SECONDS = 2.5;

/**
 * measureStalledShadow runs figway mirroring every request to a shadow that never answers, in two phases of GET+POST
 * load. Growth is phase 2 against phase 1 (both measured after the shadow timeouts), so warm-up growth is not counted.
 */
export async function measureStalledShadow(unavailable: string | undefined, work: string, legacyUrl: string,
  seconds: number, connections: number): Promise<StalledShadow> {
  if (unavailable !== undefined) return { status: 'skipped', note: unavailable };
  log('figway with a stalled shadow');
  const stall = await startUpstream('upstream-stalled', true);
  let target: LiveTarget;
  try {
    target = await figwayVariant('figway-mirror', join(work, 'stalled'), legacyUrl, stall.url, { mirror: true, weight: 0 });
  } catch (error) {
    await stall.child.stop();
    return { status: 'skipped', note: `figway failed to start: ${(error as Error).message.slice(0, 400)}` };
  }
  await sleep(1000);
  const idleRssBytes = rss(target.pid).rssBytes;
  const stalledRuns: StalledShadow['runs'] = [];
  const afterPhase: number[] = [];
  for (const phase of [1, 2]) {
    for (const scenario of ['GET', 'POST'] as const) {
      const result = await runLoad({
        url: target.url, scenario, connections, seconds, warmupSeconds: 0, primaryPid: target.pid,
        accounted: { 'upstream-stalled': stall.child.pid },
      });
      stalledRuns.push({ phase, scenario, ...result });
      log(`stalled shadow, phase ${phase} ${scenario} ${Math.round(result.rps)} req/s p99 ${result.p99Ms.toFixed(2)} ms, errors ${result.errors} non-2xx ${result.non2xx}`);
    }
    await sleep(STALL_SETTLE_SECONDS * 1000);
    afterPhase.push(rss(target.pid).rssBytes);
  }
  const peakRssBytes = rss(target.pid).hwmBytes;
  await target.child?.stop();
  await stall.child.stop();
  const [rssBeforeBytes, rssAfterBytes] = afterPhase as [number, number];
  return {
    status: 'ok',
    idleRssBytes,
    rssBeforeBytes,
    rssAfterBytes,
    peakRssBytes,
    growthBytes: rssAfterBytes - rssBeforeBytes,
    runs: stalledRuns,
  };
}

