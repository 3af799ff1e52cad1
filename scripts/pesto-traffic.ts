/**
 * runPestoTraffic sends realistic, bounded Pesto traffic: sign-ups on the landing form, admin approvals and revokes,
 * trials, and many forward-auth calls with valid, unknown, revoked, over-limit, trial and missing tokens, from many
 * client addresses — each request carries X-Forwarded-For as a front proxy would, so a figway that trusts 127.0.0.1
 * sees `clients` distinct addresses and client-address stickiness splits them. It stops by itself at `maxRequests`
 * or `maxDurationMs`, whichever comes first (`pace` spreads the requests over the duration), and only talks to
 * loopback addresses. Deterministic for a given seed (up to response timing).
 */
import { Agent, request } from 'undici';

/** TrafficKind classifies one request of the mix. */
export type TrafficKind =
  | 'register' | 'register-duplicate' | 'pending' | 'approve' | 'approve-low-limit' | 'trial' | 'revoke'
  | 'auth-valid' | 'auth-unknown' | 'auth-revoked' | 'auth-over-limit' | 'auth-trial' | 'auth-missing';

/** PestoTrafficOptions bound and aim the traffic. Give `baseUrl` (a gateway) or both `authUrl` and `registrationUrl`. */
export interface PestoTrafficOptions {
  baseUrl?: string;
  authUrl?: string;
  registrationUrl?: string;
  maxRequests: number;
  maxDurationMs: number;
  /** Distinct client identities (X-Forwarded-For addresses). */
  clients: number;
  seed: number;
  /** Requests in flight at once. Default min(clients, 8). */
  concurrency?: number;
  /** Per-request deadline. Default 5000 ms. */
  requestTimeoutMs?: number;
  /**
   * Spread the requests evenly over maxDurationMs (request i starts no earlier than i × maxDurationMs ÷ maxRequests),
   * as a user asking for "2000 requests over 60 s" expects. Default false: as fast as the concurrency allows.
   */
  pace?: boolean;
}

/** PestoTrafficSummary counts answers by kind and status (`error` for a transport failure). */
export interface PestoTrafficSummary {
  requests: number;
  durationMs: number;
  stoppedBy: 'requests' | 'time';
  byKind: Partial<Record<TrafficKind, Record<string, number>>>;
  byStatus: Record<string, number>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function loopbackUrl(url: string, what: string): string {
  const parsed = new URL(url);
  if (!LOOPBACK.has(parsed.hostname)) throw new Error(`${what} must be a loopback URL (127.0.0.1), got ${parsed.hostname}`);
  return url.replace(/\/+$/, '');
}

// mulberry32: a tiny seeded PRNG so a run can be replayed.
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Approved {
  token: string;
  email: string;
  limit: number;
}

/** Pools keep what earlier requests created, bounded so memory stays flat on long runs. */
class Pools {
  waiting: string[] = [];
  approved: Approved[] = [];
  lowLimit: Approved[] = [];
  revoked: string[] = [];
  trials: string[] = [];
  static readonly MAX = 500;
  push<T>(pool: T[], item: T): void {
    pool.push(item);
    if (pool.length > Pools.MAX) pool.shift();
  }
}

interface Step {
  kind: TrafficKind;
  service: 'auth' | 'registration';
  method: string;
  path: string;
  token?: string;
  json?: unknown;
  after?: (status: number, text: string) => void;
}

/** runPestoTraffic runs the mix and returns the summary. */
export async function runPestoTraffic(options: PestoTrafficOptions): Promise<PestoTrafficSummary> {
  const authBase = loopbackUrl(options.authUrl ?? options.baseUrl ?? '', 'authUrl/baseUrl');
  const registrationBase = loopbackUrl(options.registrationUrl ?? options.baseUrl ?? '', 'registrationUrl/baseUrl');
  const maxRequests = Math.max(0, Math.floor(options.maxRequests));
  const clients = Math.max(1, Math.floor(options.clients));
  const concurrency = Math.max(1, Math.min(options.concurrency ?? Math.min(clients, 8), 64));
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  const random = createRandom(options.seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const runId = `${options.seed.toString(36)}${Date.now().toString(36)}`;
  const pools = new Pools();
  const summary: PestoTrafficSummary = { requests: 0, durationMs: 0, stoppedBy: 'requests', byKind: {}, byStatus: {} };
  const agent = new Agent({ connections: concurrency, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const started = Date.now();
  const deadline = started + Math.max(0, options.maxDurationMs);
  let issued = 0;
  let serial = 0;

  const register = (): Step => {
    const n = ++serial;
    // Some addresses carry '+', which the .NET registration escapes as \u002B in Redis.
    const email = n % 7 === 0 ? `user+${runId}-${n}@example.com` : `user-${runId}-${n}@example.com`;
    return {
      kind: 'register', service: 'registration', method: 'POST', path: '/api/register',
      json: { name: `User ${n}`, email, building: `Building ${n % 5}`, calls: Math.floor(random() * 100) },
      after: (status) => { if (status >= 200 && status < 300) pools.push(pools.waiting, email); },
    };
  };
  const approve = (low: boolean): Step => {
    const index = Math.floor(random() * pools.waiting.length);
    const email = pools.waiting.splice(index, 1)[0] as string;
    const token = `tok-${runId}-${++serial}`;
    const limit = low ? 2 : 50 + Math.floor(random() * 950);
    return {
      kind: low ? 'approve-low-limit' : 'approve', service: 'registration', method: 'PUT', path: '/api/approve',
      json: { email, token, limit },
      after: (status) => { if (status === 200) pools.push(low ? pools.lowLimit : pools.approved, { token, email, limit }); },
    };
  };
  const authWith = (kind: TrafficKind, token: string | undefined): Step => ({
    kind, service: 'auth', method: 'GET', path: '/', ...(token !== undefined ? { token } : {}),
  });

  // The mix: mostly forward-auth, as in production; registration traffic keeps the pools filled.
  const nextStep = (): Step => {
    const roll = random();
    if (roll < 0.10 || (pools.waiting.length === 0 && pools.approved.length === 0)) return register();
    if (roll < 0.13 && pools.waiting.length > 0) {
      const email = pick(pools.waiting) as string;
      return { kind: 'register-duplicate', service: 'registration', method: 'POST', path: '/api/register', json: { name: 'Again', email, building: 'B', calls: 1 } };
    }
    if (roll < 0.15) return { kind: 'pending', service: 'registration', method: 'GET', path: '/api/pending' };
    if (roll < 0.23 && pools.waiting.length > 0) return approve(random() < 0.25);
    if (roll < 0.25) {
      return {
        kind: 'trial', service: 'registration', method: 'POST', path: '/api/trial',
        after: (status, text) => {
          if (status !== 200) return;
          const token = text.startsWith('{') ? (JSON.parse(text) as { token?: string }).token : text;
          if (token !== undefined && token !== '') pools.push(pools.trials, token);
        },
      };
    }
    if (roll < 0.27 && pools.approved.length > 1) {
      const victim = pools.approved.splice(Math.floor(random() * pools.approved.length), 1)[0] as Approved;
      // The legacy body {email, token, limit}; the rewrite reads only token from it.
      return {
        kind: 'revoke', service: 'registration', method: 'PUT', path: '/api/revoke', json: victim,
        after: (status) => { if (status === 200) pools.push(pools.revoked, victim.token); },
      };
    }
    const auth = random();
    if (auth < 0.55 && pools.approved.length > 0) return authWith('auth-valid', pick(pools.approved)?.token);
    if (auth < 0.65) return authWith('auth-unknown', `tok-unknown-${runId}-${Math.floor(random() * 1e6)}`);
    if (auth < 0.73 && pools.revoked.length > 0) return authWith('auth-revoked', pick(pools.revoked));
    if (auth < 0.85 && pools.lowLimit.length > 0) return authWith('auth-over-limit', pick(pools.lowLimit)?.token);
    if (auth < 0.92 && pools.trials.length > 0) return authWith('auth-trial', pick(pools.trials));
    if (auth < 0.97 || pools.approved.length === 0) return authWith('auth-missing', undefined);
    return authWith('auth-valid', pick(pools.approved)?.token);
  };

  const send = async (step: Step): Promise<void> => {
    const client = Math.floor(random() * clients);
    const headers: Record<string, string> = {
      'x-forwarded-for': `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`,
      'user-agent': 'pesto-traffic',
    };
    if (step.token !== undefined) headers['x-pesto-token'] = step.token;
    let body: string | undefined;
    if (step.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(step.json);
    }
    const base = step.service === 'auth' ? authBase : registrationBase;
    let status = 'error';
    try {
      const response = await request(`${base}${step.path}`, {
        method: step.method as 'GET', headers, dispatcher: agent, signal: AbortSignal.timeout(timeoutMs), ...(body !== undefined ? { body } : {}),
      });
      const text = await response.body.text();
      status = String(response.statusCode);
      step.after?.(response.statusCode, text);
    } catch {
      status = 'error';
    }
    const counts = (summary.byKind[step.kind] ??= {});
    counts[status] = (counts[status] ?? 0) + 1;
    summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
    summary.requests++;
  };

  const spacingMs = options.pace === true && maxRequests > 0 ? Math.max(0, options.maxDurationMs) / maxRequests : 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (issued >= maxRequests) return;
      const due = started + issued * spacingMs;
      issued++;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      if (Date.now() >= deadline) {
        summary.stoppedBy = 'time';
        return;
      }
      await send(nextStep());
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    await agent.close();
  }
  summary.durationMs = Date.now() - started;
  return summary;
}
