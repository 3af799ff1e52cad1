/**
 * `npm run demo`: Redis, the four Pesto services (plus shadow twins and the mail sink) and figway in front of them,
 * with a demo configuration written to .figway-demo/ (edit its weights.yaml while it runs: figway reloads it).
 *
 *   npm run demo                                    start and keep running until Ctrl-C
 *   npm run demo -- --regressions token-casing      start with rewrite regressions on (comma-separated)
 *   npm run demo -- --port 8080 --admin-port 9090   choose ports (auth on --port, registration on the next)
 *   npm run demo -- --smoke                         start, send one forward-auth check through figway, stop
 *   npm run demo -- --ramp                          ramp both routes live (fast steps) and print each transition
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { destination } from 'pino';
import { request } from 'undici';
import { shadowStoreUrls, startPestoStack, type PestoStack } from './pesto-stack.js';
import { PESTO_ENTRYPOINTS, pestoRoutes, pestoUpstreams } from '../legacy-adapters/pesto-routes.js';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { startFigway, type RunningFigway } from '../proxy/main.js';
import { defaultExtensions } from '../proxy/extensions.js';
import { createLogger } from '../proxy/log.js';
import { parseCommandLine, usageError, type CommandLine } from '../proxy/command-line.js';
import { DEMO_RAMP, DEMO_RAMP_INTERVAL_MS, runRampDemo } from './demo-ramp.js';
import { startLiveSummary } from './demo-summary.js';
import { DEMO_ROUTE_OPTIONS } from './demo-topology.js';
import { lastGoodPath } from '../proxy/config/manager.js';

/** DemoOptions choose ports, regressions and where the demo files go. */
export interface DemoOptions {
  regressions?: string[];
  /** Port of auth's entrypoint (default 8080; 0 picks a free one). Registration listens on the next port. */
  gatewayPort?: number;
  /** Port of registration's entrypoint (default gatewayPort + 1, or a free one when gatewayPort is 0). */
  registrationPort?: number;
  adminPort?: number;
  directory?: string;
  redisUrl?: string;
  adminToken?: string;
  logLevel?: string;
  /** How often evidence is read (timeline points, ramp evaluation); default the schema's. The screenshots use 1 s. */
  evidenceIntervalMs?: number;
  /** Give both routes the demo ramp (fast steps), start their weights at 0 and trust the traffic generator's X-Forwarded-For. */
  ramp?: boolean;
}

/** Demo is a running demo stack. */
export interface Demo {
  figway: RunningFigway;
  /** Each Pesto service's address through figway (its own entrypoint), as clients see it. */
  urls: { auth: string; registration: string };
  /** Where the services' and figway's logs go. */
  logDirectory: string;
  stack: PestoStack;
  adminToken: string;
  directory: string;
  stop(): Promise<void>;
}

/** withDatabase points a redis URL at another logical database (the shadow store lives next to production). */
export function withDatabase(url: string, database: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** startDemo starts everything; it throws with a how-to message when no Redis can be had. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const ownRedis: TestRedis[] = [];
  const stopOwnRedis = async (): Promise<void> => { await Promise.allSettled(ownRedis.map((server) => server.stop())); };
  let redisUrl = options.redisUrl ?? process.env.REDIS_URL;
  // The shadow stores get a server of their own: figway turns on keyspace notifications there (to discover the
  // shadows' writes), never on the production server. With REDIS_URL they are databases 1–4 of that server.
  let shadowServer = redisUrl;
  if (redisUrl === undefined) {
    try {
      for (let i = 0; i < 2; i++) ownRedis.push(await startRedisServer());
      redisUrl = ownRedis[0]!.url;
      shadowServer = ownRedis[1]!.url;
    } catch (error) {
      await stopOwnRedis();
      throw new Error(`the demo needs Redis: set REDIS_URL=redis://host:port, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis). (${(error as Error).message})`);
    }
  }
  const productionUrl = withDatabase(redisUrl, 0);
  const shadowUrls = shadowStoreUrls(shadowServer!);
  const directory = resolve(options.directory ?? '.figway-demo');
  const logDirectory = join(directory, 'logs');
  await mkdir(logDirectory, { recursive: true });
  let stack: PestoStack;
  try {
    stack = await startPestoStack({
      redisUrl: productionUrl, shadowRedisUrls: shadowUrls, regressions: options.regressions ?? [], logLevel: options.logLevel ?? 'warn', logDirectory,
    });
  } catch (error) {
    await stopOwnRedis();
    throw error;
  }
  const shadow = stack.urls.shadow!;

  const authPort = options.gatewayPort ?? 8080;
  const registrationPort = options.registrationPort ?? (authPort === 0 ? 0 : authPort + 1);
  const config = {
    $schema: '../schema/figway.schema.json',
    listeners: {
      // Each Pesto service keeps an address of its own, as behind its load balancer: clients need no change.
      gateway: { enabled: false },
      entrypoints: {
        [PESTO_ENTRYPOINTS.auth]: { host: '127.0.0.1', port: authPort },
        [PESTO_ENTRYPOINTS.registration]: { host: '127.0.0.1', port: registrationPort },
      },
      admin: { host: '127.0.0.1', port: options.adminPort ?? 9090 },
    },
    // The traffic generator plays the front proxy: it presents many clients through X-Forwarded-For from 127.0.0.1.
    trustedProxies: ['127.0.0.1'],
    log: { level: options.logLevel ?? 'warn', access: false },
    ...(options.evidenceIntervalMs === undefined && options.ramp !== true ? {} : { evidence: { intervalMs: options.evidenceIntervalMs ?? DEMO_RAMP_INTERVAL_MS } }),
    upstreams: pestoUpstreams({
      legacyAuth: stack.urls.legacyAuth, newAuth: stack.urls.newAuth,
      legacyRegistration: stack.urls.legacyRegistration, newRegistration: stack.urls.newRegistration,
      redisUrl: productionUrl,
      shadow: {
        legacyAuth: shadow.legacyAuth, newAuth: shadow.newAuth,
        legacyRegistration: shadow.legacyRegistration, newRegistration: shadow.newRegistration,
        redis: shadowUrls,
      },
    }),
    routes: pestoRoutes(DEMO_ROUTE_OPTIONS).map((route) => (options.ramp === true ? { ...route, ramp: DEMO_RAMP } : route)),
  };
  await writeFile(join(directory, 'figway.yaml'), `# Written by npm run demo; regenerated at each start.\n${stringify(config)}`);
  // A fresh start on purpose: figway must not serve the last run's weights from the copy it keeps beside the file.
  await rm(lastGoodPath(join(directory, 'weights.yaml')), { force: true });
  await writeFile(join(directory, 'weights.yaml'), [
    '# Share of each route sent to the new (rewritten) side, in percent. Edit and save: figway reloads it.',
    '$schema: ../schema/weights.schema.json',
    'routes:',
    `  auth: ${options.ramp === true ? 0 : 50}`,
    `  registration: ${options.ramp === true ? 0 : 50}`,
    '',
  ].join('\n'));

  const adminToken = options.adminToken ?? process.env.FIGWAY_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  let figway: RunningFigway;
  const figwayLog = destination({ dest: join(logDirectory, 'figway.log'), mkdir: true, sync: false });
  const closeFigwayLog = (): Promise<unknown> => new Promise((resolveClose) => { figwayLog.once('close', resolveClose); figwayLog.end(); });
  try {
    figway = await startFigway({
      configPath: join(directory, 'figway.yaml'),
      env: { ...process.env, FIGWAY_ADMIN_TOKEN: adminToken },
      logger: createLogger(options.logLevel ?? 'warn', figwayLog),
      extensions: defaultExtensions,
      ...(options.adminPort === undefined ? {} : { adminPort: options.adminPort }),
    });
  } catch (error) {
    await stack.stop();
    await stopOwnRedis();
    await closeFigwayLog();
    throw error;
  }
  return {
    figway, stack, adminToken, directory, logDirectory,
    urls: { auth: figway.entrypointUrls[PESTO_ENTRYPOINTS.auth]!, registration: figway.entrypointUrls[PESTO_ENTRYPOINTS.registration]! },
    async stop() {
      await figway.stop();
      await stack.stop();
      await stopOwnRedis();
      await closeFigwayLog();
    },
  };
}

/** forwardAuthCheck sends one forward-auth request (as Traefik would) through figway and returns the status and message. */
export async function forwardAuthCheck(gatewayUrl: string, token: string): Promise<{ status: number; body: string }> {
  const response = await request(`${gatewayUrl}/`, { headers: { 'x-pesto-token': token, accept: 'application/json' } });
  return { status: response.statusCode, body: await response.body.text() };
}

/** dashboardUrl is where a new user starts: the dashboard on the admin listener (sign-in asks for the token). */
export function dashboardUrl(demo: Demo): string {
  return `${demo.figway.adminUrl!}/dashboard/`;
}

function banner(demo: Demo, regressions: string[]): string {
  const { auth, registration } = demo.urls;
  const admin = demo.figway.adminUrl!;
  return `
  dashboard   ${dashboardUrl(demo)}   (sign in with the token: ${demo.adminToken})

figway demo is running${regressions.length > 0 ? ` with rewrite regressions: ${regressions.join(', ')}` : ''}

  auth          ${auth}   (forward-auth; legacy ${demo.stack.urls.legacyAuth}, rewrite ${demo.stack.urls.newAuth})
  registration  ${registration}   (legacy ${demo.stack.urls.legacyRegistration}, rewrite ${demo.stack.urls.newRegistration})
  admin API     ${admin}   (token: ${demo.adminToken})
  mail sink     ${demo.stack.urls.mailSink}/messages
  files         ${demo.directory}/figway.yaml, ${demo.directory}/weights.yaml (edit weights.yaml: figway reloads it)
  logs          ${demo.logDirectory}/ (figway and every service; this terminal shows a summary)

Try:
  curl -i -X POST ${registration}/api/register -H 'content-type: application/json' \\
       -d '{"name":"Ada","email":"ada@example.com","building":"HQ","calls":5}'
  curl -i -X PUT ${registration}/api/approve -H 'content-type: application/json' \\
       -d '{"email":"ada@example.com","token":"demo-token-ada","limit":100}'
  curl -i ${auth}/ -H 'X-Pesto-Token: demo-token-ada'
  curl -i ${auth}/ -H 'X-Pesto-Token: demo-token-ada' -H 'X-Figway-Side: new'
  npm run traffic -- --auth-url ${auth} --registration-url ${registration} --requests 2000 --seconds 60
  curl -s -H 'Authorization: Bearer ${demo.adminToken}' ${admin}/api/diffs
  curl -s -H 'Authorization: Bearer ${demo.adminToken}' ${admin}/metrics | grep ^figway_

Ctrl-C stops everything.
`;
}

const DEMO_COMMAND: CommandLine = {
  name: 'demo',
  help: 'npm run demo -- --help',
  usage: `Usage: npm run demo -- [--regressions a,b] [--port N] [--registration-port N] [--admin-port N] [--smoke] [--ramp] [--quiet]

Start Redis (unless REDIS_URL is set), the four Pesto services with shadow twins, a mail sink and figway in front
of them, print the URLs and a few curl lines, and run until Ctrl-C.

Options:
  --regressions a,b   turn historical rewrite bugs back on: token-casing, approve-drops-token, email-wrong-field,
                      revoke-empty-key
  --port N            auth's address through figway (default 8080; 0 picks a free one)
  --registration-port N
                      registration's address through figway (default: the port after --port)
  --admin-port N      admin port (default 9090; 0 picks a free one)
  --quiet             no live summary in the terminal (logs still go to .figway-demo/logs/)
  --smoke             start, send one forward-auth check through figway, stop (exit 0 when it answered 401)
  --ramp              ramp both routes live with fast steps (0 → 50 → 100 %, 3 s each), paced traffic flowing, and
                      print each transition; with --regressions token-casing both halt in the 0 % shadow bake
`,
};

async function main(): Promise<void> {
  const parsed = parseCommandLine(DEMO_COMMAND, {
    options: {
      regressions: { type: 'string', default: '' },
      port: { type: 'string' },
      'registration-port': { type: 'string' },
      'admin-port': { type: 'string' },
      smoke: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      ramp: { type: 'boolean', default: false },
    },
  });
  if (typeof parsed === 'number') {
    process.exitCode = parsed;
    return;
  }
  const { values } = parsed;
  const regressions = values.regressions.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const [flag, value] of [['--port', values.port], ['--registration-port', values['registration-port']], ['--admin-port', values['admin-port']]] as const) {
    if (value !== undefined && !(Number.isInteger(Number(value)) && Number(value) >= 0 && Number(value) <= 65535)) {
      process.exitCode = usageError(DEMO_COMMAND, `${flag} must be a port number (0–65535), not "${value}"`);
      return;
    }
  }
  let demo: Demo;
  try {
    demo = await startDemo({
      regressions,
      ramp: values.ramp,
      ...(values.port === undefined ? {} : { gatewayPort: Number(values.port) }),
      ...(values['registration-port'] === undefined ? {} : { registrationPort: Number(values['registration-port']) }),
      ...(values['admin-port'] === undefined ? {} : { adminPort: Number(values['admin-port']) }),
    });
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (values.smoke) {
    const check = await forwardAuthCheck(demo.urls.auth, 'demo-unknown-token');
    process.stdout.write(`forward-auth through figway: ${check.status} ${check.body}\n`);
    await demo.stop();
    process.exitCode = check.status === 401 ? 0 : 1;
    return;
  }
  process.stdout.write(banner(demo, regressions));
  if (values.ramp) {
    await runRampDemo(demo, process.stdout);
    process.stdout.write('\nThe ramps have ended; figway keeps serving. Ctrl-C stops everything.\n');
  }
  const summary = values.quiet ? undefined : startLiveSummary(demo.figway.metrics.registry, process.stdout);
  await new Promise<void>((resolveStop) => {
    const stop = (): void => { summary?.stop(); void demo.stop().then(resolveStop); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
