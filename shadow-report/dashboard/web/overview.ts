/**
 * overview: one card per route — weight, ramp step and state, a verdict in words, requests and error rates per side,
 * compared / sampled / dropped with reasons, the unexpected-difference rate, four plots over time, and the controls
 * (set a weight; start, pause, resume, promote or abort a ramp), each a call to the public admin API.
 */
import { enc, send } from './api.js';
import { CHARTS, createChart, type Chart } from './charts.js';
import { h, replace, toast } from './dom.js';
import {
  evidenceOf, patternsOf, percent, RAMP_ACTIONS, verdictOf,
  type RampStatus, type RouteInfo, type TimelinePoint,
} from './model.js';
import { state } from './state.js';

/** VERDICT_WINDOW_MINUTES is the window of "in the last N min" in the verdict and the per-side numbers. */
export const VERDICT_WINDOW_MINUTES = 10;

interface Card {
  root: HTMLElement;
  head: HTMLElement;
  verdict: HTMLElement;
  stats: HTMLElement;
  charts: Chart[];
  rampControls: HTMLElement;
}

function windowTotals(points: readonly TimelinePoint[], since: number) {
  const out = { legacy: { requests: 0, errors: 0 }, new: { requests: 0, errors: 0 }, compared: 0, unexpected: 0 };
  for (const p of points) {
    if (p.at < since) continue;
    for (const side of ['legacy', 'new'] as const) {
      out[side].requests += p.requests[side];
      out[side].errors += p.requests[side] * (p.errorRate[side] ?? 0);
    }
    out.compared += p.compared;
    out.unexpected += p.unexpected;
  }
  return out;
}

function rampLine(ramp: RampStatus | undefined): string {
  if (ramp === undefined) return '';
  const step = ramp.stepIndex < 0 ? 'not started' : `step ${ramp.stepIndex + 1} of ${ramp.steps.length} (${ramp.steps[ramp.stepIndex] ?? ramp.weight}%)`;
  return `ramp ${ramp.state} · ${step}`;
}

function statRow(label: string, ...cells: Array<string | Node>): HTMLTableRowElement {
  return h('tr', {}, h('th', { scope: 'row' }, label), ...cells.map((cell) => h('td', {}, cell)));
}

function weightForm(route: RouteInfo): HTMLFormElement {
  const input = h('input', { type: 'number', min: 0, max: 100, step: 0.01, required: true, name: 'weight', value: route.weight, 'aria-label': `weight of ${route.name} on new, percent` });
  const form = h('form', { class: 'weight-form' },
    h('label', {}, 'weight on new ', input, ' %'),
    h('button', { type: 'submit' }, 'Set weight'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const weight = Number(input.value);
    void send('PUT', `/api/routes/${enc(route.name)}/weight`, { weight })
      .then(() => toast(`${route.name}: weight set to ${weight}%`))
      .catch((error: Error) => toast(`${route.name}: ${error.message}`, 'error'));
  });
  return form;
}

/** renderRampControls builds the ramp buttons once, then only updates which are allowed (focus and typing survive). */
function renderRampControls(container: HTMLElement, route: string): void {
  const ramp = state.ramps?.get(route);
  if (ramp === undefined) {
    const text = state.ramps === undefined ? 'No ramp controller on this figway yet.' : 'No ramp for this route (routes[].ramp in figway.yaml).';
    if (container.textContent !== text) replace(container, h('p', { class: 'muted' }, text));
    return;
  }
  let controls = container.querySelector<HTMLElement>('.ramp-controls');
  if (controls === null) {
    const reason = h('input', { type: 'text', name: 'reason', placeholder: 'reason (optional)', 'aria-label': `reason for the ramp action on ${route}` });
    controls = h('div', { class: 'ramp-controls' }, ...Object.keys(RAMP_ACTIONS).map((action) => h('button', {
      type: 'button', 'data-action': action,
      onclick: () => {
        const body = reason.value.trim() === '' ? {} : { reason: reason.value.trim() };
        void send('POST', `/api/routes/${enc(route)}/ramp/${action}`, body)
          .then(() => toast(`${route}: ramp ${action}`))
          .catch((error: Error) => toast(`${route}: ${error.message}`, 'error'));
      },
    }, action)), reason);
    replace(container, controls, h('ul', { class: 'gates' }));
  }
  for (const button of controls.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    button.disabled = !(RAMP_ACTIONS[button.dataset.action ?? ''] ?? []).includes(ramp.state);
  }
  replace(container.querySelector('.gates')!, ramp.gates.map((gate) => h('li', { 'data-status': gate.status }, `${gate.name}: ${gate.status} — ${gate.detail}`)));
}

function createCard(route: RouteInfo): Card {
  const head = h('div', { class: 'card-head' });
  const verdict = h('p', { class: 'verdict' });
  const stats = h('table', { class: 'stats' });
  const chartBox = h('div', { class: 'charts' });
  const rampControls = h('div', { class: 'ramp' });
  const root = h('section', { class: 'route-card', 'data-route': route.name },
    head, verdict, h('div', { class: 'card-body' }, stats, chartBox),
    h('div', { class: 'controls' }, weightForm(route), rampControls));
  const points = state.timelines.get(route.name) ?? [];
  const charts = CHARTS.map((spec) => {
    const box = h('div', { class: 'chart' });
    chartBox.appendChild(box);
    return createChart(box, spec, points);
  });
  return { root, head, verdict, stats, charts, rampControls };
}

function updateCard(card: Card, route: RouteInfo, now: number): void {
  const summary = state.diffs.get(route.name);
  const ramp = state.ramps?.get(route.name);
  const points = state.timelines.get(route.name) ?? [];
  const since = now - VERDICT_WINDOW_MINUTES * 60_000;
  const totals = windowTotals(points, since);
  const evidence = evidenceOf(summary);
  const { patterns } = patternsOf(summary, state.samples.get(route.name) ?? []);
  const verdict = verdictOf({
    summary, patterns, ramp, accept: route.accept, now,
    ...(points.length === 0 ? {} : { window: { minutes: VERDICT_WINDOW_MINUTES, compared: totals.compared, unexpected: totals.unexpected } }),
  });
  replace(card.head,
    h('h2', {}, h('a', { href: `#/route/${enc(route.name)}` }, route.name)),
    h('span', { class: 'weight', 'data-weight': route.weight }, `weight ${route.weight}% on new`),
    ramp === undefined ? null : h('span', { class: 'ramp-state', 'data-state': ramp.state }, rampLine(ramp)),
    route.mirror === null ? h('span', { class: 'muted' }, 'not mirrored') : h('span', { class: 'muted' }, `mirrors ${percent(route.mirror.sampleRate)}`));
  card.verdict.dataset.level = verdict.level;
  card.verdict.textContent = verdict.text;
  const rate = (side: 'legacy' | 'new') => (totals[side].requests === 0 ? '–' : percent(totals[side].errors / totals[side].requests, 2));
  const reasons = Object.entries(evidence.droppedByReason).sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} ${n}`).join(', ');
  replace(card.stats,
    h('thead', {}, h('tr', {}, h('th', {}, `last ${VERDICT_WINDOW_MINUTES} min`), h('th', {}, 'legacy'), h('th', {}, 'new'))),
    h('tbody', {},
      statRow('requests', String(totals.legacy.requests), String(totals.new.requests)),
      statRow('error rate (5xx)', rate('legacy'), rate('new')),
      h('tr', {}, h('th', { scope: 'row', colspan: 3, class: 'sub' }, 'since start')),
      h('tr', {}, h('th', { scope: 'row' }, 'compared / sampled'), h('td', { colspan: 2, 'data-field': 'compared' }, `${evidence.compared} / ${evidence.sampled} (coverage ${percent(evidence.coverage)})`)),
      h('tr', {}, h('th', { scope: 'row' }, 'dropped'), h('td', { colspan: 2 }, `${evidence.dropped}${reasons === '' ? '' : ` — ${reasons}`}`)),
      h('tr', {}, h('th', { scope: 'row' }, 'unexpected-difference rate'), h('td', { colspan: 2, 'data-field': 'unexpected-rate' }, `${percent(evidence.unexpectedRate)} (${evidence.unexpectedComparisons} of ${evidence.compared})`))));
  for (const chart of card.charts) chart.update(points);
  renderRampControls(card.rampControls, route.name);
  // The weight field follows the live weight unless someone is typing in it.
  const input = card.root.querySelector<HTMLInputElement>('.weight-form input');
  if (input !== null && document.activeElement !== input) input.value = String(route.weight);
}

/** createOverview returns the overview view. */
export function createOverview(container: HTMLElement) {
  const cards = new Map<string, Card>();
  const list = h('div', { class: 'route-list' });
  replace(container, h('h1', {}, 'Routes'), list);
  return {
    update() {
      const now = Date.now();
      const names = new Set(state.routes.map((route) => route.name));
      for (const [name, card] of cards) {
        if (!names.has(name)) { for (const chart of card.charts) chart.destroy(); card.root.remove(); cards.delete(name); }
      }
      for (const route of state.routes) {
        let card = cards.get(route.name);
        if (card === undefined) { card = createCard(route); cards.set(route.name, card); list.appendChild(card.root); }
        updateCard(card, route, now);
      }
      if (state.routes.length === 0) replace(list, h('p', { class: 'muted' }, 'No routes configured.'));
    },
    destroy() {
      for (const card of cards.values()) for (const chart of card.charts) chart.destroy();
    },
  };
}
