/** The issue's targets checked against a run, and the markdown report printed and written to latest.md. */
import type { BenchResults, Check, TargetName, TargetSummary } from './results.js';
import { profileMarkdown } from './profile.js';
import { TARGET_ORDER } from './results.js';

const MB = 1024 * 1024;

/** Limits from issue #13. */
export const LIMITS = {
  cpuVsThin: 1.0,
  p99VsThin: 1.5,
  rpsVsHttpProxy: 1.3,
  mirrorVsFigway: { GET: 0.6, POST: 0.5 },
  workersVsFigway: 1.0,
  /** Idle RSS without comparison features (plain), with them (mirroring, mirroring + Redis). */
  idleRssPlainMb: 70,
  idleRssComparisonMb: 100,
  peakRssPlainMb: 100,
  peakRssMirrorMb: 150,
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
    checks.push(check(`${scenario}: figway req/s vs http-proxy`, figway?.rpsVsHttpProxy, LIMITS.rpsVsHttpProxy, 'higher', ratioText,
      (figway?.invalid ?? false) || (s['http-proxy']?.invalid ?? false), figwayNote));
    checks.push(check(`${scenario}: figway 100% mirroring req/s vs figway without`, mirror?.rpsVsFigway, LIMITS.mirrorVsFigway[scenario], 'higher', ratioText,
      (mirror?.invalid ?? false) || (figway?.invalid ?? false), results.targets['figway-mirror']?.status === 'skipped' ? results.targets['figway-mirror'].note : figwayNote));
    const workers = s['figway-workers'];
    if (workers !== undefined || results.targets['figway-workers'] !== undefined) {
      checks.push(check(`${scenario}: figway-workers (${results.settings.workers}) req/s vs one figway process (above)`, workers?.rpsVsFigway, LIMITS.workersVsFigway, 'higher', ratioText,
        (workers?.invalid ?? false) || (figway?.invalid ?? false), results.targets['figway-workers']?.status === 'skipped' ? results.targets['figway-workers'].note : undefined));
    }
  }
  const mbText = (n: number | undefined): string => `${mb(n === undefined ? undefined : n * MB)} MB`;
  const memory = (index: number, fallback: TargetName): { idle?: number; peak?: number; note?: string } => {
    const config = results.memoryConfigs[index];
    if (config !== undefined && config.idleRssBytes !== undefined) return { idle: config.idleRssBytes / MB, ...(config.peakRssBytes === undefined ? {} : { peak: config.peakRssBytes / MB }) };
    const info = results.targets[fallback];
    if (info === undefined) return { note: 'not run' };
    if (info.status === 'skipped') return { note: info.note ?? 'skipped' };
    return { ...(info.idleRssBytes === undefined ? {} : { idle: info.idleRssBytes / MB }), ...(info.peakRssBytes === undefined ? {} : { peak: info.peakRssBytes / MB }) };
  };
  const plain = memory(0, 'figway');
  const mirroring = memory(1, 'figway-mirror');
  const withRedis = memory(2, 'figway-mirror');
  checks.push(check('figway idle RSS, plain (no comparison features)', plain.idle, LIMITS.idleRssPlainMb, 'lower', mbText, false, plain.note));
  checks.push(check('figway peak RSS, plain', plain.peak, LIMITS.peakRssPlainMb, 'lower', mbText, false, plain.note));
  checks.push(check('figway idle RSS, mirroring', mirroring.idle, LIMITS.idleRssComparisonMb, 'lower', mbText, false, mirroring.note));
  checks.push(check('figway peak RSS, mirroring', mirroring.peak, LIMITS.peakRssMirrorMb, 'lower', mbText, false, mirroring.note));
  if (results.memoryConfigs[2] !== undefined) {
    checks.push(check('figway idle RSS, mirroring + Redis', withRedis.idle, LIMITS.idleRssComparisonMb, 'lower', mbText, false, results.memoryConfigs[2].note));
    checks.push(check('figway peak RSS, mirroring + Redis', withRedis.peak, LIMITS.peakRssMirrorMb, 'lower', mbText, false, results.memoryConfigs[2].note));
  }
  const stalled = results.stalledShadow;
  const stalledNote = stalled.status === 'skipped' ? stalled.note : undefined;
  checks.push(check('figway RSS growth under a stalled shadow (load phase 2 vs phase 1)', stalled.growthBytes === undefined ? undefined : stalled.growthBytes / MB,
    LIMITS.stalledGrowthMb, 'lower', mbText, false, stalledNote));
  checks.push(check('figway peak RSS under a stalled shadow', stalled.peakRssBytes === undefined ? undefined : stalled.peakRssBytes / MB,
    LIMITS.peakRssMirrorMb, 'lower', mbText, false, stalledNote));
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
  if (mirror !== undefined) lines.push('', `figway-mirror req/s vs figway without mirroring: ${fixed(mirror.rpsVsFigway)}× (CPU per request ${fixed(mirror.cpuVsFigway)}×)`);
  const mirrorB = rows['figway-mirror-b'];
  if (mirrorB !== undefined) lines.push('', `figway-mirror-b req/s vs figway-b: ${fixed(mirrorB.rpsVsFigway)}× (CPU per request ${fixed(mirrorB.cpuVsFigway)}×)`);
  const b = rows['figway-b'];
  if (b !== undefined) lines.push('', `A/B: figway-b vs figway (same rounds): req/s ${fixed(b.rpsVsFigway, 3)}×, CPU per request ${fixed(b.cpuVsFigway, 3)}×`);
  const workers = rows['figway-workers'];
  if (workers !== undefined) lines.push('', `figway-workers (${targets['figway-workers']?.description ?? ''}) vs figway: req/s ${fixed(workers.rpsVsFigway)}×, CPU per request ${fixed(workers.cpuVsFigway)}×`);
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
  if (results.memoryConfigs.length > 0) {
    lines.push('', '### figway memory per configuration', '', '| configuration | idle RSS MB | peak RSS MB | note |', '|---|---:|---:|---|');
    for (const config of results.memoryConfigs) {
      lines.push(`| ${config.name} | ${mb(config.idleRssBytes)} | ${mb(config.peakRssBytes)} | ${config.note ?? `after ${int(config.requests)} requests`} |`);
    }
  }
  if (results.dependencies.length > 0) {
    lines.push('', '### What each dependency costs (loaded alone into a bare node, median of 3)', '', '| module | RSS MB | + over bare node MB | JS heap used MB |', '|---|---:|---:|---:|');
    for (const dep of results.dependencies) {
      lines.push(`| ${dep.name} | ${mb(dep.rssBytes)} | ${mb(dep.deltaRssBytes)} | ${mb(dep.heapUsedBytes)} |${dep.note === undefined ? '' : ` ${dep.note}`}`);
    }
  }
  const cmp = results.comparisons;
  lines.push('', '### Comparison engine', '',
    cmp.status === 'ok'
      ? `1 KB JSON: ${int(cmp.kb1PerSec)} comparisons/s · 64 KB JSON: ${int(cmp.kb64PerSec)} comparisons/s`
      : `${cmp.status}: ${cmp.note ?? ''}`,
    '', '### Targets', '', '| target | value | limit | result |', '|---|---:|---:|---|');
  for (const c of results.checks) lines.push(`| ${c.name} | ${c.value} | ${c.limit} | ${c.status}${c.note ? ` (${c.note})` : ''} |`);
  if (results.profiles.length > 0) {
    lines.push('', '### CPU profiles (--profile; taken apart from the measured runs)', '');
    for (const run of results.profiles) {
      if (run.note !== undefined) lines.push(`${run.target} ${run.scenario}: ${run.note}`, '');
      lines.push(...profileMarkdown(`${run.target} ${run.scenario}`, run.summaries));
    }
  }
  return `${lines.join('\n')}\n`;
}
