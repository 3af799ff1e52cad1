/**
 * Ramp webhooks: a JSON POST per transition to each configured URL that asked for its kind, with a deadline per
 * attempt and a bounded number of retries (exponential backoff). Delivery runs in the background: the controller
 * never waits for it and the data plane never sees it; what cannot be delivered is logged and dropped.
 */
import type { Logger } from 'pino';
import type { WebhookConfig } from '../config/schema.js';

/** WebhookEvent is the body of one POST. */
export interface WebhookEvent {
  route: string;
  kind: string;
  from: number;
  to: number;
  state: string;
  reason: string | null;
  who: string;
  at: string;
}

/** WebhookSenderOptions: where tokens come from, and the backoff base (tests shorten it). */
export interface WebhookSenderOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  backoffMs?: number;
  /** Deliveries in flight at most; beyond, new events are dropped and logged. Default 100. */
  maxPending?: number;
}

/** WebhookSender sends events and can be waited for (tests, shutdown). */
export interface WebhookSender {
  send(webhooks: readonly WebhookConfig[], event: WebhookEvent): void;
  idle(): Promise<void>;
}

/** createWebhookSender returns a background sender. */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const env = options.env ?? process.env;
  const backoffMs = options.backoffMs ?? 500;
  const maxPending = options.maxPending ?? 100;
  const pending = new Set<Promise<void>>();

  async function deliver(webhook: WebhookConfig, event: WebhookEvent): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'figway-ramp' };
    const token = webhook.tokenEnv === undefined ? undefined : env[webhook.tokenEnv];
    if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
    const body = JSON.stringify(event);
    // undici's request API loads only when a webhook is sent (a lone gateway carries only its Pool).
    const { request } = await import('undici');
    let lastError = '';
    for (let attempt = 0; attempt <= webhook.retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)).unref());
      try {
        const response = await request(webhook.url, { method: 'POST', headers, body, headersTimeout: webhook.timeoutMs, bodyTimeout: webhook.timeoutMs });
        await response.body.dump();
        if (response.statusCode < 300) return;
        lastError = `HTTP ${response.statusCode}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    options.logger.warn({ route: event.route, kind: event.kind, webhook: new URL(webhook.url).origin, attempts: webhook.retries + 1, error: lastError }, 'ramp webhook not delivered');
  }

  return {
    send(webhooks, event) {
      for (const webhook of webhooks) {
        if (!webhook.events.includes(event.kind as WebhookConfig['events'][number])) continue;
        if (pending.size >= maxPending) {
          options.logger.warn({ route: event.route, kind: event.kind }, 'ramp webhook dropped: too many deliveries pending');
          continue;
        }
        const delivery = deliver(webhook, event).catch(() => undefined);
        pending.add(delivery);
        void delivery.finally(() => pending.delete(delivery));
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
