/**
 * The audit log: every state change made through the admin API (weights, ramp actions, accepted patterns) and every
 * decision the ramp controller takes becomes one entry — one JSON log line (`msg: 'audit'`) and one item of a bounded
 * in-memory history that `GET /api/audit` returns, newest first. With a shared Redis, entries are also published to
 * the other instances (proxy/coordination) so every admin listener shows the same history.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/** AuditEntry is one recorded change: who (token name, or `ramp` for the controller), when, what, old and new value, why. */
export interface AuditEntry {
  /** ISO timestamp. */
  at: string;
  who: string;
  action: string;
  route?: string;
  old?: unknown;
  new?: unknown;
  why?: string;
}

/** AuditInput is an entry before it is stamped: `at` defaults to the log's clock. */
export type AuditInput = Omit<AuditEntry, 'at'> & { at?: string };

/** AuditShare carries entries between instances: publish one, and hear the others' (proxy/coordination implements it). */
export interface AuditShare {
  publish(entry: AuditEntry): void;
}

/** AuditLogOptions configure a log; `now` is injectable (epoch ms). */
export interface AuditLogOptions {
  /** Where the `audit` lines go; a function is asked at each entry (the logger may be replaced after start). */
  logger: Logger | (() => Logger);
  /** Entries kept in memory. Default AUDIT_CAPACITY. */
  capacity?: number;
  now?: () => number;
}

/** AUDIT_CAPACITY is how many entries the in-memory history keeps by default. */
export const AUDIT_CAPACITY = 500;

/** AuditLog records entries and answers the newest ones. */
export interface AuditLog {
  /** record stamps, logs, keeps and emits one entry (and publishes it when shared); it returns the stamped entry. */
  record(entry: AuditInput): AuditEntry;
  /** entries returns up to `limit` entries, newest first. */
  entries(limit?: number): AuditEntry[];
  /** on('entry') hears every entry, local or from another instance. */
  on(event: 'entry', listener: (entry: AuditEntry) => void): AuditLog;
  off(event: 'entry', listener: (entry: AuditEntry) => void): AuditLog;
  /** share starts publishing local entries through `share` (set once the shared Redis is up). */
  share(share: AuditShare | undefined): void;
  /** receive adds an entry recorded by another instance: kept and emitted, not logged or published again. */
  receive(entry: AuditEntry): void;
  readonly capacity: number;
}

/** createAuditLog returns an audit log bounded to `capacity` entries. */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const capacity = options.capacity ?? AUDIT_CAPACITY;
  if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError('audit capacity must be a whole number ≥ 1');
  const now = options.now ?? Date.now;
  const history: AuditEntry[] = [];
  const emitter = new EventEmitter();
  // Listeners are the admin's server-sent-event streams: many may be open at once.
  emitter.setMaxListeners(0);
  let shared: AuditShare | undefined;

  const keep = (entry: AuditEntry): void => {
    history.push(entry);
    if (history.length > capacity) history.splice(0, history.length - capacity);
    emitter.emit('entry', entry);
  };

  const log: AuditLog = {
    capacity,
    record(input) {
      const entry: AuditEntry = { at: input.at ?? new Date(now()).toISOString(), who: input.who, action: input.action };
      if (input.route !== undefined) entry.route = input.route;
      if (input.old !== undefined) entry.old = input.old;
      if (input.new !== undefined) entry.new = input.new;
      if (input.why !== undefined) entry.why = input.why;
      const logger = typeof options.logger === 'function' ? options.logger() : options.logger;
      logger.info({ audit: entry }, 'audit');
      keep(entry);
      shared?.publish(entry);
      return entry;
    },
    entries(limit = capacity) {
      const count = Math.max(0, Math.min(limit, history.length));
      return history.slice(history.length - count).reverse();
    },
    on(event, listener) {
      emitter.on(event, listener);
      return log;
    },
    off(event, listener) {
      emitter.off(event, listener);
      return log;
    },
    share(share) {
      shared = share;
    },
    receive(entry) {
      keep(entry);
    },
  };
  return log;
}

/** principalOf names who made an admin request: the token or session name once admin-auth sets it, else `admin`. */
export function principalOf(request: unknown): string {
  return (request as { principal?: { name?: string } }).principal?.name ?? 'admin';
}
