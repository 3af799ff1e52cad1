/** Command-line flags of `npm run bench -- …`: they override the BENCH_* environment variables read by settings.ts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Scenario } from './load.js';
import { repoRoot } from './paths.js';
import { TARGET_ORDER, type TargetName } from './results.js';

/** BENCH_USAGE is what `--help` prints. */
export const BENCH_USAGE = `figway bench — what figway costs per request, next to a thin undici forwarder, http-proxy and nginx

Usage: npm run bench -- [options]          (or: node dist/bench/run.js [options])

Options:
  --quick                 ~2 minute smoke run (same as BENCH_QUICK=1)
  --rounds <n>            interleaved rounds (BENCH_ROUNDS)
  --seconds <s>           measured seconds per run (BENCH_SECONDS)
  --connections <n>       autocannon connections (BENCH_CONNECTIONS)
  --targets <a,b,…>       only these load targets (direct is always kept as the reference), e.g.
                          --targets thin-undici,figway,figway-b
                          known: ${TARGET_ORDER.join(', ')}
  --scenarios <GET,POST>  only these scenarios
  --workers <n>           gateway processes of the figway-workers target (default 2)
  --figway-b <dir>        A/B: also run the figway build in <dir> (a checkout with dist/ built) as figway-b
                          (and figway-mirror-b when figway-mirror runs), in the same interleaved rounds
  --figway-b-flags <f>    node flags for the B build, e.g. --figway-b-flags=--max-semi-space-size=4; without --figway-b the B
                          build is this checkout, so this A/Bs a Node/V8 setting
  --profile               after the rounds, run every figway target once per scenario under --cpu-prof and write
                          bench/results/profiles/<date>/<target>-<scenario>.cpuprofile plus a self-time summary
  --load-only             skip what follows the load runs (memory configurations, dependency costs, stalled
                          shadow, Pesto services, comparison engine)
  --help, --version
`;

/** BenchArgs are the parsed flags; undefined means "use the environment or the default". */
export interface BenchArgs {
  quick?: boolean;
  rounds?: number;
  seconds?: number;
  connections?: number;
  targets?: ReadonlySet<TargetName>;
  scenarios?: Scenario[];
  workers?: number;
  figwayB?: string;
  /** Node flags of the B build (split on spaces). */
  figwayBFlags?: string[];
  profile: boolean;
  loadOnly: boolean;
}

/** The outcome of parsing: run with args, or print and exit. */
export type ParsedBenchArgs = { kind: 'run'; args: BenchArgs } | { kind: 'exit'; code: number; stdout?: string; stderr?: string };

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positive(name: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number above 0, not "${raw}"`);
  }
  return value;
}

/** parseBenchArgs reads argv (without node and the script); a bad flag is one line on stderr and exit code 2. */
export function parseBenchArgs(argv: string[]): ParsedBenchArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        quick: { type: 'boolean' },
        rounds: { type: 'string' },
        seconds: { type: 'string' },
        connections: { type: 'string' },
        targets: { type: 'string' },
        scenarios: { type: 'string' },
        workers: { type: 'string' },
        'figway-b': { type: 'string' },
        'figway-b-flags': { type: 'string' },
        profile: { type: 'boolean' },
        'load-only': { type: 'boolean' },
      },
    });
    if (values.help === true) return { kind: 'exit', code: 0, stdout: BENCH_USAGE };
    if (values.version === true) return { kind: 'exit', code: 0, stdout: `figway ${version()}\n` };
    let targets: Set<TargetName> | undefined;
    if (values.targets !== undefined) {
      targets = new Set(['direct']);
      for (const name of values.targets.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
        if (!(TARGET_ORDER as readonly string[]).includes(name)) throw new Error(`--targets: unknown target "${name}" (known: ${TARGET_ORDER.join(', ')})`);
        targets.add(name as TargetName);
      }
    }
    let scenarios: Scenario[] | undefined;
    if (values.scenarios !== undefined) {
      scenarios = [];
      for (const name of values.scenarios.split(',').map((part) => part.trim().toUpperCase()).filter((part) => part !== '')) {
        if (name !== 'GET' && name !== 'POST') throw new Error(`--scenarios: unknown scenario "${name}" (known: GET, POST)`);
        if (!scenarios.includes(name)) scenarios.push(name);
      }
      if (scenarios.length === 0) throw new Error('--scenarios: name GET, POST or both');
    }
    const args: BenchArgs = {
      profile: values.profile === true,
      loadOnly: values['load-only'] === true,
    };
    if (values.quick === true) args.quick = true;
    const rounds = positive('rounds', values.rounds, true);
    if (rounds !== undefined) args.rounds = rounds;
    const seconds = positive('seconds', values.seconds, false);
    if (seconds !== undefined) args.seconds = seconds;
    const connections = positive('connections', values.connections, true);
    if (connections !== undefined) args.connections = connections;
    const workers = positive('workers', values.workers, true);
    if (workers !== undefined) args.workers = workers;
    if (targets !== undefined) args.targets = targets;
    if (scenarios !== undefined) args.scenarios = scenarios;
    if (values['figway-b'] !== undefined) args.figwayB = values['figway-b'];
    if (values['figway-b-flags'] !== undefined) {
      args.figwayBFlags = values['figway-b-flags'].split(' ').filter((flag) => flag !== '');
      args.figwayB ??= repoRoot;
    }
    return { kind: 'run', args };
  } catch (error) {
    return { kind: 'exit', code: 2, stderr: `figway bench: ${(error as Error).message.split('\n')[0]}\n` };
  }
}
