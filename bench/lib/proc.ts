/**
 * Process accounting from /proc: CPU seconds (utime+stime, also of reaped children) and resident memory,
 * summed over a process and all its descendants (nginx master+worker, a proxy that forks).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

/** clockTicks is the kernel's USER_HZ (`getconf CLK_TCK`), usually 100. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatLine { ppid: number; ticks: number }

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) is parenthesised and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17.
  const field = (n: number): number => Number(rest[n - 3] ?? 0);
  return { ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/** descendants lists `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined) parentOf.set(Number(entry), stat.ppid);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** cpuSeconds is the CPU time (user+system, own and reaped children) of `pid` and its descendants. */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) ticks += readStat(member)?.ticks ?? 0;
  return ticks / clockTicks();
}

/** Resident memory in bytes: current and high-water mark. */
export interface Rss { rssBytes: number; hwmBytes: number }

function readStatusKb(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** rss sums VmRSS and VmHWM over `pid` and its descendants (or over the given `members`). */
export function rss(pid: number, members: number[] = processTree(pid)): Rss {
  let rssKb = 0;
  let hwmKb = 0;
  for (const member of members) {
    rssKb += readStatusKb(member, 'VmRSS');
    hwmKb += readStatusKb(member, 'VmHWM');
  }
  return { rssBytes: rssKb * 1024, hwmBytes: hwmKb * 1024 };
}

/** RssSampler polls a process's RSS while load runs and keeps the highest value seen. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly members: number[];

  /** Starts sampling `pid` (and the descendants it has now) every `intervalMs`. */
  constructor(private readonly pid: number, intervalMs = 250) {
    this.members = processTree(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rss(this.pid, this.members).rssBytes);
  }

  /** stop ends sampling and returns the peak RSS in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}
