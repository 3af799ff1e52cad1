/**
 * Dashboard sessions: an in-memory, bounded map from a random session id to who signed in, its CSRF token and its
 * expiry. Sessions are absolute (no sliding renewal) and the oldest is evicted when the bound is reached, so a flood of
 * sign-ins cannot grow memory. Ids are kept only as SHA-256 digests: a heap dump does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';

/** AdminSession is one signed-in browser. */
export interface AdminSession {
  /** Name of the admin token used to sign in. */
  name: string;
  /** Token the page must echo in the CSRF header on state-changing requests. */
  csrf: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** SessionStoreOptions bound the store; `now` and `random` are injectable for tests. */
export interface SessionStoreOptions {
  ttlMs: number;
  max: number;
  now?: () => number;
  random?: (bytes: number) => Buffer;
}

/** SessionStore creates, finds and ends sessions. */
export interface SessionStore {
  /** create starts a session and returns its id (to be set as the cookie) with the session. */
  create(name: string): { id: string; session: AdminSession };
  /** get returns a live session, or undefined for an unknown or expired id (which is then forgotten). */
  get(id: string): AdminSession | undefined;
  delete(id: string): void;
  readonly size: number;
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** createSessionStore returns an empty store. */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const now = options.now ?? Date.now;
  const random = options.random ?? randomBytes;
  // Insertion order is creation order, so the first entry is always the oldest.
  const sessions = new Map<string, AdminSession>();

  function prune(): void {
    const at = now();
    for (const [key, session] of sessions) {
      if (session.expiresAt > at) break;
      sessions.delete(key);
    }
  }

  return {
    create(name) {
      prune();
      while (sessions.size >= options.max) sessions.delete(sessions.keys().next().value!);
      const id = random(32).toString('base64url');
      const session: AdminSession = { name, csrf: random(24).toString('base64url'), expiresAt: now() + options.ttlMs };
      sessions.set(digest(id), session);
      return { id, session };
    },
    get(id) {
      const key = digest(id);
      const session = sessions.get(key);
      if (session === undefined) return undefined;
      if (session.expiresAt <= now()) {
        sessions.delete(key);
        return undefined;
      }
      return session;
    },
    delete(id) {
      sessions.delete(digest(id));
    },
    get size() {
      prune();
      return sessions.size;
    },
  };
}
