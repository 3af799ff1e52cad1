#!/usr/bin/env node
/**
 * The figway command line: start, validate, weights, traffic. Exit codes: 0 ok, 1 invalid input or failure, 2 usage.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { ConfigError, formatConfigIssue } from './errors.js';
import { loadConfigFiles, parseConfigText, parseWeightsText } from './config/load.js';
import { createConfigManager } from './config/manager.js';
import { createGatewayMetrics } from './metrics.js';
import { createLogger } from './log.js';
import cluster from 'node:cluster';
import { startServing } from './cluster/start.js';
import { lazyDefaultExtensions } from './lazy-extensions.js';

const USAGE = `figway — a strangler-fig migration gateway

Usage:
  figway start [-c figway.yaml]                 run the gateway (SIGTERM/SIGINT drain and exit 0)
  figway validate <file> [<file> ...]           check configuration and weight files; exit 1 with file:line: field: message
  figway weights set <route> <percent> [-c figway.yaml]
                                                write one route's weight (atomic, comments kept); a running figway reloads it
  figway weights show [-c figway.yaml]          print the weights in force
  figway traffic --url <gateway url> [--requests N] [--seconds S] [--clients N] [--concurrency N]
                                                send bounded, realistic Pesto traffic through a gateway
  figway help                                   this text

Options:
  -c, --config <path>   configuration file (default: figway.yaml, or $FIGWAY_CONFIG)
`;

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
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  let running: Awaited<ReturnType<typeof startServing>>;
  try {
    running = await startServing({ configPath: configPathFrom(values.config), extensions: lazyDefaultExtensions });
  } catch (error) {
    return printConfigError(error);
  }
  if (!cluster.isWorker) process.stdout.write(`figway listening: gateway ${running.gatewayUrl}, admin ${running.adminUrl ?? 'disabled'}\n`);
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

/** validate checks each file; a weight file is checked against the configuration given before it (or -c). */
async function validate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
  if (positionals.length === 0) {
    process.stderr.write('figway validate: name at least one file\n');
    return 2;
  }
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
      const routes = parseDocument(text).toJS()?.routes as unknown;
      if (Array.isArray(routes)) {
        const loaded = parseConfigText(path, text);
        routeNames = new Set(loaded.config.routes.map((route) => route.name));
        process.stdout.write(`${file}: ok (${loaded.config.routes.length} routes)\n`);
      } else {
        if (routeNames === undefined) {
          const { loaded } = await loadConfigFiles(configPathFrom(undefined));
          routeNames = new Set(loaded.config.routes.map((route) => route.name));
        }
        const weights = parseWeightsText(path, text, routeNames);
        process.stdout.write(`${file}: ok (${weights.weights.size} weights)\n`);
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
  const [action, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { config: { type: 'string', short: 'c' } } });
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
    if (action === 'set' && positionals.length === 2) {
      const [route, value] = positionals as [string, string];
      const percent = Number(value);
      if (!Number.isFinite(percent)) {
        process.stderr.write(`figway weights set: "${value}" is not a number\n`);
        return 2;
      }
      await manager.setWeight(route, percent);
      process.stdout.write(`${route} = ${percent}% (written to ${manager.weightsPath})\n`);
      return 0;
    }
    process.stderr.write(USAGE);
    return 2;
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
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { url: { type: 'string' }, requests: { type: 'string' }, seconds: { type: 'string' }, clients: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string' } },
    }));
  } catch (error) {
    process.stderr.write(`figway traffic: ${(error as Error).message}\n`);
    return 2;
  }
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
  const { runPestoTraffic } = await import('../scripts/pesto-traffic.js');
  try {
    const summary = await runPestoTraffic({ baseUrl: url, maxRequests: requests, maxDurationMs: seconds * 1000, clients, seed, concurrency });
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
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`figway: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
  process.stderr.write(`figway: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
