/**
 * Helpers for fault and load tests (npm run test:hardening): figway and upstreams as real child processes — killed,
 * signalled and measured apart from the test — and a load driver that counts every answer and every error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { TEST_ADMIN_TOKEN } from './figway.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');

/** rssMb reads a process's resident set size from /proc, in MB (Linux). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** waitForLine resolves with the first line of `child`'s stdout matching `pattern`, or rejects when it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        const match = pattern.exec(line);
        if (match !== null) {
          child.stdout?.off('data', onData);
          resolve(match);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 4096) stderr += chunk.toString(); });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready: ${stderr.trim()}`)));
  });
}

/** UpstreamProcess is testing/upstream-process.ts running as a child. */
export interface UpstreamProcess {
  child: ChildProcess;
  port: number;
  url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** startUpstreamProcess starts an upstream child (`mode`: ok | error500 | stall) on `port` (0 = free). */
export async function startUpstreamProcess(name: string, options: { mode?: string; port?: number; delayMs?: number } = {}): Promise<UpstreamProcess> {
  const child = spawn(process.execPath, [join(DIST, 'testing', 'upstream-process.js')], {
    env: { ...process.env, NAME: name, MODE: options.mode ?? 'ok', PORT: String(options.port ?? 0), DELAY_MS: String(options.delayMs ?? 0) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = Number((await waitForLine(child, /^listening (\d+)$/, `upstream ${name}`))[1]);
  child.stdout?.resume();
  return {
    child, port, url: `http://127.0.0.1:${port}`,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

/** FigwayProcess is `figway start` as a child process. */
export interface FigwayProcess {
  child: ChildProcess;
  dir: string;
  /** Data-plane URLs by entrypoint name, from figway's own start line. */
  urls: Record<string, string>;
  adminUrl: string;
  /** Everything figway printed (its JSON logs included). */
  output(): string;
  metrics(): Promise<string>;
  rssMb(): Promise<number>;
  /** signal sends a signal and resolves with the exit code once figway has exited. */
  signal(signal: NodeJS.Signals): Promise<number | null>;
  close(): Promise<void>;
}

/** startFigwayProcess writes `config` and `weights` to a temp dir and runs `figway start` on them. */
export async function startFigwayProcess(config: Record<string, unknown>, weights: Record<string, number>, env: NodeJS.ProcessEnv = {}): Promise<FigwayProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'figway-process-'));
  const full = { listeners: { gateway: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } }, log: { level: 'warn', access: false }, ...config };
  await writeFile(join(dir, 'figway.yaml'), stringify(full));
  await writeFile(join(dir, 'weights.yaml'), stringify({ routes: weights }));
  const child = spawn(process.execPath, [join(DIST, 'proxy', 'cli.js'), 'start', '-c', join(dir, 'figway.yaml')], {
    env: { ...process.env, FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { if (output.length < 1_000_000) output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { if (output.length < 1_000_000) output += chunk.toString(); });
  let line: RegExpExecArray;
  try {
    line = await waitForLine(child, /^figway listening: (.*), admin (\S+)$/, 'figway');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const urls = Object.fromEntries(line[1]!.split(', ').map((entry) => entry.split(' ') as [string, string]));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child, dir, urls, adminUrl: line[2]!,
    output: () => output,
    async metrics() {
      const response = await fetch(`${line[2]}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      return response.text();
    },
    rssMb: () => rssMb(child.pid!),
    async signal(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** metricValue sums the samples of a Prometheus metric whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) total += Number(line.split(' ').pop());
  }
  return total;
}

/** LoadResult counts what a load run got back: statuses, and errors by code. */
export interface LoadResult {
  requests: number;
  byStatus: Map<number, number>;
  errors: Map<string, number>;
}

/** LoadOptions aim a load run: `connections` keep-alive connections, each sending requests back to back. */
export interface LoadOptions {
  url: string;
  connections: number;
  /** Stop sending new requests after this long (requests in flight finish). */
  durationMs: number;
  /** The request a connection's n-th request sends. */
  request: (connection: number, n: number) => { method?: string; path: string; headers?: Record<string, string>; body?: string };
  /** Per-request deadline: a request that takes longer counts as a 'timeout' error (nothing may hang). Default 10 s. */
  timeoutMs?: number;
  /** Called with each status; return false to stop that connection's loop (e.g. after figway asked to close). */
  onAnswer?: (status: number, headers: Record<string, string | string[] | undefined>) => boolean | void;
}

/** driveLoad runs the load and resolves when every connection's loop has ended. */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1 });
  const result: LoadResult = { requests: 0, byStatus: new Map(), errors: new Map() };
  const deadline = Date.now() + options.durationMs;
  const count = <K>(map: Map<K, number>, key: K): void => { map.set(key, (map.get(key) ?? 0) + 1); };
  const loop = async (connection: number): Promise<void> => {
    for (let n = 0; Date.now() < deadline; n++) {
      const spec = options.request(connection, n);
      result.requests++;
      try {
        const response = await pool.request({
          method: (spec.method ?? 'GET') as 'GET', path: spec.path, headers: spec.headers ?? {}, ...(spec.body === undefined ? {} : { body: spec.body }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await response.body.dump();
        count(result.byStatus, response.statusCode);
        if (options.onAnswer?.(response.statusCode, response.headers) === false) return;
      } catch (error) {
        const code = (error as { code?: string; name?: string }).code ?? (error as Error).name;
        count(result.errors, code === 'ABORT_ERR' || (error as Error).name === 'TimeoutError' ? 'timeout' : code);
        if (options.onAnswer?.(0, {}) === false) return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, (_, i) => loop(i)));
  } finally {
    await pool.close();
  }
  return result;
}
