/**
 * Renders a ReportData as Markdown (to paste into a review), JSON, or one self-contained HTML file (inline stylesheet,
 * no script, no external resource; every captured value escaped).
 */
import { escapeHtml } from '../dashboard/pages.js';
import { percent, type DiffPattern } from '../dashboard/web/model.js';
import type { ReportData, RouteReport } from './collect.js';

/** ReportFormat is an output format of `figway report`. */
export type ReportFormat = 'md' | 'json' | 'html';

const short = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'absent';
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};
const when = (at: number): string => new Date(at).toISOString().slice(0, 19).replace('T', ' ');

interface Line {
  kind: 'h2' | 'p' | 'li' | 'table';
  text?: string;
  head?: string[];
  rows?: string[][];
}

/** sections lays a route out once, for both text formats. */
function sections(route: RouteReport): Line[] {
  const e = route.evidence;
  const lines: Line[] = [{ kind: 'h2', text: `Route ${route.route}` }];
  lines.push({ kind: 'p', text: `Verdict: ${route.verdict.text}` });
  lines.push({ kind: 'p', text: `Weight on new: ${route.weight}%${route.ramp === null ? '' : ` — ramp ${route.ramp.state}, step ${route.ramp.stepIndex + 1} of ${route.ramp.steps.length} (${route.ramp.steps.join(' → ')}%)`}` });
  const history = route.history.map((entry) => `${entry.at} ${entry.who}: ${entry.action}${entry.old === undefined ? '' : ` ${short(entry.old)} →`}${entry.new === undefined ? '' : ` ${short(entry.new)}`}${entry.why === undefined ? '' : ` (${entry.why})`}`);
  if (history.length > 0) for (const item of history) lines.push({ kind: 'li', text: item });
  else if (route.window.weights.length > 1) lines.push({ kind: 'p', text: `Weight over the window: ${route.window.weights.join('% → ')}%` });
  lines.push({
    kind: 'table', head: ['evidence', 'value'], rows: [
      ['compared / sampled', `${e.compared} / ${e.sampled} (coverage ${percent(e.coverage)})`],
      ['dropped', `${e.dropped}${Object.keys(e.droppedByReason).length === 0 ? '' : ` — ${Object.entries(e.droppedByReason).map(([r, n]) => `${r} ${n}`).join(', ')}`}`],
      ['unexpected-difference rate', `${percent(e.unexpectedRate)} (${e.unexpectedComparisons} of ${e.compared})`],
      ['requests in the window', `legacy ${route.window.requests.legacy}, new ${route.window.requests.new}`],
    ],
  });
  const table = (title: string, patterns: DiffPattern[], extra: (p: DiffPattern) => string, extraHead: string): void => {
    lines.push({ kind: 'p', text: `${title} (${patterns.length})${route.patterns.derived ? ' — derived from recent samples' : ''}` });
    if (patterns.length > 0) {
      lines.push({
        kind: 'table', head: ['class', 'path', 'endpoint', 'count', 'share', 'first seen', 'last seen', extraHead],
        rows: patterns.map((p) => [p.class, p.path, p.endpoint, String(p.count), percent(p.share), when(p.firstSeen), when(p.lastSeen), extra(p)]),
      });
    }
  };
  table('Unexpected patterns', route.patterns.unexpected, (p) => {
    const detail = (p as { exampleDetail?: { id: string; legacy?: unknown; candidate?: unknown } }).exampleDetail;
    return detail === undefined ? (p.example ?? '') : `${detail.id}: legacy ${short(detail.legacy)}, new ${short(detail.candidate)}${p.pervasive ? ' (on nearly every comparison)' : ''}`;
  }, 'example');
  table('Accepted patterns', route.patterns.accepted, (p) => p.reason ?? '', 'reason');
  table('Noise patterns', route.patterns.noise, (p) => p.reason ?? '', 'reason');
  return lines;
}

const mdCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function markdown(data: ReportData): string {
  const out = [`# figway report`, '', `Generated ${data.generatedAt} from ${data.figway}; window since ${data.since}.`, ''];
  for (const note of data.notes) out.push(`> ${note}`);
  for (const route of data.routes) {
    out.push('');
    for (const line of sections(route)) {
      if (line.kind === 'h2') out.push(`## ${line.text}`, '');
      else if (line.kind === 'p') out.push(line.text!, '');
      else if (line.kind === 'li') out.push(`- ${line.text}`);
      else out.push(`| ${line.head!.join(' | ')} |`, `|${line.head!.map(() => '---').join('|')}|`, ...line.rows!.map((row) => `| ${row.map(mdCell).join(' | ')} |`), '');
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;color:#111827;max-width:1100px;margin:24px auto;padding:0 16px}
table{border-collapse:collapse;margin:6px 0 14px}th,td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}h2{margin-top:28px;border-bottom:1px solid #e5e7eb}.verdict{font-weight:600}.note{color:#6b7280}`;

function html(data: ReportData): string {
  const out: string[] = [];
  for (const route of data.routes) {
    let list: string[] = [];
    const flush = (): void => { if (list.length > 0) out.push(`<ul>${list.join('')}</ul>`); list = []; };
    for (const line of sections(route)) {
      if (line.kind === 'li') { list.push(`<li>${escapeHtml(line.text!)}</li>`); continue; }
      flush();
      if (line.kind === 'h2') out.push(`<h2>${escapeHtml(line.text!)}</h2>`);
      else if (line.kind === 'p') out.push(`<p${line.text!.startsWith('Verdict') ? ' class="verdict"' : ''}>${escapeHtml(line.text!)}</p>`);
      else out.push(`<table><thead><tr>${line.head!.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${line.rows!.map((row) => `<tr>${row.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    }
    flush();
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>figway report ${escapeHtml(data.generatedAt)}</title><style>${STYLE}</style></head>
<body><h1>figway report</h1><p class="note">Generated ${escapeHtml(data.generatedAt)} from ${escapeHtml(data.figway)}; window since ${escapeHtml(data.since)}.</p>
${data.notes.map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('\n')}
${out.join('\n')}
</body></html>
`;
}

/** renderReport renders the report in one format. */
export function renderReport(data: ReportData, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  return format === 'html' ? html(data) : markdown(data);
}
