#!/usr/bin/env node
/**
 * The figway command line: start, validate, weights, traffic, and (through a running figway's admin API, see
 * cli-admin.ts) status, weight, ramp. Exit codes: 0 ok, 1 invalid input or failure, 2 usage, 3 admin API unreachable.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, formatConfigIssue } from './errors.js';
import { loadConfigFiles, parseConfigText, parseWeightsText } from './config/load.js';
import { createConfigManager } from './config/manager.js';
import { createGatewayMetrics } from './metrics.js';
import { createLogger } from './log.js';
import cluster from 'node:cluster';
import { startServing } from './cluster/start.js';
import { lazyDefaultExtensions } from './lazy-extensions.js';
import { figwayVersion, parseCommandLine, usageError, type CommandLine } from './command-line.js';
import { ramp, status, weight } from './cli-admin.js';
import { runReportCommand } from '../shadow-report/report/command.js';

const USAGE = `figway — a strangler-fig migration gateway

Usage:
  figway start [-c figway.yaml]                 run the gateway (SIGTERM/SIGINT drain and exit 0)
  figway validate <file> [<file> ...] [-c figway.yaml]
                                                check configuration and weight files; exit 1 with file:line: field: message
  figway weights set <route> <percent> [-c figway.yaml]
                                                write one route's weight (atomic, comments kept); a running figway reloads it
  figway weights show [-c figway.yaml]          print the weights in force
  figway traffic [--url <gateway> | --auth-url <url> --registration-url <url>] [--requests N] [--seconds S] ...
                                                send bounded, realistic Pesto traffic, paced over --seconds
  figway status                                 a running figway: weights, ramps and why, last minute of traffic per side
  figway weight <route> <percent>               set a weight through a running figway (one audit entry)
  figway ramp <route> start|pause|resume|promote|abort
                                                act on a route's ramp through a running figway
  figway report [--format md|json|html] [--route R] [--since 1h] [--url U] [--token T]
                                                the migration evidence of a running figway, for a review
  figway help | --help | --version

Options:
  -c, --config <path>   configuration file (default: figway.yaml, or $FIGWAY_CONFIG)

status, weight and ramp talk to the admin API: --admin-url (default $FIGWAY_ADMIN_URL, then http://127.0.0.1:9090)
and the token in $FIGWAY_ADMIN_TOKEN (or --token).

Every command answers --help. Exit codes: 0 ok, 1 invalid input, failure or refused by figway, 2 usage error,
3 the admin API could not be reached or refused the token.
`;

const CONFIG_OPTION = { config: { type: 'string', short: 'c' } } as const;

const START: CommandLine = {
  name: 'figway start',
  usage: `Usage: figway start [-c figway.yaml]

Run the gateway: the data-plane listeners and the admin listener named in the configuration. Configuration and
weight files are watched and reloaded. SIGTERM/SIGINT stop accepting, drain in-flight requests (shutdownGraceMs)
and exit 0. A listener that cannot bind (port in use) exits 1 with one line naming it.

Options:
  -c, --config <path>   configuration file (default: $FIGWAY_CONFIG, then figway.yaml)
`,
};

const VALIDATE: CommandLine = {
  name: 'figway validate',
  usage: `Usage: figway validate <file> [<file> ...] [-c figway.yaml]

Check configuration files (figway.yaml) and weight files (weights.yaml) without starting anything. Each problem is
printed as file:line: field: message [CODE]; the exit code is 1 when any file is invalid.

A weight file's route names are checked against the configuration named before it, or -c, or the figway.yaml
beside it; when there is none, the weight file is checked on its own and the output says so.

Options:
  -c, --config <path>   configuration whose routes the weight files must name
`,
};

const WEIGHTS: CommandLine = {
  name: 'figway weights',
  usage: `Usage:
  figway weights set <route> <percent> [-c figway.yaml]   write one route's weight (atomic rename, comments kept)
  figway weights show [-c figway.yaml]                    print each route's weight in force

A running figway reloads the weight file when it changes.

Options:
  -c, --config <path>   configuration file (default: $FIGWAY_CONFIG, then figway.yaml)
`,
};

const TRAFFIC: CommandLine = {
  name: 'figway traffic',
  usage: `Usage: figway traffic [--url <gateway> | --auth-url <url> --registration-url <url>] [--requests N] [--seconds S]
                      [--clients N] [--concurrency N] [--seed N] [--burst]

Send bounded, realistic Pesto traffic (sign-ups, approvals, revokes, trials, forward-auth checks) to loopback
addresses only, spread over --seconds, and print a summary by kind and status. Every request carries an
X-Forwarded-For address out of --clients, as a front proxy would: a figway that trusts 127.0.0.1 (trustedProxies)
sees that many clients, so client-address stickiness splits them between the sides.

Options:
  --url <url>               one address for both services (default: $FIGWAY_URL, then http://127.0.0.1:8080)
  --auth-url <url>          auth's address (the demo: http://127.0.0.1:8080)
  --registration-url <url>  registration's address (the demo: http://127.0.0.1:8081)
  --requests N              send N requests (default 2000)
  --seconds S               over S seconds, evenly paced; also the time limit (default 60)
  --burst                   do not pace: as fast as --concurrency allows, still stopping at --seconds
  --clients N               distinct client addresses (default 50)
  --concurrency N           requests in flight at most (default 8)
  --seed N                  random seed, for a replayable mix (default 1)
`,
};

function configPathFrom(value: string | undefined): string {
  return resolve(value ?? process.env.FIGWAY_CONFIG ?? 'figway.yaml');
}

function printConfigError(error: unknown): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) process.stderr.write(`${formatConfigIssue(issue)}\n`);
    return 1;
  }
  process.stderr.write(`figway: ${(error as Error).message}\n`);
  return 1;
}

async function start(args: string[]): Promise<number> {
  const parsed = parseCommandLine(START, { args, options: CONFIG_OPTION });
  if (typeof parsed === 'number') return parsed;
  let running: Awaited<ReturnType<typeof startServing>>;
  try {
    running = await startServing({ configPath: configPathFrom(parsed.values.config), extensions: lazyDefaultExtensions });
  } catch (error) {
    return printConfigError(error);
  }
  if (!cluster.isWorker) {
    const entrypoints = Object.entries(running.entrypointUrls).map(([name, url]) => `${name} ${url}`).join(', ');
    process.stdout.write(`figway listening: ${entrypoints}, admin ${running.adminUrl ?? 'disabled'}\n`);
  }
  return new Promise((resolveExit) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      running.logger.info({ signal }, 'draining');
      running.stop().then(() => resolveExit(0), (error: unknown) => {
        running.logger.error({ err: error }, 'stop failed');
        resolveExit(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** routeNamesIn lists the route names a weight file itself names (used when no configuration is at hand). */
function routeNamesIn(text: string): Set<string> {
  const routes = (parseDocument(text).toJS() as { routes?: unknown } | null)?.routes;
  return new Set(routes !== null && typeof routes === 'object' ? Object.keys(routes) : []);
}

/** routeNamesFor finds the configuration a weight file is checked against: -c, else the figway.yaml beside it. */
async function routeNamesFor(weightsFile: string, explicit: Set<string> | undefined): Promise<{ names?: Set<string>; note?: string }> {
  if (explicit !== undefined) return { names: explicit };
  const beside = join(dirname(weightsFile), 'figway.yaml');
  const candidate = process.env.FIGWAY_CONFIG !== undefined ? resolve(process.env.FIGWAY_CONFIG) : beside;
  let text: string;
  try {
    text = await readFile(candidate, 'utf8');
  } catch {
    return { note: 'route names not checked: no configuration given (add -c figway.yaml)' };
  }
  try {
    // Only the configuration itself: its weight file may be the very file being checked.
    return { names: new Set(parseConfigText(candidate, text).config.routes.map((route) => route.name)) };
  } catch {
    return { note: `route names not checked: ${candidate} is invalid (run figway validate ${candidate})` };
  }
}

/** validate checks each file; a weight file is checked against the configuration given before it (or -c). */
async function validate(args: string[]): Promise<number> {
  const parsed = parseCommandLine(VALIDATE, { args, allowPositionals: true, options: CONFIG_OPTION });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length === 0) return usageError(VALIDATE, 'name at least one file');
  let routeNames: Set<string> | undefined;
  if (values.config !== undefined) {
    try {
      const { loaded } = await loadConfigFiles(configPathFrom(values.config));
      routeNames = new Set(loaded.config.routes.map((route) => route.name));
    } catch (error) {
      return printConfigError(error);
    }
  }
  let failed = false;
  for (const file of positionals) {
    const path = resolve(file);
    try {
      const text = await readFile(path, 'utf8');
      const routes = (parseDocument(text).toJS() as { routes?: unknown } | null)?.routes;
      if (Array.isArray(routes)) {
        const loaded = parseConfigText(path, text);
        routeNames = new Set(loaded.config.routes.map((route) => route.name));
        process.stdout.write(`${file}: ok (${loaded.config.routes.length} routes)\n`);
      } else {
        const against = await routeNamesFor(path, routeNames);
        const weights = parseWeightsText(path, text, against.names ?? routeNamesIn(text));
        process.stdout.write(`${file}: ok (${weights.weights.size} weights${against.note === undefined ? '' : `; ${against.note}`})\n`);
      }
    } catch (error) {
      failed = true;
      if (error instanceof ConfigError) for (const issue of error.issues) process.stderr.write(`${formatConfigIssue(issue)}\n`);
      else process.stderr.write(`${file}: ${(error as Error).message} [CONFIG_READ]\n`);
    }
  }
  return failed ? 1 : 0;
}

async function weights(args: string[]): Promise<number> {
  const parsed = parseCommandLine(WEIGHTS, { args, allowPositionals: true, options: CONFIG_OPTION });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (action !== 'show' && action !== 'set') return usageError(WEIGHTS, action === undefined ? 'name an action: set or show' : `unknown action "${action}" (set or show)`);
  if (action === 'show' && rest.length > 0) return usageError(WEIGHTS, 'weights show takes no arguments');
  if (action === 'set' && rest.length !== 2) return usageError(WEIGHTS, 'weights set needs <route> <percent>');
  const percent = Number(rest[1]);
  if (action === 'set' && (rest[1]!.trim() === '' || !Number.isFinite(percent))) return usageError(WEIGHTS, `"${rest[1]}" is not a number`);
  const logger = createLogger('silent');
  let manager;
  try {
    manager = await createConfigManager({ configPath: configPathFrom(values.config), logger, metrics: createGatewayMetrics() });
  } catch (error) {
    return printConfigError(error);
  }
  try {
    if (action === 'show') {
      for (const route of manager.snapshot().routes) process.stdout.write(`${route.name}\t${route.weight}\n`);
      return 0;
    }
    const route = rest[0]!;
    await manager.setWeight(route, percent, 'cli');
    process.stdout.write(`${route} = ${percent}% (written to ${manager.weightsPath})\n`);
    return 0;
  } catch (error) {
    return printConfigError(error);
  } finally {
    await manager.close();
  }
}

/** positiveInteger reads an optional whole-number option, or explains what is wrong with it. */
function positiveInteger(name: string, value: string | undefined, fallback: number): number | string {
  if (value === undefined) return fallback;
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : `--${name} must be a whole number above 0, not "${value}"`;
}

async function traffic(args: string[]): Promise<number> {
  const parsed = parseCommandLine(TRAFFIC, {
    args,
    options: {
      url: { type: 'string' }, 'auth-url': { type: 'string' }, 'registration-url': { type: 'string' }, requests: { type: 'string' },
      seconds: { type: 'string' }, clients: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' }, burst: { type: 'boolean', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const numbers = {
    requests: positiveInteger('requests', values.requests, 2000),
    seconds: positiveInteger('seconds', values.seconds, 60),
    clients: positiveInteger('clients', values.clients, 50),
    seed: positiveInteger('seed', values.seed, 1),
    concurrency: positiveInteger('concurrency', values.concurrency, 8),
  };
  const invalid = Object.values(numbers).filter((value): value is string => typeof value === 'string');
  if (invalid.length > 0) {
    for (const message of invalid) process.stderr.write(`figway traffic: ${message}\n`);
    return 2;
  }
  const { requests, seconds, clients, seed, concurrency } = numbers as Record<keyof typeof numbers, number>;
  const url = values.url ?? process.env.FIGWAY_URL ?? 'http://127.0.0.1:8080';
  const authUrl = values['auth-url'] ?? url;
  const registrationUrl = values['registration-url'] ?? url;
  const { runPestoTraffic } = await import('../scripts/pesto-traffic.js');
  try {
    const summary = await runPestoTraffic({ authUrl, registrationUrl, maxRequests: requests, maxDurationMs: seconds * 1000, clients, seed, concurrency, pace: !values.burst });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`figway traffic: ${(error as Error).message}\n`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start': return start(args);
    case 'validate': return validate(args);
    case 'weights': return weights(args);
    case 'traffic': return traffic(args);
    case 'status': return status(args);
    case 'weight': return weight(args);
    case 'ramp': return ramp(args);
    case 'report': return runReportCommand(args, {
      stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text), env: process.env,
    });
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case '--version': case 'version':
      process.stdout.write(`figway ${figwayVersion()}\n`);
      return 0;
    default:
      process.stderr.write(`figway: unknown command "${command}" (see figway --help)\n`);
      return 2;
  }
}

/**
 * exitSoon sets the exit code and, should anything still hold the event loop (a client library's reconnect timer
 * after a failed start), ends the process once pending output had its chance: a CLI that failed must not hang.
 */
function exitSoon(code: number): void {
  process.exitCode = code;
  if (code !== 0) setTimeout(() => process.exit(code), 1_000).unref();
}

main(process.argv.slice(2)).then(exitSoon, (error: unknown) => {
  process.stderr.write(`figway: ${(error as Error).message ?? String(error)}\n`);
  exitSoon(1);
});
