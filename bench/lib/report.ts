/** The issue's targets checked against a run, and the markdown report printed and written to latest.md. */
import type { BenchResults, Check, TargetName, TargetSummary } from './results.js';
import { TARGET_ORDER } from './results.js';

const MB = 1024 * 1024;

/** Limits from the issue. */
export const LIMITS = {
  cpuVsThin: 1.0,
  p99VsThin: 1.5,
  mirrorVsFigway: 0.6,
  idleRssMb: 50,
  peakRssMb: 100,
  stalledGrowthMb: 10,
  comparisons1kbPerSec: 20_000,
} as const;

const fixed = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const mb = (bytes: number | undefined): string => (bytes === undefined ? '–' : (bytes / MB).toFixed(1));
const int = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');

function check(name: string, value: number | undefined, limit: number, better: 'lower' | 'higher',
  format: (n: number | undefined) => string, invalid: boolean, unavailable?: string): Check {
  const limitText = `${better === 'lower' ? '≤' : '≥'} ${format(limit)}`;
  if (unavailable !== undefined) return { name, value: '–', limit: limitText, status: 'N/A', note: unavailable };
  if (value === undefined || !Number.isFinite(value)) return { name, value: '–', limit: limitText, status: 'N/A', note: 'not measured' };
  if (invalid) return { name, value: format(value), limit: limitText, status: 'INVALID', note: 'more than 1% errors or non-2xx answers' };
  const pass = better === 'lower' ? value <= limit : value >= limit;
  return { name, value: format(value), limit: limitText, status: pass ? 'PASS' : 'MISS' };
}

/** checkTargets evaluates every target of the issue; N/A when the figure could not be measured. */
export function checkTargets(results: Omit<BenchResults, 'checks'>): Check[] {
  const checks: Check[] = [];
  const figwayNote = results.targets.figway?.status === 'skipped' ? results.targets.figway.note : undefined;
  const ratioText = (n: number | undefined): string => `${fixed(n, 3)}×`;
  for (const scenario of ['GET', 'POST'] as const) {
    const s = results.summary[scenario] ?? {};
    const figway = s.figway;
    const thin = s['thin-undici'];
    const mirror = s['figway-mirror'];
    const badFigway = (figway?.invalid ?? false) || (thin?.invalid ?? false);
    checks.push(check(`${scenario}: figway CPU/request vs thin forwarder`, figway?.cpuVsThin, LIMITS.cpuVsThin, 'lower', ratioText, badFigway, figwayNote));
    checks.push(check(`${scenario}: figway p99 vs thin forwarder`, figway?.p99VsThin, LIMITS.p99VsThin, 'lower', ratioText, badFigway, figwayNote));
    checks.push(check(`${scenario}: figway 100% mirroring req/s vs figway without`, mirror?.rpsVsFigway, LIMITS.mirrorVsFigway, 'higher', ratioText,
      (mirror?.invalid ?? false) || (figway?.invalid ?? false), results.targets['figway-mirror']?.status === 'skipped' ? results.targets['figway-mirror'].note : figwayNote));
  }
  const mbText = (n: number | undefined): string => `${mb(n === undefined ? undefined : n * MB)} MB`;
  for (const name of ['figway', 'figway-mirror'] as const) {
    const info = results.targets[name];
    const unavailable = info?.status === 'skipped' ? info.note : info === undefined ? 'not run' : undefined;
    checks.push(check(`${name} idle RSS`, info?.idleRssBytes === undefined ? undefined : info.idleRssBytes / MB, LIMITS.idleRssMb, 'lower', mbText, false, unavailable));
    checks.push(check(`${name} peak RSS (VmHWM, whole bench)`, info?.peakRssBytes === undefined ? undefined : info.peakRssBytes / MB, LIMITS.peakRssMb, 'lower', mbText, false, unavailable));
  }
  const stalled = results.stalledShadow;
  const stalledNote = stalled.status === 'skipped' ? stalled.note : undefined;
  checks.push(check('figway RSS growth under a stalled shadow (load phase 2 vs phase 1)', stalled.growthBytes === undefined ? undefined : stalled.growthBytes / MB,
    LIMITS.stalledGrowthMb, 'lower', mbText, false, stalledNote));
  checks.push(check('figway peak RSS under a stalled shadow', stalled.peakRssBytes === undefined ? undefined : stalled.peakRssBytes / MB,
    LIMITS.peakRssMb, 'lower', mbText, false, stalledNote));
  const cmp = results.comparisons;
  checks.push(check('comparison engine, 1 KB JSON', cmp.kb1PerSec, LIMITS.comparisons1kbPerSec, 'higher',
    (n) => `${int(n)}/s`, false, cmp.status === 'ok' ? undefined : cmp.note));
  return checks;
}

function scenarioTable(scenario: 'GET' | 'POST', rows: Partial<Record<TargetName, TargetSummary>>,
  targets: BenchResults['targets']): string[] {
  const lines = [
    `### ${scenario} /json ${scenario === 'GET' ? '(~300 B JSON answer)' : '(1 KB JSON body)'}`,
    '',
    '| target | req/s | ×direct | ×thin | ×http-proxy | p50 ms | p99 ms | p99 ×thin | proxy CPU µs/req | CPU ×thin | upstream CPU µs/req | errors | non-2xx | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const target of TARGET_ORDER) {
    const row = rows[target];
    const info = targets[target];
    if (row === undefined) {
      if (info?.status === 'skipped') lines.push(`| ${target} | skipped: ${info.note ?? ''} |||||||||||||`);
      continue;
    }
    const cpu = target === 'direct' ? `(${fixed(row.cpuUsPerRequest, 1)} upstream)` : fixed(row.cpuUsPerRequest, 1);
    lines.push(`| ${target}${row.invalid ? ' ⚠' : ''} | ${int(row.rps)} | ${fixed(row.rpsVsDirect)} | ${fixed(row.rpsVsThin)} | ${fixed(row.rpsVsHttpProxy)} | ${fixed(row.p50Ms)} | ${fixed(row.p99Ms)} | ${fixed(row.p99VsThin)} | ${cpu} | ${target === 'direct' ? '–' : fixed(row.cpuVsThin)} | ${fixed(row.upstreamCpuUsPerRequest, 1)} | ${row.errors} | ${row.non2xx} | ${mb(row.peakRssBytes)} |`);
  }
  const mirror = rows['figway-mirror'];
  if (mirror !== undefined) lines.push('', `figway-mirror req/s vs figway without mirroring: ${fixed(mirror.rpsVsFigway)}×`);
  return lines;
}

/** markdownReport renders the whole result as markdown (also what the console shows). */
export function markdownReport(results: BenchResults): string {
  const s = results.settings;
  const lines: string[] = [
    `# figway bench — ${results.date}`,
    '',
    `Node ${results.node} · ${results.cpuModel} · ${results.cores} cores · CLK_TCK ${results.clockTicks} · load: ${results.loadGenerator}, ${s.connections} connections, ${s.seconds} s per run after ${s.runWarmupSeconds} s warm-up (${s.warmupSeconds} s per target and scenario before round 1), ${s.rounds} interleaved round(s)${s.quick ? ' (BENCH_QUICK smoke: figures are indicative only)' : ''}${results.truncated ? ' · **truncated by the time limit**' : ''} · ${results.elapsedSeconds.toFixed(0)} s in all`,
    '',
    'Figures are medians over rounds; every ratio is the median of per-round ratios against the baseline measured in the same round. Upstream, proxy and load generator share the machine: compare ratios and CPU per request, not raw req/s.',
    '',
  ];
  for (const scenario of ['GET', 'POST'] as const) {
    lines.push(...scenarioTable(scenario, results.summary[scenario] ?? {}, results.targets), '');
  }
  lines.push('### Memory', '', '| process | idle RSS MB | peak RSS MB | note |', '|---|---:|---:|---|');
  for (const upstream of results.upstreams) {
    lines.push(`| ${upstream.name} (bench upstream) | ${mb(upstream.idleRssBytes)} | ${mb(upstream.peakRssBytes)} | |`);
  }
  for (const target of TARGET_ORDER) {
    const info = results.targets[target];
    if (info === undefined || target === 'direct') continue;
    lines.push(`| ${target} | ${mb(info.idleRssBytes)} | ${mb(info.peakRssBytes)} | ${info.status === 'skipped' ? info.note ?? '' : ''} |`);
  }
  const stalled = results.stalledShadow;
  lines.push(`| figway, mirror to a stalled shadow | ${mb(stalled.idleRssBytes)} | ${mb(stalled.peakRssBytes)} | ${stalled.status === 'skipped' ? stalled.note ?? '' : `after load phase 1 ${mb(stalled.rssBeforeBytes)} MB → after phase 2 ${mb(stalled.rssAfterBytes)} MB (growth ${mb(stalled.growthBytes)} MB); ${(stalled.runs ?? []).map((run) => `${run.phase}/${run.scenario} ${int(run.rps)} req/s p99 ${fixed(run.p99Ms)} ms, ${run.errors + run.non2xx} errors`).join('; ')}`} |`);
  for (const service of results.services) {
    lines.push(`| ${service.name} (${service.entry}) | ${mb(service.idleRssBytes)} | ${mb(service.peakRssBytes)} | ${service.note ?? `after ${int(service.loadRequests)} GET /healthz (${service.loadNon2xx ?? 0} not 2xx)`} |`);
  }
  const cmp = results.comparisons;
  lines.push('', '### Comparison engine', '',
    cmp.status === 'ok'
      ? `1 KB JSON: ${int(cmp.kb1PerSec)} comparisons/s · 64 KB JSON: ${int(cmp.kb64PerSec)} comparisons/s`
      : `${cmp.status}: ${cmp.note ?? ''}`,
    '', '### Targets', '', '| target | value | limit | result |', '|---|---:|---:|---|');
  for (const c of results.checks) lines.push(`| ${c.name} | ${c.value} | ${c.limit} | ${c.status}${c.note ? ` (${c.note})` : ''} |`);
  return `${lines.join('\n')}\n`;
}
