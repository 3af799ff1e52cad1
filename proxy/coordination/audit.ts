/**
 * The shared audit history: each entry recorded on any instance is pushed to a capped Redis list and published, so
 * every admin listener (and dashboard) shows the same history. The list is read once the shared Redis is first
 * reached; an entry heard from a peer is kept, not logged or published again.
 */
import type { Logger } from 'pino';
import type { AuditEntry, AuditLog } from '../audit.js';
import type { CoordinationConnection } from './connection.js';

interface AuditMessage {
  origin: string;
  entry: AuditEntry;
}

/** shareAudit connects `audit` to the shared history. */
export function shareAudit(options: { connection: CoordinationConnection; prefix: string; instance: string; audit: AuditLog; logger: Logger }): { load(): Promise<void> } {
  const { connection, audit, instance } = options;
  const key = `${options.prefix}:audit`;
  const channel = `${options.prefix}:audit`;
  let loaded = false;
  audit.share({
    publish(entry) {
      const message: AuditMessage = { origin: instance, entry };
      connection.redis.multi().lpush(key, JSON.stringify(entry)).ltrim(key, 0, audit.capacity - 1).publish(channel, JSON.stringify(message)).exec()
        .catch((error: Error) => options.logger.warn({ err: { message: error.message } }, 'audit entry kept locally only: the shared Redis is unreachable'));
    },
  });
  void connection.hear<AuditMessage>(channel, (message) => audit.receive(message.entry));
  return {
    async load() {
      if (loaded) return;
      const texts = await connection.redis.lrange(key, 0, audit.capacity - 1);
      loaded = true;
      const mine = new Set(audit.entries().map((entry) => JSON.stringify(entry)));
      for (const text of texts.reverse()) if (!mine.has(text)) audit.receive(JSON.parse(text) as AuditEntry);
    },
  };
}
