/**
 * The live part of `npm run demo -- --ramp`: start both Pesto routes' ramps through the admin API (as
 * `figway ramp <route> start` does), keep paced Pesto traffic flowing, and print each ramp transition as it happens
 * until both ramps end — completed at 100, or halted with the finding that stopped them.
 */
import { request } from 'undici';
import type { RunningFigway } from '../proxy/main.js';
import type { AuditEntry } from '../proxy/audit.js';
import type { RampStatus } from '../proxy/ramp/status.js';
import { PESTO_DEMO_RAMP } from '../proxy/ramp/pesto-ramp.js';
import { runPestoTraffic } from './pesto-traffic.js';

/** DEMO_RAMP is the demo's ramp: the Pesto demo ramp with a few seconds at each step, so a person can watch it. */
export const DEMO_RAMP = { ...PESTO_DEMO_RAMP, minStepMs: 3_000 };
/** DEMO_RAMP_INTERVAL_MS is how often the demo's evidence is read and its ramps evaluated. */
export const DEMO_RAMP_INTERVAL_MS = 1_000;

const ROUTES = ['registration', 'auth'];
const ENDED: ReadonlySet<string> = new Set(['halted', 'completed']);

async function admin(figway: RunningFigway, token: string, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const response = await request(`${figway.adminUrl}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(method === 'POST' ? { body: '{"reason":"npm run demo -- --ramp"}' } : {}),
  });
  return response.body.json();
}

function line(started: number, entry: AuditEntry): string {
  const seconds = ((Date.parse(entry.at) - started) / 1000).toFixed(1).padStart(5);
  const from = (entry.old as { weight?: number } | undefined)?.weight;
  const to = (entry.new as { weight?: number; state?: string } | undefined);
  const kind = entry.action.replace(/^ramp\./, '');
  return `  +${seconds}s  ${(entry.route ?? '').padEnd(12)} ${kind.padEnd(14)} ${String(from ?? '?').padStart(3)}% → ${String(to?.weight ?? '?').padStart(3)}%  ${entry.why ?? ''}\n`;
}

/** RampDemoTarget is what the ramp demo drives: figway, its admin token and each service's address through it. */
export interface RampDemoTarget {
  figway: RunningFigway;
  adminToken: string;
  urls: { auth: string; registration: string };
}

/** runRampDemo starts the ramps and returns once both have ended (or after `limitMs`). */
export async function runRampDemo(demo: RampDemoTarget, out: { write(text: string): unknown }, limitMs = 120_000): Promise<RampStatus[]> {
  const { figway, adminToken: token } = demo;
  const started = Date.now();
  const onAudit = (entry: AuditEntry): void => { if (entry.action.startsWith('ramp.')) out.write(line(started, entry)); };
  figway.events.on('audit', onAudit);
  out.write(`\nRamping ${ROUTES.join(' and ')}: steps ${DEMO_RAMP.steps.join(' → ')} %, ${DEMO_RAMP.minStepMs / 1000} s at least per step, evaluated every ${DEMO_RAMP_INTERVAL_MS / 1000} s.\nThe 0 % step is a shadow bake: no client moves; the mirrored comparisons alone decide.\n\n`);
  let statuses: RampStatus[] = [];
  try {
    for (const route of ROUTES) await admin(figway, token, 'POST', `/api/routes/${route}/ramp/start`);
    for (let batch = 0; Date.now() - started < limitMs; batch++) {
      await runPestoTraffic({ authUrl: demo.urls.auth, registrationUrl: demo.urls.registration, maxRequests: 20, maxDurationMs: 10_000, clients: 40, seed: 1000 + batch, concurrency: 2 });
      // Paced, as a real client population would be: the shadows keep up and coverage stays high.
      await new Promise((resolve) => setTimeout(resolve, 250));
      statuses = ((await admin(figway, token, 'GET', '/api/ramps')) as { ramps: RampStatus[] }).ramps;
      if (statuses.every((status) => ENDED.has(status.state))) break;
    }
  } finally {
    figway.events.off('audit', onAudit);
  }
  out.write('\n');
  for (const status of statuses) out.write(`  ${status.route.padEnd(12)} ${status.verdict}\n`);
  return statuses;
}
