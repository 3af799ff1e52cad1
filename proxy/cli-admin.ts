/**
 * The CLI verbs that talk to a running figway's admin API: `figway status`, `figway weight <route> <percent>` and
 * `figway ramp <route> start|pause|resume|promote|abort`. The admin URL and token come from flags or the
 * environment (FIGWAY_ADMIN_URL, FIGWAY_ADMIN_TOKEN). Exit codes: 0 done; 1 the admin API refused (invalid input,
 * unknown route or ramp, action not allowed now, shared store unreachable); 2 usage error; 3 the admin API could not
 * be reached or did not accept the token.
 */
import { parseCommandLine, usageError, type CommandLine, type CommandOutput } from './command-line.js';
import { RAMP_ACTIONS, type RampAction } from './ramp/machine.js';
import type { RampStatus } from './ramp/status.js';
import type { TimelinePoint } from './evidence/evidence.js';

/** EXIT codes of the admin verbs. */
export const ADMIN_EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

const CONNECTION_HELP = `Connection:
  --admin-url <url>     admin listener (default: $FIGWAY_ADMIN_URL, then http://127.0.0.1:9090)
  --token <token>       admin bearer token (default: $FIGWAY_ADMIN_TOKEN; prefer the variable: flags show in ps)

Exit codes: 0 done, 1 refused by figway (invalid input, unknown route or ramp, not allowed now), 2 usage error,
3 the admin API could not be reached or refused the token.`;

/** STATUS is `figway status`. */
export const STATUS: CommandLine = {
  name: 'figway status',
  usage: `Usage: figway status [--json] [--admin-url <url>] [--token <token>]

Show each route's weight, its ramp (state, step, verdict and why) and the client requests each side served in the
last minute — a route at 100 % shows that legacy gets no client traffic (it still receives mirrored copies).

Options:
  --json                print the raw API answers as JSON

${CONNECTION_HELP}
`,
};

/** WEIGHT is `figway weight`. */
export const WEIGHT: CommandLine = {
  name: 'figway weight',
  usage: `Usage: figway weight <route> <percent> [--reason <text>] [--admin-url <url>] [--token <token>]

Set a route's weight (percent of its traffic on new, 0–100 in steps of 0.01) through the running figway: written to
the weights file atomically, applied at once, one audit entry. During a ramp this pauses the ramp.

Options:
  --reason <text>       why (kept in the audit history)

${CONNECTION_HELP}
`,
};

/** RAMP is `figway ramp`. */
export const RAMP: CommandLine = {
  name: 'figway ramp',
  usage: `Usage: figway ramp <route> start|pause|resume|promote|abort [--reason <text>] [--admin-url <url>] [--token <token>]

  start     begin the route's ramp (at the highest step at or below the weight in force; a 0 step is a shadow bake)
  pause     hold the ramp where it is
  resume    continue a paused ramp (from the step at or below the weight in force)
  promote   go to the next step now (also the approval a step may wait for)
  abort     end the ramp and send every client back to legacy (weight 0)

Each action is one audit entry; the ramp's answer is printed. The ramp itself is configured under routes[].ramp.

Options:
  --reason <text>       why (kept in the audit history and shown as the ramp's reason)

${CONNECTION_HELP}
`,
};

const CONNECTION_OPTIONS = { 'admin-url': { type: 'string' }, token: { type: 'string' } } as const;

interface Connection {
  url: string;
  token: string;
}

class AdminUnreachable extends Error {}

function connectionFrom(values: { 'admin-url'?: string; token?: string }, env: NodeJS.ProcessEnv): Connection {
  return {
    url: (values['admin-url'] ?? env.FIGWAY_ADMIN_URL ?? 'http://127.0.0.1:9090').replace(/\/$/, ''),
    token: values.token ?? env.FIGWAY_ADMIN_TOKEN ?? '',
  };
}

/** call sends one admin request; it throws AdminUnreachable when figway cannot be reached or refuses the token. */
async function call(connection: Connection, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  // undici's request API loads only for these verbs: `figway start` shares this module and carries only undici's Pool.
  const { request } = await import('undici');
  let response;
  try {
    response = await request(`${connection.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${connection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
  } catch (error) {
    throw new AdminUnreachable(`cannot reach the admin API at ${connection.url} (${(error as Error).message})`);
  }
  const text = await response.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { error: { message: text.slice(0, 200) } };
  }
  if (response.statusCode === 401) {
    throw new AdminUnreachable(`the admin API at ${connection.url} refused the token (set FIGWAY_ADMIN_TOKEN or --token)`);
  }
  return { status: response.statusCode, json };
}

function errorMessage(json: Record<string, unknown>): string {
  const error = json.error as { code?: string; message?: string } | undefined;
  return error === undefined ? JSON.stringify(json) : `${error.message ?? ''}${error.code === undefined ? '' : ` [${error.code}]`}`;
}

async function guarded(command: CommandLine, output: CommandOutput, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AdminUnreachable) {
      output.err.write(`${command.name}: ${error.message}\n`);
      return ADMIN_EXIT.unreachable;
    }
    throw error;
  }
}

function percentOf(value: string): number | undefined {
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? number : undefined;
}

/** RouteView is what GET /api/routes answers per route (the fields status prints). */
interface RouteView {
  name: string;
  weight: number;
}

function lastMinute(points: readonly TimelinePoint[]): { legacy: number; new: number } {
  return points.reduce((sum, point) => ({ legacy: sum.legacy + point.requests.legacy, new: sum.new + point.requests.new }), { legacy: 0, new: 0 });
}

/** status prints every route's weight, ramp and last minute of client traffic. */
export async function status(args: string[], env: NodeJS.ProcessEnv = process.env, output: CommandOutput = { out: process.stdout, err: process.stderr }): Promise<number> {
  const parsed = parseCommandLine(STATUS, { args, options: { json: { type: 'boolean' }, ...CONNECTION_OPTIONS } }, output);
  if (typeof parsed === 'number') return parsed;
  const connection = connectionFrom(parsed.values, env);
  return guarded(STATUS, output, async () => {
    const routes = await call(connection, 'GET', '/api/routes');
    if (routes.status !== 200) {
      output.err.write(`figway status: ${errorMessage(routes.json)}\n`);
      return ADMIN_EXIT.refused;
    }
    const ramps = await call(connection, 'GET', '/api/ramps');
    const rampOf = new Map(((ramps.json.ramps ?? []) as RampStatus[]).map((ramp) => [ramp.route, ramp]));
    const since = Date.now() - 60_000;
    const rows: Array<{ route: RouteView; ramp: RampStatus | undefined; traffic: { legacy: number; new: number } | undefined }> = [];
    for (const route of routes.json.routes as RouteView[]) {
      const timeline = await call(connection, 'GET', `/api/routes/${encodeURIComponent(route.name)}/timeline?since=${since}`);
      const points = timeline.status === 200 ? (timeline.json.points as TimelinePoint[] | undefined) : undefined;
      rows.push({ route, ramp: rampOf.get(route.name), traffic: points === undefined || points.length === 0 ? undefined : lastMinute(points) });
    }
    if (parsed.values.json === true) {
      output.out.write(`${JSON.stringify({ routes: rows.map((row) => ({ ...row.route, ramp: row.ramp ?? null, lastMinute: row.traffic ?? null })) }, null, 2)}\n`);
      return ADMIN_EXIT.ok;
    }
    const width = Math.max(5, ...rows.map((row) => row.route.name.length));
    for (const { route, ramp, traffic } of rows) {
      const served = traffic === undefined ? 'no traffic data yet'
        : `last minute: legacy ${traffic.legacy}, new ${traffic.new} client requests${route.weight === 100 && traffic.legacy === 0 ? ' (legacy gets mirrored copies only)' : ''}`;
      output.out.write(`${route.name.padEnd(width)}  ${`${route.weight}%`.padStart(7)}  ${served}\n`);
      if (ramp !== undefined) {
        const step = ramp.stepIndex < 0 ? 'not started' : `step ${ramp.stepIndex + 1} of ${ramp.steps.length} (${ramp.steps.join(' → ')})`;
        output.out.write(`${' '.repeat(width)}  ramp ${ramp.state}, ${step}${ramp.leader === null ? '' : `, driven by ${ramp.leader}`}\n`);
        output.out.write(`${' '.repeat(width)}  ${ramp.verdict}\n`);
      }
    }
    return ADMIN_EXIT.ok;
  });
}

/** ChangeRequest is one state-changing admin call and how its success is printed. */
interface ChangeRequest {
  method: 'PUT' | 'POST';
  path: string;
  body: Record<string, unknown>;
  done(answer: Record<string, unknown>): string;
}

/** change parses `<route> <second>` plus --reason and the connection flags, then sends the request `build` makes. */
async function change(
  command: CommandLine, args: string[], env: NodeJS.ProcessEnv, output: CommandOutput, second: string,
  build: (route: string, value: string, reason: string | undefined) => ChangeRequest | string,
): Promise<number> {
  const parsed = parseCommandLine(command, { args, allowPositionals: true, options: { reason: { type: 'string' }, ...CONNECTION_OPTIONS } }, output);
  if (typeof parsed === 'number') return parsed;
  const [route, value, ...extra] = parsed.positionals;
  if (route === undefined || value === undefined || extra.length > 0) return usageError(command, `name a route and ${second}`, output);
  const built = build(route, value, parsed.values.reason);
  if (typeof built === 'string') return usageError(command, built, output);
  const connection = connectionFrom(parsed.values, env);
  return guarded(command, output, async () => {
    const answer = await call(connection, built.method, built.path, built.body);
    if (answer.status !== 200) {
      output.err.write(`${command.name}: ${errorMessage(answer.json)}\n`);
      return ADMIN_EXIT.refused;
    }
    output.out.write(`${built.done(answer.json)}\n`);
    return ADMIN_EXIT.ok;
  });
}

const withReason = (reason: string | undefined): Record<string, unknown> => (reason === undefined ? {} : { reason });

/** weight sets one route's weight through the admin API. */
export function weight(args: string[], env: NodeJS.ProcessEnv = process.env, output: CommandOutput = { out: process.stdout, err: process.stderr }): Promise<number> {
  return change(WEIGHT, args, env, output, 'a percent', (route, value, reason) => {
    const percent = percentOf(value);
    if (percent === undefined) return `"${value}" is not a number`;
    return {
      method: 'PUT', path: `/api/routes/${encodeURIComponent(route)}/weight`, body: { weight: percent, ...withReason(reason) },
      done: (answer) => `${route} = ${percent}% on new (applied ${String(answer.appliedAt ?? '')})`,
    };
  });
}

/** ramp acts on one route's ramp through the admin API. */
export function ramp(args: string[], env: NodeJS.ProcessEnv = process.env, output: CommandOutput = { out: process.stdout, err: process.stderr }): Promise<number> {
  return change(RAMP, args, env, output, 'an action', (route, action, reason) => {
    if (!(RAMP_ACTIONS as readonly string[]).includes(action)) return `unknown action "${action}" (one of ${RAMP_ACTIONS.join(', ')})`;
    return {
      method: 'POST', path: `/api/routes/${encodeURIComponent(route)}/ramp/${action as RampAction}`, body: withReason(reason),
      done: (answer) => {
        const result = answer as unknown as RampStatus;
        return `${route}: ${result.state} at ${result.weight}% — ${result.verdict}`;
      },
    };
  });
}
