/**
 * `figway report`: reads a running figway's admin API and prints a review-ready report. Exit codes: 0 written,
 * 1 figway unreachable or refusing, 2 bad flags.
 */
import { writeFile } from 'node:fs/promises';
import { parseCommandLine, usageError, type CommandLine } from '../../proxy/command-line.js';
import { collectReport, ReportError } from './collect.js';
import { renderReport, type ReportFormat } from './render.js';

/** REPORT_USAGE is `figway report --help`. */
export const REPORT_USAGE = `figway report — the migration evidence of a running figway, ready to paste into a review

Usage:
  figway report [--format md|json|html] [--route R] [--since 1h] [--url URL] [--token T] [-o FILE]

Options:
  --format F   md (default), json, or html (one self-contained file)
  --route R    only this route (default: every route)
  --since D    window for history, requests and patterns: 30m, 1h, 2d (default 1h)
  --url URL    admin API (default $FIGWAY_ADMIN_URL, else http://127.0.0.1:9090)
  --token T    admin token (default $FIGWAY_ADMIN_TOKEN; prefer the variable: flags show in process lists)
  -o FILE      write to FILE instead of standard output
  --help, --version
`;

/** parseDuration reads 30s, 15m, 1h, 2d as milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** ReportIo is where the command writes (tests capture it). */
export interface ReportIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

const COMMAND: CommandLine = { name: 'figway report', usage: REPORT_USAGE };

/** runReportCommand runs `figway report` with its arguments and returns the exit code. */
export async function runReportCommand(args: string[], io: ReportIo): Promise<number> {
  const output = { out: { write: io.stdout }, err: { write: io.stderr } };
  const parsed = parseCommandLine(COMMAND, {
    args, strict: true, allowPositionals: false,
    options: {
      format: { type: 'string' }, route: { type: 'string' }, since: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' },
      output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
    },
  }, output);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const format = (values.format ?? 'md') as ReportFormat;
  if (!['md', 'json', 'html'].includes(format)) return usageError(COMMAND, `--format must be md, json or html, not "${values.format}"`, output);
  const window = parseDuration(values.since ?? '1h');
  if (window === undefined) return usageError(COMMAND, `--since must be a duration like 30m, 1h or 2d, not "${values.since}"`, output);
  const token = values.token ?? io.env.FIGWAY_ADMIN_TOKEN;
  if (token === undefined || token === '') return usageError(COMMAND, 'no admin token: set FIGWAY_ADMIN_TOKEN or pass --token', output);
  const url = values.url ?? io.env.FIGWAY_ADMIN_URL ?? 'http://127.0.0.1:9090';
  const now = io.now?.() ?? Date.now();
  try {
    const data = await collectReport({ url, token, since: now - window, now, ...(values.route === undefined ? {} : { route: values.route }) });
    const text = renderReport(data, format);
    if (values.output !== undefined) await writeFile(values.output, text);
    else io.stdout(text);
    return 0;
  } catch (error) {
    io.stderr(`figway report: ${error instanceof ReportError ? error.message : (error as Error).message}\n`);
    return 1;
  }
}
