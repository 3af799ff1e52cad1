/**
 * `--profile`: every figway target once per scenario under `node --cpu-prof` (apart from the measured runs, so the
 * profiler's cost does not reach the figures), and a self-time summary of each profile written.
 */
import { join } from 'node:path';
import type { FigwayVariant } from './figway.js';
import { runLoad, type Scenario } from './load.js';
import { log } from './log.js';
import { profilesIn, summarizeProfile, type ProfileSummary } from './profile.js';
import type { TargetName } from './results.js';
import type { Settings } from './settings.js';
import { figwayVariant, startForwarder } from './targets.js';

/** ProfileRun is the profiles of one target and scenario (one file per process: the primary and each worker). */
export interface ProfileRun { target: string; scenario: string; dir?: string; summaries: ProfileSummary[]; note?: string }

/** The bench's own Node forwarders, profiled beside figway as the reference (script per target). */
const FORWARDERS: Partial<Record<TargetName, string>> = { 'thin-undici': 'thin-forwarder.js', 'http-proxy': 'http-proxy-baseline.js' };

/**
 * profileFigway runs each target × scenario with --cpu-prof into `root` and summarises the profiles; the thin
 * forwarder (when among `targets`) is profiled the same way, as the floor to read figway's profile against.
 */
export async function profileFigway(targets: TargetName[], scenarios: Scenario[], root: string, work: string,
  variants: Record<string, [string, string, Partial<FigwayVariant>]>, settings: Settings, upstreamUrl: string): Promise<ProfileRun[]> {
  const runs: ProfileRun[] = [];
  for (const target of targets) {
    const variant = variants[target];
    const forwarder = FORWARDERS[target];
    if (variant === undefined && forwarder === undefined) continue;
    for (const scenario of scenarios) {
      if (target === 'figway-access-log' && scenario !== 'GET') continue;
      const dir = join(root, `${target}-${scenario}`);
      log(`profile: ${target} ${scenario} → ${dir}`);
      const spawnedAt = Date.now();
      const live = variant === undefined
        ? await startForwarder(target, forwarder!, upstreamUrl, ['--cpu-prof', '--cpu-prof-dir', dir])
        : await figwayVariant(target, join(work, 'profile', `${target}-${scenario}`), variant[0], variant[1], { ...variant[2], profileDir: dir });
      const loadAt = Date.now();
      try {
        await runLoad({ url: live.url, scenario, connections: settings.connections, seconds: settings.seconds, warmupSeconds: settings.runWarmupSeconds, primaryPid: live.pid, accounted: {} });
      } finally {
        // A graceful exit is what makes node write the profile.
        await live.child?.stop(5000);
      }
      const files = profilesIn(dir);
      // Only the measured part of the load: start-up, module loading and the warm-up are left out.
      const window = { skipMs: loadAt - spawnedAt + settings.runWarmupSeconds * 1000 + 100, durationMs: settings.seconds * 1000 };
      runs.push({ target, scenario, dir, summaries: files.map((file) => summarizeProfile(file, window)), ...(files.length === 0 ? { note: 'no profile written (figway did not exit cleanly)' } : {}) });
    }
  }
  return runs;
}
