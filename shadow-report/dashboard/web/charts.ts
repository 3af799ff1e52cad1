/**
 * charts: small uPlot time-series charts of a route's timeline (weight, unexpected-difference rate, error rate per
 * side, p99 latency per side). uPlot is loaded from this origin (the package's own copy); it draws on a canvas and
 * styles through the CSSOM, which the strict Content-Security-Policy allows.
 */
import type uPlotType from 'uplot';
import type { TimelinePoint } from './model.js';

type UPlotConstructor = typeof uPlotType;
const UPLOT_URL = './uPlot.esm.js';
let loading: Promise<UPlotConstructor> | undefined;

function uPlot(): Promise<UPlotConstructor> {
  loading ??= (import(UPLOT_URL) as Promise<{ default: UPlotConstructor }>).then((module) => module.default);
  return loading;
}

/** ChartSpec says what one chart plots. */
export interface ChartSpec {
  title: string;
  unit: '%' | 'ms';
  series: Array<{ label: string; color: string; value: (point: TimelinePoint) => number | null }>;
}

/** CHARTS are the four pictures of the overview, per route. */
export const CHARTS: ChartSpec[] = [
  { title: 'weight on new', unit: '%', series: [{ label: 'weight', color: '#2563eb', value: (p) => p.weight }] },
  { title: 'unexpected-difference rate', unit: '%', series: [{ label: 'unexpected', color: '#dc2626', value: (p) => (p.unexpectedRate === null ? null : p.unexpectedRate * 100) }] },
  {
    title: 'error rate (5xx) per side', unit: '%', series: [
      { label: 'legacy', color: '#6b7280', value: (p) => (p.errorRate.legacy === null ? null : p.errorRate.legacy * 100) },
      { label: 'new', color: '#d97706', value: (p) => (p.errorRate.new === null ? null : p.errorRate.new * 100) },
    ],
  },
  {
    title: 'p99 latency per side', unit: 'ms', series: [
      { label: 'legacy', color: '#6b7280', value: (p) => p.p99Ms.legacy },
      { label: 'new', color: '#d97706', value: (p) => p.p99Ms.new },
    ],
  },
];

/** Chart is one live chart. */
export interface Chart {
  update(points: readonly TimelinePoint[]): void;
  destroy(): void;
}

function columns(spec: ChartSpec, points: readonly TimelinePoint[]): uPlotType.AlignedData {
  return [points.map((p) => p.at / 1000), ...spec.series.map((s) => points.map((p) => s.value(p)))];
}

/** createChart draws `spec` into `container` (asynchronously: uPlot loads on first use). */
export function createChart(container: HTMLElement, spec: ChartSpec, points: readonly TimelinePoint[]): Chart {
  let plot: uPlotType | undefined;
  let latest = points;
  let destroyed = false;
  void uPlot().then((UPlot) => {
    if (destroyed) return;
    plot = new UPlot({
      width: 300, height: 130, title: spec.title, legend: { show: true },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(spec.unit === '%' ? 1 : 5, max ?? 0, min ?? 0)] } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${+t.toFixed(2)}${spec.unit}`), size: 56 }],
      series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false, points: { show: false } }))],
    }, columns(spec, latest), container);
  });
  return {
    update(next) {
      latest = next;
      plot?.setData(columns(spec, next));
    },
    destroy() {
      destroyed = true;
      plot?.destroy();
    },
  };
}
