/** The processes that take load: the bench upstream, the bench's own forwarders and figway variants. */
import { join } from 'node:path';
import { freePort } from '../../testing/redis-server.js';
import { startNode, waitForHttp, waitForPort, type Child } from './children.js';
import { startFigway, type FigwayVariant } from './figway.js';
import { benchDist } from './paths.js';
import type { TargetName } from './results.js';

/** A target that takes load. */
export interface LiveTarget { name: TargetName; url: string; pid: number; child?: Child }

/** What each target is, for the results. */
export const DESCRIPTIONS: Record<TargetName, string> = {
  direct: 'the upstream itself, no proxy (CPU figure is the upstream\'s)',
  'thin-undici': 'node:http + undici Pool forwarder: the floor for any Node proxy (bench/thin-forwarder.ts)',
  'http-proxy': 'http-proxy with a keep-alive agent (bench/http-proxy-baseline.ts)',
  nginx: 'nginx, one worker, upstream keep-alive, access_log off',
  figway: 'figway: routing, sticky x-client, weight 50, metrics on, no mirroring, logs at warn',
  'figway-b': 'as figway, from the build given with --figway-b (A/B in the same rounds)',
  'figway-workers': 'as figway with `workers: N` (node:cluster, one admin listener in the primary)',
  'figway-mirror': 'figway with 100% mirroring (GET+POST, sideEffects none) and JSON comparison, legacy and new on two upstream processes',
  'figway-mirror-b': 'as figway-mirror, from the build given with --figway-b',
  'figway-access-log': 'figway as "figway" with access logs on, written to /dev/null',
};

/** startUpstream runs bench/upstream.js (or a stalled one) on a free port and waits until it serves. */
export async function startUpstream(name: string, stall = false): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = startNode(name, benchDist('upstream.js'), stall ? ['--stall'] : [], {
    env: { ...process.env, PORT: String(port), NAME: name },
  });
  if (stall) await waitForPort(child, port);
  else await waitForHttp(child, `http://127.0.0.1:${port}/json`);
  return { child, url: `http://127.0.0.1:${port}` };
}

/** startForwarder runs one of the bench's own proxies in front of `upstreamUrl`. */
export async function startForwarder(name: TargetName, script: string, upstreamUrl: string, nodeFlags: string[] = []): Promise<LiveTarget> {
  const port = await freePort();
  const child = startNode(name, benchDist(script), [], { env: { ...process.env, PORT: String(port), UPSTREAM_URL: upstreamUrl }, nodeFlags });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/json`);
  return { name, url, pid: child.pid, child };
}

/** figwayVariant starts figway with weight 50 and no mirroring unless `extra` says otherwise. */
export async function figwayVariant(name: TargetName, dir: string, legacyUrl: string, newUrl: string,
  extra: Partial<FigwayVariant>): Promise<LiveTarget> {
  const variant: FigwayVariant = {
    name, port: await freePort(), adminPort: await freePort(), legacyUrl, newUrl, weight: 50, mirror: false, accessLog: false, ...extra,
  };
  const child = await startFigway(join(dir, name), variant);
  return { name, url: `http://127.0.0.1:${variant.port}`, pid: child.pid, child };
}

