/**
 * app: the dashboard's entry module. It loads the session (who, CSRF token), routes between views by the URL hash,
 * and listens to /api/events: timeline points are appended (bounded), and any event refreshes the data through the
 * API at most once per interval, so the page stays current without reloading and without growing.
 */
import { loadSession, send } from './api.js';
import { h, replace, toast } from './dom.js';
import type { AuditEntry, TimelinePoint } from './model.js';
import { createAuditView } from './audit-view.js';
import { createOverview } from './overview.js';
import { createRouteView } from './route-view.js';
import { createSampleView } from './sample-view.js';
import { addPoints, loadTimelines, refresh, state } from './state.js';

interface View {
  update(): void;
  destroy(): void;
  add?(entry: AuditEntry): void;
}

const container = document.getElementById('view')!;
let view: View | undefined;
let refreshing: Promise<void> | undefined;
let again = false;

function route(): void {
  view?.destroy();
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'route' && parts[1] !== undefined) view = createRouteView(container, parts[1]);
  else if (parts[0] === 'sample' && parts[1] !== undefined && parts[2] !== undefined) view = createSampleView(container, parts[1], parts[2]);
  else if (parts[0] === 'audit') view = createAuditView(container);
  else view = createOverview(container);
  view.update();
}

/** update refreshes data and the view; calls made while one runs are folded into one more run. */
function update(): void {
  if (refreshing !== undefined) { again = true; return; }
  refreshing = refresh().then(() => view?.update()).catch((error: Error) => toast(error.message, 'error')).finally(() => {
    refreshing = undefined;
    if (again) { again = false; update(); }
  });
}

function connect(): void {
  const live = document.getElementById('live')!;
  const events = new EventSource('/api/events');
  const setLive = (state: string, label: string): void => { live.dataset.state = state; live.textContent = label; };
  events.addEventListener('open', () => setLive('open', 'live'));
  events.addEventListener('error', () => setLive('retrying', 'reconnecting…'));
  events.addEventListener('hello', (event) => {
    state.intervalMs = (JSON.parse((event as MessageEvent<string>).data) as { intervalMs: number }).intervalMs;
  });
  events.addEventListener('points', (event) => {
    addPoints(JSON.parse((event as MessageEvent<string>).data) as Record<string, TimelinePoint>);
    update();
  });
  events.addEventListener('config', update);
  events.addEventListener('ramp', update);
  events.addEventListener('audit', (event) => {
    view?.add?.(JSON.parse((event as MessageEvent<string>).data) as AuditEntry);
    update();
  });
}

async function main(): Promise<void> {
  const session = await loadSession();
  replace(document.getElementById('who')!, session.name === null ? '' : h('span', {}, `signed in as ${session.name}`));
  document.getElementById('sign-out')!.addEventListener('click', () => {
    void send('POST', '/auth/sign-out').finally(() => window.location.assign('/dashboard/sign-in'));
  });
  await refresh();
  await loadTimelines();
  window.addEventListener('hashchange', route);
  route();
  connect();
}

void main().catch((error: Error) => replace(container, h('p', { class: 'error' }, `The dashboard could not load: ${error.message}`)));
