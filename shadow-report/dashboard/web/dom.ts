/**
 * dom: the one way the dashboard builds HTML. Children are Nodes or text (always a text node), attributes go through
 * setAttribute, and nothing here ever assigns innerHTML — so a captured body containing <script> shows as text.
 */

/** Child is what h() accepts as content. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attrs are attributes (strings, booleans) and event handlers (on*). */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { for (const c of child as readonly Child[]) append(parent, c); return; }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** h creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) append(element, child);
  return element;
}

/** replace swaps an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const child of children) append(parent, child);
}

/** ago renders an epoch-ms time as "12 s ago" / "3 min ago" / a date. */
export function ago(at: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

/** toast shows a short status message. */
export function toast(message: string, level: 'ok' | 'error' = 'ok'): void {
  const element = document.getElementById('toast');
  if (element === null) return;
  element.textContent = message;
  element.dataset.level = level;
  element.hidden = false;
}
