/** Facts about the machine and tools, recorded with every result. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** cpuModel reads the CPU model name from /proc/cpuinfo. */
export function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // fall through
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** autocannonVersion names the installed autocannon. */
export function autocannonVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version?: string };
    return `autocannon ${pkg.version ?? '?'}`;
  } catch {
    return 'autocannon';
  }
}

