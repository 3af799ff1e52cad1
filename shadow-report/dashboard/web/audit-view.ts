/** audit view: who changed what and why (GET /api/audit), newest first, live, bounded to the newest 200 entries. */
import { optional } from './api.js';
import { h, replace } from './dom.js';
import type { AuditEntry } from './model.js';

const MAX_ROWS = 200;

function row(entry: AuditEntry): HTMLElement {
  const change = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value));
  return h('tr', {}, h('td', {}, entry.at), h('td', {}, entry.who), h('td', {}, entry.action), h('td', {}, entry.route ?? ''),
    h('td', {}, `${change(entry.old)}${entry.old === undefined ? '' : ' → '}${change(entry.new)}`), h('td', {}, entry.why ?? ''));
}

/** createAuditView returns the audit view; add() prepends a live entry. */
export function createAuditView(container: HTMLElement) {
  const body = h('tbody', {});
  replace(container, h('h1', {}, 'Audit log'), h('p', { class: 'muted' }, 'Loading…'));
  void optional<{ entries: AuditEntry[] }>('audit', '/api/audit?limit=100').then((result) => {
    if (result === undefined) { replace(container, h('h1', {}, 'Audit log'), h('p', { class: 'muted' }, 'This figway has no audit log yet.')); return; }
    for (const entry of result.entries) body.appendChild(row(entry));
    replace(container, h('h1', {}, 'Audit log'), h('table', { class: 'audit' },
      h('thead', {}, h('tr', {}, ...['at', 'who', 'action', 'route', 'change', 'why'].map((t) => h('th', {}, t)))), body));
  });
  return {
    update() {},
    add(entry: AuditEntry) {
      body.prepend(row(entry));
      while (body.childElementCount > MAX_ROWS) body.lastElementChild?.remove();
    },
    destroy() {},
  };
}
