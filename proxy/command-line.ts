/**
 * Command-line parsing shared by figway's verbs and the repository's scripts, so every one of them behaves the same
 * on first contact: `--help`/`-h` prints its usage (exit 0), `--version` prints the package version (exit 0), and a
 * bad flag or value prints one line naming the problem and where to look (exit 2) — never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** EXIT_USAGE is the exit code of a command line that cannot be run as given (bad flag, missing argument). */
export const EXIT_USAGE = 2;

let cachedVersion: string | undefined;

/** figwayVersion reads the version from package.json (two levels above the compiled file, in dist/ and in the image). */
export function figwayVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    cachedVersion = manifest.version ?? 'unknown';
  } catch {
    cachedVersion = 'unknown';
  }
  return cachedVersion;
}

/** ParsedCommandLine is what node:util parseArgs returns for a given configuration. */
export type ParsedCommandLine<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** CommandLine names a command (as the user typed it, e.g. "figway start") and its usage text. */
export interface CommandLine {
  name: string;
  usage: string;
  /** How the user asks for the usage, when not `<name> --help` (e.g. `npm run demo -- --help`). */
  help?: string;
}

/** Output streams, injectable for tests. */
export interface CommandOutput {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

const STANDARD_OUTPUT: CommandOutput = { out: process.stdout, err: process.stderr };

function wantsFlag(args: readonly string[], flags: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (flags.includes(arg)) return true;
  }
  return false;
}

/** usageError writes one line naming a usage problem and where to read more; it returns EXIT_USAGE. */
export function usageError(command: CommandLine, message: string, output: CommandOutput = STANDARD_OUTPUT): number {
  output.err.write(`${command.name}: ${message} (see ${command.help ?? `${command.name} --help`})\n`);
  return EXIT_USAGE;
}

/**
 * parseCommandLine parses `config.args` with node:util parseArgs. It returns the parsed values, or an exit code when
 * the command must stop here: 0 after printing the usage or the version, EXIT_USAGE after a one-line error.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  command: CommandLine, config: T, output: CommandOutput = STANDARD_OUTPUT,
): ParsedCommandLine<T> | number {
  const args = config.args ?? process.argv.slice(2);
  if (wantsFlag(args, ['--help', '-h'])) {
    output.out.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  if (wantsFlag(args, ['--version'])) {
    output.out.write(`figway ${figwayVersion()}\n`);
    return 0;
  }
  try {
    return parseArgs<T>({ ...config, args });
  } catch (error) {
    // parseArgs messages are one or two sentences; the first names the problem (the second explains `--`).
    const message = (error as Error).message.split('. ')[0] ?? String(error);
    return usageError(command, message.replace(/\.$/, ''), output);
  }
}
