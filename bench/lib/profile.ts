/**
 * Reading V8 CPU profiles (`node --cpu-prof`): self time by function and by area (node internals, undici, figway's
 * proxy/, shadow-report/, other packages, GC, idle), so the report can say where figway's time goes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** ProfileSummary is the share of samples per area and the functions with the most self time. */
export interface ProfileSummary {
  file: string;
  samples: number;
  /** Share (0..1) of all samples, by area. */
  areas: Record<string, number>;
  /** Share of all samples, most first. */
  top: Array<{ fn: string; where: string; share: number }>;
  /** Inclusive share by figway file (samples with that file anywhere on the stack), most first. */
  figwayFiles: Array<{ file: string; share: number }>;
}

/** figwayFileOf names a figway source file of a frame (proxy/…, shadow-report/…), or undefined. */
function figwayFileOf(url: string): string | undefined {
  const at = url.indexOf('/dist/');
  if (at === -1 || url.includes('/node_modules/')) return undefined;
  const file = url.slice(at + '/dist/'.length);
  return file.startsWith('proxy/') || file.startsWith('shadow-report/') ? file : undefined;
}

/** areaOf names the area a call frame belongs to. */
export function areaOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(program)') return 'program';
    return 'native';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node';
  for (const folder of ['proxy', 'shadow-report', 'bench', 'testing', 'scripts']) {
    if (url.includes(`/dist/${folder}/`)) return folder === 'proxy' ? 'figway proxy/' : folder === 'shadow-report' ? 'figway shadow-report/' : folder;
  }
  return 'other';
}

function shortWhere(url: string, line: number): string {
  const cut = Math.max(url.lastIndexOf('/node_modules/'), url.lastIndexOf('/dist/'));
  const tail = cut === -1 ? url : url.slice(cut + 1);
  return `${tail.replace(/^dist\//, '')}:${line + 1}`;
}

/** ProfileWindow keeps only the samples taken from `skipMs` after the profile started, for `durationMs`. */
export interface ProfileWindow { skipMs: number; durationMs: number }

/** summarizeProfile reads one .cpuprofile file, optionally only the window of the load run (not start-up). */
export function summarizeProfile(file: string, window?: ProfileWindow, topN = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  if (profile.samples !== undefined && profile.samples.length > 0) {
    let at = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      at += (profile.timeDeltas?.[i] ?? 0) / 1000;
      if (window !== undefined && (at < window.skipMs || at > window.skipMs + window.durationMs)) continue;
      const id = profile.samples[i]!;
      hits.set(id, (hits.get(id) ?? 0) + 1);
    }
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  let total = 0;
  for (const count of hits.values()) total += count;
  const areas: Record<string, number> = {};
  const byFunction = new Map<string, { fn: string; where: string; count: number }>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(functionName, url);
    areas[area] = (areas[area] ?? 0) + count;
    const where = url === '' ? '' : shortWhere(url, lineNumber);
    const key = `${functionName}|${where}`;
    const entry = byFunction.get(key) ?? { fn: functionName || '(anonymous)', where, count: 0 };
    entry.count += count;
    byFunction.set(key, entry);
  }
  const share = (count: number): number => (total === 0 ? 0 : count / total);
  // Inclusive: every sample counts once for each distinct figway file on its stack.
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const filesOf = new Map<number, Set<string>>();
  const stackFiles = (id: number): Set<string> => {
    let files = filesOf.get(id);
    if (files !== undefined) return files;
    const up = parent.get(id);
    files = new Set(up === undefined ? [] : stackFiles(up));
    const file = figwayFileOf(byId.get(id)?.callFrame.url ?? '');
    if (file !== undefined) files.add(file);
    filesOf.set(id, files);
    return files;
  };
  const inclusive = new Map<string, number>();
  for (const [id, count] of hits) for (const file of stackFiles(id)) inclusive.set(file, (inclusive.get(file) ?? 0) + count);
  return {
    figwayFiles: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN).map(([file, count]) => ({ file, share: share(count) })),
    file,
    samples: total,
    areas: Object.fromEntries(Object.entries(areas).sort((a, b) => b[1] - a[1]).map(([area, count]) => [area, share(count)])),
    top: [...byFunction.values()].sort((a, b) => b.count - a.count).slice(0, topN).map((entry) => ({ fn: entry.fn, where: entry.where, share: share(entry.count) })),
  };
}

/** profilesIn lists the .cpuprofile files of a directory (one per process that exited). */
export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** profileMarkdown renders summaries as markdown lines. */
export function profileMarkdown(label: string, summaries: ProfileSummary[]): string[] {
  const lines: string[] = [];
  for (const summary of summaries) {
    const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;
    lines.push(`#### ${label} — ${summary.file.split('/').slice(-2).join('/')} (${summary.samples} samples)`, '',
      `Self time by area: ${Object.entries(summary.areas).map(([area, value]) => `${area} ${pct(value)}`).join(' · ')}`, '',
      `Inclusive by figway file: ${summary.figwayFiles.map((entry) => `${entry.file} ${pct(entry.share)}`).join(' · ') || '–'}`, '',
      '| self | function | where |', '|---:|---|---|',
      ...summary.top.map((entry) => `| ${pct(entry.share)} | \`${entry.fn}\` | ${entry.where} |`), '');
  }
  return lines;
}
