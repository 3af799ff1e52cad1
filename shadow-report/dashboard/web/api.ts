/**
 * api: the dashboard's client of the admin API — the same endpoints the CLI and scripts use. State-changing calls
 * carry the session's CSRF token (from GET /api/session); the session cookie itself is HttpOnly and never seen here.
 */

/** ApiError carries figway's error code and message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

let csrf: { header: string; token: string } | undefined;

/** loadSession reads who is signed in and the CSRF token; a 401 sends the browser to the sign-in page. */
export async function loadSession(): Promise<{ name: string | null; via: string | null; expiresAt?: string }> {
  const session = await get<{ name: string | null; via: string | null; csrf?: string; csrfHeader?: string; expiresAt?: string }>('/api/session');
  if (session.csrf !== undefined && session.csrfHeader !== undefined) csrf = { header: session.csrfHeader, token: session.csrf };
  return session;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf !== undefined) headers[csrf.header] = csrf.token;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (response.status === 401) {
    window.location.assign('/dashboard/sign-in');
    throw new ApiError(401, 'ADMIN_UNAUTHORIZED', 'signed out');
  }
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
  }
  return parsed as T;
}

/** get reads an admin endpoint. */
export function get<T>(path: string): Promise<T> {
  return call<T>('GET', path);
}

/** Features are the optional APIs this figway serves (other branches add them over time). */
export interface Features {
  ramps: boolean;
  audit: boolean;
  sampleById: boolean;
}

let features: Promise<Features> | undefined;

/** feature tells whether this figway serves an optional API, asked once (probing would log 404s). */
export async function feature(name: keyof Features): Promise<boolean> {
  features ??= get<Features>('/api/dashboard/features');
  return (await features)[name];
}

/** optional reads an optional API, or undefined when this figway does not serve it. */
export async function optional<T>(name: keyof Features, path: string): Promise<T | undefined> {
  return (await feature(name)) ? get<T>(path) : undefined;
}

/** send makes a state-changing call. */
export function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return call<T>(method, path, body);
}

/** enc encodes one path segment. */
export const enc = encodeURIComponent;
