/**
 * Child processes of the bench: spawned on 127.0.0.1, registered so that every one is stopped on exit,
 * error or SIGINT, with their stderr tail kept for error messages.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { createConnection } from 'node:net';

/** A running child with the last lines it wrote to stderr. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** stderrTail returns the last ~4 KB the child wrote to stderr (and stdout when piped). */
  stderrTail(): string;
  /** stop sends SIGTERM, then SIGKILL after `graceMs`, and waits for the exit. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();
const cleanups: Array<() => Promise<void> | void> = [];

/** SpawnOptions of a bench child. */
export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout goes: 'ignore' (default), 'pipe' (kept in the tail) or an open file descriptor. */
  stdout?: 'ignore' | 'pipe' | number;
  /** Flags for node itself (startNode), e.g. --cpu-prof. */
  nodeFlags?: string[];
}

/** startChild spawns `command` and registers it for cleanup. */
export function startChild(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
  const stdio: StdioOptions = ['ignore', options.stdout ?? 'ignore', 'pipe'];
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  };
  child.stderr?.on('data', keep);
  child.stdout?.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
  if (child.pid === undefined) {
    throw new Error(`${name}: cannot spawn ${command}`);
  }
  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    stderrTail: () => tail.trim(),
    async stop(graceMs = 2000) {
      running.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  child.once('exit', () => running.delete(handle));
  return handle;
}

/** startNode runs a compiled JavaScript entry point with this Node binary. */
export function startNode(name: string, script: string, args: string[], options: ChildOptions = {}): Child {
  return startChild(name, process.execPath, [...(options.nodeFlags ?? []), script, ...args], options);
}

/** onCleanup registers work (stopping redis, removing temp dirs) done when the bench ends. */
export function onCleanup(work: () => Promise<void> | void): void {
  cleanups.push(work);
}

/** stopAll stops every running child and runs the cleanups, newest first. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((child) => child.stop(1500)));
  while (cleanups.length > 0) {
    const work = cleanups.pop();
    try {
      await work?.();
    } catch {
      // best effort: the bench is ending
    }
  }
}

/** killAllNow sends SIGKILL to every child synchronously (for process 'exit'). */
export function killAllNow(): void {
  for (const child of running) {
    try {
      child.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function httpStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.on('connect', () => { socket.end(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

function exitedMessage(child: Child): string | undefined {
  const proc = child.process;
  if (proc.exitCode === null && proc.signalCode === null) return undefined;
  return `${child.name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready: ${child.stderrTail() || 'no output'}`;
}

/** waitForHttp polls `url` until it answers 2xx, the child exits, or `timeoutMs` passes. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: number | undefined;
  while (Date.now() < deadline) {
    const exited = exitedMessage(child);
    if (exited !== undefined) throw new Error(exited);
    last = await httpStatus(url, 1000);
    if (last !== undefined && last >= 200 && last < 300) return;
    await sleep(50);
  }
  throw new Error(`${child.name} did not answer 2xx on ${url} within ${timeoutMs} ms (last status ${last ?? 'none'}): ${child.stderrTail() || 'no output'}`);
}

/** waitForPort waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(child: Child, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exited = exitedMessage(child);
    if (exited !== undefined) throw new Error(exited);
    if (await tcpOpen(port)) return;
    await sleep(50);
  }
  throw new Error(`${child.name} did not listen on port ${port} within ${timeoutMs} ms: ${child.stderrTail() || 'no output'}`);
}

/** sleep waits `ms` milliseconds. */
export { sleep };

