/**
 * createMailSink: a local stand-in for MailerSend that keeps what it is sent, so demos and tests can read the
 * welcome email (the one regression, #174, that leaves no trace in an answer or in Redis).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEFAULT_LOG_LEVEL } from '../../pesto-common/service-kit.js';
import type { MailMessage } from '../mailer/mailer.js';
import type { DestinationStream } from 'pino';

/** DEFAULT_MAX_MESSAGES bounds memory: the oldest captured message is dropped beyond it. */
export const DEFAULT_MAX_MESSAGES = 1_000;

/** MailSinkOptions configure the sink. It keeps no Redis: captured mail lives in memory. */
export interface MailSinkOptions {
  maxMessages?: number;
  logLevel?: string;
  /** Where log lines go; default stdout. */
  logStream?: DestinationStream;
}

/** CapturedMail is one accepted message with its id and arrival time. */
export interface CapturedMail extends MailMessage {
  id: string;
  receivedAt: string;
  /** Whether an Authorization header came with it (the key itself is never kept). */
  authorized: boolean;
}

function isAddress(value: unknown): value is { email: string; name?: string } {
  return typeof value === 'object' && value !== null && typeof (value as { email?: unknown }).email === 'string';
}

/** createMailSink returns the fastify app: `POST /v1/email`, `GET /messages`, `DELETE /messages`, `GET /healthz`. */
export function createMailSink(options: MailSinkOptions = {}): FastifyInstance {
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const messages: CapturedMail[] = [];
  const app = Fastify({
    logger: {
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
      level: options.logLevel ?? process.env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL, redact: ['req.headers.authorization'],
    },
  });

  app.post('/v1/email', async (request, reply) => {
    const body = request.body as Partial<Record<keyof MailMessage, unknown>> | null;
    const to = body?.to;
    // MailerSend answers 422 with field errors; the sink keeps it short.
    if (body === null || typeof body !== 'object' || !isAddress(body.from) || !Array.isArray(to) || to.length === 0 || !to.every(isAddress)
      || typeof body.subject !== 'string' || (typeof body.text !== 'string' && typeof body.html !== 'string')) {
      return reply.code(422).send({ message: 'The given data was invalid.' });
    }
    const mail: CapturedMail = {
      id: randomUUID(),
      receivedAt: new Date().toISOString(),
      authorized: request.headers.authorization !== undefined,
      from: { email: body.from.email, name: body.from.name ?? '' },
      to: to.map((address) => ({ email: address.email, name: address.name ?? '' })),
      subject: body.subject,
      text: typeof body.text === 'string' ? body.text : '',
      html: typeof body.html === 'string' ? body.html : '',
    };
    messages.push(mail);
    if (messages.length > maxMessages) messages.shift();
    // MailerSend: 202 Accepted, empty body, the id in X-Message-Id.
    return reply.code(202).header('x-message-id', mail.id).send();
  });

  app.get('/messages', async () => messages);
  app.delete('/messages', async (_request, reply) => {
    messages.length = 0;
    return reply.code(204).send();
  });
  app.get('/healthz', async () => 'OK');
  return app;
}
