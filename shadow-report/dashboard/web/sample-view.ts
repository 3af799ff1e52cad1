/**
 * sample view: one stored comparison — the request, both answers side by side, both sides' Redis values side by side,
 * the findings listed and highlighted in place, redacted values marked. Fields this dashboard does not know are shown
 * as JSON text at the end rather than dropped.
 */
import { ApiError, enc, get, optional } from './api.js';
import { ago, h, replace } from './dom.js';
import { endpointOf, type RedisValue, type Sample, type SampleFinding, type SampleMessage } from './model.js';
import { state } from './state.js';
import { body, foldedPath, headers, marksOf, text, tree, type Marks } from './values.js';

const KNOWN = new Set(['id', 'route', 'at', 'result', 'primary', 'bucket', 'findings', 'request', 'legacy', 'candidate', 'redis', 'error', 'skipped', 'shadows', 'patterns', 'pervasive', 'live']);

async function loadSample(route: string, id: string): Promise<Sample | undefined> {
  let one: Sample | { sample: Sample } | undefined;
  try {
    one = await optional<Sample | { sample: Sample }>('sampleById', `/api/diffs/${enc(route)}/samples/${enc(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
  if (one !== undefined) return 'findings' in one ? one as Sample : (one as { sample: Sample }).sample;
  const cached = state.samples.get(route)?.find((sample) => sample.id === id);
  if (cached !== undefined) return cached;
  const list = await get<{ samples: Sample[] }>(`/api/diffs/${enc(route)}/samples?limit=200`);
  return list.samples.find((sample) => sample.id === id);
}

function side(title: string, message: SampleMessage | undefined, marks: Marks, served: boolean, bothShadows: boolean): HTMLElement {
  // Dual mirroring compares two shadow deployments; the label still says which side served the client in production.
  const note = bothShadows
    ? h('span', { class: served ? 'served' : 'muted' }, served ? ' (shadow; this side answered the client)' : ' (shadow)')
    : served ? h('span', { class: 'served' }, ' (answered the client)') : h('span', { class: 'muted' }, ' (shadow)');
  return h('section', { class: 'side', 'data-side': title },
    h('h3', {}, title, note),
    message === undefined ? h('p', { class: 'muted' }, 'no answer stored')
      : [h('p', { class: 'status' }, 'status ', message.status === undefined ? '–' : h('strong', { class: marks.has('status') ? 'diff' : '' }, String(message.status))),
        headers(message.headers, marks), body(message.body, 'body', marks, message.bodyClipped)]);
}

function finding(f: SampleFinding): HTMLElement {
  const show = (value: unknown): Node => (value === undefined ? h('em', { class: 'muted' }, 'absent') : tree(value, '', new Map()));
  return h('tr', { 'data-verdict': f.verdict },
    h('td', {}, h('code', {}, f.class)), h('td', {}, h('code', {}, ...text(f.path))), h('td', {}, f.verdict, f.reason === undefined ? '' : ` — ${f.reason}`),
    h('td', {}, show(f.legacy)), h('td', {}, show(f.candidate)));
}

/** redisValue renders one side of a key: its type and TTL when the store says them, then the value at redis.<name>. */
function redisValue(side: string, name: string, key: string | undefined, stored: unknown, marks: Marks): HTMLElement {
  const typed = stored !== null && typeof stored === 'object' && !Array.isArray(stored) && 'value' in stored && 'type' in stored
    ? stored as { type: unknown; ttlSeconds?: unknown; value: unknown } : undefined;
  const value = typed === undefined ? stored : typed.value;
  const absent = value === undefined || value === '(absent)';
  return h('section', { class: 'side', 'data-side': side },
    h('h3', {}, `${side} · ${name}`),
    key === undefined ? null : h('p', { class: 'muted' }, 'key ', ...text(key)),
    typed === undefined ? null : h('p', { class: 'muted' }, `type ${String(typed.type)}, TTL ${typed.ttlSeconds === null || typed.ttlSeconds === undefined ? 'none' : `${String(typed.ttlSeconds)} s`}`),
    absent ? h('em', { class: marks.has(foldedPath(`redis.${name}`)) ? 'muted diff' : 'muted' }, 'absent') : tree(value, `redis.${name}`, marks));
}

function redisSection(values: RedisValue[] | undefined, findings: readonly SampleFinding[], marks: Marks): HTMLElement {
  if (values !== undefined && values.length > 0) {
    const differs = (value: RedisValue): boolean => {
      const base = foldedPath(`redis.${value.name}`);
      return [...marks.keys()].some((key) => key === base || key.startsWith(`${base}.`) || key.startsWith(`${base}[`));
    };
    // Keys with findings first and open; keys that match are folded away (a waiting list can be long).
    const ordered = [...values.filter(differs), ...values.filter((value) => !differs(value))];
    return h('section', { class: 'redis-values' }, h('h2', {}, 'Redis values'), ordered.map((value) => {
      const pair = h('div', { class: 'split' },
        redisValue('legacy', value.name, value.legacyKey, value.legacy, marks),
        redisValue('new', value.name, value.newKey, value.new, marks));
      return differs(value) ? pair : h('details', { class: 'same' }, h('summary', {}, `${value.name}: no difference (show both sides)`), pair);
    }));
  }
  const redisFindings = findings.filter((f) => f.path.startsWith('redis'));
  if (redisFindings.length === 0) return h('section', { class: 'redis-values' }, h('h2', {}, 'Redis values'), h('p', { class: 'muted' }, 'No Redis values stored with this sample.'));
  return h('section', { class: 'redis-values' }, h('h2', {}, 'Redis values'),
    h('p', { class: 'muted' }, 'This figway stores Redis values only where they differ: each finding\'s two sides are shown.'),
    redisFindings.map((f) => h('div', { class: 'split' },
      h('section', { class: 'side' }, h('h3', {}, 'legacy · ', ...text(f.path)), f.legacy === undefined ? h('em', { class: 'muted' }, 'absent') : tree(f.legacy, f.path, marks)),
      h('section', { class: 'side' }, h('h3', {}, 'new · ', ...text(f.path)), f.candidate === undefined ? h('em', { class: 'muted' }, 'absent') : tree(f.candidate, f.path, marks)))));
}

/** pervasiveNote names the pervasive patterns folded out of this sample's findings (shown once, on the route view). */
function pervasiveNote(route: string, sample: Sample): HTMLElement | null {
  if (sample.pervasive === undefined || sample.pervasive.length === 0) return null;
  const patterns = state.diffs.get(route)?.patterns ?? [];
  const names = sample.pervasive.map((id) => {
    const pattern = patterns.find((candidate) => candidate.id === id);
    return pattern === undefined ? id : `${pattern.class} at ${pattern.path} (${pattern.endpoint})`;
  });
  return h('p', { class: 'note' }, `Also on this comparison, as on nearly every one of the route (shown once, on the route view): ${names.join('; ')}.`);
}

/** createSampleView returns the view of one sample. */
export function createSampleView(container: HTMLElement, route: string, id: string) {
  replace(container, h('p', { class: 'muted' }, 'Loading sample…'));
  void loadSample(route, id).then((sample) => {
    if (sample === undefined) {
      replace(container, h('p', {}, 'This sample is no longer stored (samples are bounded per class).'), h('a', { href: `#/route/${enc(route)}` }, `back to ${route}`));
      return;
    }
    const marks = marksOf(sample.findings);
    const extra = Object.entries(sample).filter(([key]) => !KNOWN.has(key));
    const request = sample.request;
    replace(container,
      h('p', {}, h('a', { href: `#/route/${enc(route)}` }, `← route ${route}`)),
      h('h1', {}, `Sample · ${endpointOf(request?.method, request?.path)}`),
      h('p', { class: 'muted' }, `${new Date(sample.at).toISOString()} (${ago(sample.at)}) · result ${sample.result} · answered by ${sample.primary}`),
      sample.error === undefined ? null : h('p', { class: 'error' }, `${sample.error.code}: `, ...text(sample.error.message)),
      h('section', { class: 'findings-list' }, h('h2', {}, `Findings (${sample.findings.length})`),
        sample.findings.length === 0 ? h('p', { class: 'muted' }, 'none') : h('table', { class: 'findings' },
          h('thead', {}, h('tr', {}, ...['class', 'path', 'verdict', 'legacy', 'new'].map((t) => h('th', {}, t)))),
          h('tbody', {}, sample.findings.map(finding)))),
      pervasiveNote(route, sample),
      h('section', { class: 'request' }, h('h2', {}, 'Request'),
        request === undefined ? h('p', { class: 'muted' }, 'not stored') : [
          h('p', {}, h('code', {}, request.method ?? '?', ' ', ...text(request.path ?? ''))),
          headers(request.headers, new Map()), body(request.body, 'request.body', new Map(), request.bodyClipped)]),
      h('h2', {}, 'Answers'),
      h('div', { class: 'split answers' }, side('legacy', sample.legacy, marks, sample.primary === 'legacy', sample.shadows === true),
        side('new', sample.candidate, marks, sample.primary === 'new', sample.shadows === true)),
      redisSection(sample.redis, sample.findings, marks),
      extra.length === 0 ? null : h('section', {}, h('h2', {}, 'Other fields'), h('pre', {}, ...text(JSON.stringify(Object.fromEntries(extra), null, 2)))));
  }).catch((error: Error) => replace(container, h('p', { class: 'error' }, error.message)));
  return { update() {}, destroy() {} };
}
