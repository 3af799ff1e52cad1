/**
 * route view: a route's differences folded into patterns (class + path with indices folded + endpoint), response
 * findings beside Redis findings, pervasive patterns shown once as such, noise and accepted patterns in their own
 * sections with reasons, and "accept" on each unexpected pattern (POST /api/routes/:route/accept, with a reason).
 */
import { enc, send } from './api.js';
import { ago, h, replace, toast } from './dom.js';
import {
  acceptedBy, acceptRuleFor, evidenceOf, patternsOf, percent, verdictOf,
  type AcceptRule, type DiffPattern, type RouteInfo,
} from './model.js';
import { refresh, state } from './state.js';

const isRedis = (pattern: DiffPattern): boolean => pattern.path.startsWith('redis.') || pattern.path === 'redis' || pattern.class.startsWith('redis-');

function exampleLink(route: string, pattern: DiffPattern): Node | string {
  return pattern.example === undefined ? '–' : h('a', { href: `#/sample/${enc(route)}/${enc(pattern.example)}`, class: 'example' }, 'open sample');
}

function acceptForm(route: RouteInfo, pattern: DiffPattern, onDone: () => void): HTMLFormElement {
  const rule = acceptRuleFor(pattern, '');
  const reason = h('input', { type: 'text', name: 'reason', required: true, minlength: 1, placeholder: 'why this difference is intended', 'aria-label': 'reason' });
  const form = h('form', { class: 'accept-form' },
    h('p', {}, `Accept ${rule.class ?? 'any class'} at ${rule.path}${rule.methods === undefined ? '' : ` on ${rule.methods.join(', ')}`}${rule.pathPrefix === undefined ? '' : ` ${rule.pathPrefix}`} — written to figway.yaml (compare.accept) and the audit log.`),
    reason,
    h('button', { type: 'submit' }, 'Accept'),
    h('button', { type: 'button', onclick: () => { form.remove(); onDone(); } }, 'Cancel'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (text === '') return;
    void send('POST', `/api/routes/${enc(route.name)}/accept`, acceptRuleFor(pattern, text))
      .then(async () => {
        toast(`${route.name}: ${pattern.class} at ${pattern.path} accepted`);
        form.remove();
        await refresh();
        onDone();
      })
      .catch((error: Error) => toast(`${route.name}: ${error.message}`, 'error'));
  });
  return form;
}

function patternTable(route: RouteInfo, patterns: DiffPattern[], kind: 'unexpected' | 'noise' | 'accepted', rules: readonly AcceptRule[] | undefined, rerender: () => void): Node {
  if (patterns.length === 0) return h('p', { class: 'muted' }, kind === 'unexpected' ? 'none' : 'none');
  const now = Date.now();
  const rows = patterns.map((pattern) => {
    const rule = kind === 'accepted' ? acceptedBy(pattern, rules) : undefined;
    const reason = pattern.verdict === 'unexpected' && rule !== undefined ? `${rule.reason} (accepted since these; earlier comparisons stay counted as unexpected)` : pattern.reason ?? '';
    const actions = kind === 'unexpected'
      ? h('button', {
        type: 'button', class: 'accept', onclick: (event) => {
          const cell = (event.currentTarget as HTMLElement).closest('tr')!;
          if (cell.nextElementSibling?.classList.contains('accept-row') === true) return;
          const row = h('tr', { class: 'accept-row' }, h('td', { colspan: 9 }, acceptForm(route, pattern, rerender)));
          cell.after(row);
          row.querySelector('input')?.focus();
        },
      }, 'Accept…')
      : reason;
    return h('tr', { class: 'pattern', 'data-class': pattern.class, 'data-path': pattern.path, 'data-verdict': kind },
      h('td', {}, h('code', { class: 'class' }, pattern.class)),
      h('td', {}, h('code', {}, pattern.path)),
      h('td', {}, pattern.endpoint),
      h('td', { class: 'num' }, String(pattern.count)),
      h('td', { class: 'num' }, percent(pattern.share)),
      h('td', {}, ago(pattern.firstSeen, now)),
      h('td', {}, ago(pattern.lastSeen, now)),
      h('td', {}, exampleLink(route.name, pattern)),
      h('td', {}, actions));
  });
  return h('table', { class: 'patterns' },
    h('thead', {}, h('tr', {}, ...['class', 'path', 'endpoint', 'count', 'share', 'first seen', 'last seen', 'example', kind === 'unexpected' ? '' : 'reason'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows));
}

/** createRouteView returns the view of one route. */
export function createRouteView(container: HTMLElement, routeName: string) {
  const render = (): void => {
    const route = state.routes.find((candidate) => candidate.name === routeName);
    if (route === undefined) { replace(container, h('p', {}, `No route named ${routeName}.`), h('a', { href: '#/' }, 'back to the overview')); return; }
    const summary = state.diffs.get(routeName);
    const { patterns, derived } = patternsOf(summary, state.samples.get(routeName) ?? []);
    const evidence = evidenceOf(summary);
    const accepted: DiffPattern[] = [];
    const unexpected: DiffPattern[] = [];
    for (const pattern of patterns) {
      if (pattern.verdict === 'accepted' || (pattern.verdict === 'unexpected' && acceptedBy(pattern, route.accept) !== undefined)) accepted.push(pattern);
      else if (pattern.verdict === 'unexpected') unexpected.push(pattern);
    }
    const pervasive = unexpected.filter((p) => p.pervasive);
    const specific = unexpected.filter((p) => !p.pervasive);
    const noise = patterns.filter((p) => p.verdict === 'noise');
    const verdict = verdictOf({ summary, patterns, ramp: state.ramps?.get(routeName), accept: route.accept, now: Date.now() });
    // Unexpected findings side by side; noise and accepted ones (long reasons) one above the other.
    const columns = (list: DiffPattern[], kind: 'unexpected' | 'noise' | 'accepted') => h('div', { class: kind === 'unexpected' ? 'split' : 'stack' },
      h('section', { class: 'findings response' }, h('h3', {}, 'Response findings'), patternTable(route, list.filter((p) => !isRedis(p)), kind, route.accept, render)),
      h('section', { class: 'findings redis' }, h('h3', {}, 'Redis findings'), patternTable(route, list.filter(isRedis), kind, route.accept, render)));
    const drops = Object.entries(evidence.droppedByReason);
    replace(container,
      h('p', {}, h('a', { href: '#/' }, '← overview')),
      h('h1', {}, `Route ${route.name}`, h('span', { class: 'weight' }, ` · weight ${route.weight}% on new`)),
      h('p', { class: 'verdict', 'data-level': verdict.level }, verdict.text),
      h('p', { class: 'muted' }, `${evidence.compared} comparisons, ${evidence.sampled} sampled (coverage ${percent(evidence.coverage)}), ${evidence.dropped} dropped`,
        drops.length === 0 ? '' : ` — ${drops.map(([r, n]) => `${r} ${n}`).join(', ')}`),
      derived ? h('p', { class: 'note' }, `Patterns derived from the ${state.samples.get(routeName)?.length ?? 0} most recent stored samples (this figway's /api/diffs does not send patterns yet); counts and shares are over those samples.`) : null,
      pervasive.length === 0 ? null : h('section', { class: 'pervasive' },
        h('h2', {}, 'On nearly every comparison'),
        h('p', { class: 'muted' }, 'Shown once here rather than in every sample: usually a framework-wide change (a header, an envelope) that one accept rule settles.'),
        columns(pervasive, 'unexpected')),
      h('section', { class: 'unexpected', 'data-section': 'unexpected' }, h('h2', {}, `Unexpected differences (${specific.length} pattern${specific.length === 1 ? '' : 's'})`), columns(specific, 'unexpected')),
      h('section', { class: 'noise', 'data-section': 'noise' }, h('h2', {}, 'Noise'), h('p', { class: 'muted' }, 'Values that differ for reasons that are not regressions (declared, learned or measured); never counted against the route.'), columns(noise, 'noise')),
      h('section', { class: 'accepted', 'data-section': 'accepted' }, h('h2', {}, 'Accepted differences'), h('p', { class: 'muted' }, 'Intended changes, declared in compare.accept with their reason.'), columns(accepted, 'accepted')),
      h('section', {}, h('h2', {}, 'Accept rules in force'), (route.accept ?? []).length === 0 ? h('p', { class: 'muted' }, 'none')
        : h('ul', { class: 'rules' }, (route.accept ?? []).map((rule) => h('li', {}, h('code', {}, `${rule.class ?? '*'} ${rule.path}${rule.methods === undefined ? '' : ` ${rule.methods.join(',')}`}${rule.pathPrefix === undefined ? '' : ` ${rule.pathPrefix}`}`), ` — ${rule.reason}`)))));
  };
  return {
    update() {
      // Never pull a half-typed reason out from under someone.
      if (container.querySelector('.accept-form') !== null) return;
      render();
    },
    destroy() {},
  };
}
