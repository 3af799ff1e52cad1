/**
 * createLegacyAuth: a faithful stand-in of Pesto's legacy Go forward-auth (pesto-contracts.md §1a), quirks included:
 * every path authenticates, only GET is allowed, the record is read leniently, the counter is bumped after answering.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { COUNTER_TTL_SECONDS, TRIAL_EMAIL_DOMAIN, TOKEN_HEADER, counterKey, monthOf } from '../../pesto-common/pesto-model.js';
import { connectRedis, createServiceApp, type ServiceBaseOptions } from '../../pesto-common/service-kit.js';
import { goMessageBody, goQuote } from './go-text.js';
import { parseGoInt64, readGoTokenValue } from './go-token-reader.js';
import { newSentryHeaders } from './sentry.js';

/** LegacyAuthOptions configure the legacy auth stand-in. */
export interface LegacyAuthOptions extends ServiceBaseOptions {
  /** Clock for the counter month; injected so tests can pin it. Default: the system clock. */
  now?: () => Date;
  /** Sentry environment named in the Baggage header. Default `ENVIRONMENT` env, else `production`. */
  environment?: string;
}

function sendMessage(reply: FastifyReply, status: number, message: string): FastifyReply {
  // Go writes pre-encoded JSON bytes with exactly `application/json`; a Buffer keeps fastify from adding a charset.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(goMessageBody(message), 'utf8'));
}

// Go's `go d.incrementMonthlyCounter(...)`: read-then-SET, not INCR, so concurrent calls can lose counts.
async function incrementCounter(redis: Redis, key: string): Promise<void> {
  const current = await redis.get(key);
  const next = (current === null ? 0n : parseGoInt64(current)) + 1n;
  await redis.set(key, next.toString(), 'EX', COUNTER_TTL_SECONDS);
}

/** createLegacyAuth returns the fastify app of the legacy auth; `app.close()` waits for pending increments and quits Redis. */
export function createLegacyAuth(options: LegacyAuthOptions): FastifyInstance {
  const now = options.now ?? (() => new Date());
  const environment = options.environment ?? process.env.ENVIRONMENT ?? 'production';
  const pending = new Set<Promise<void>>();
  const app = createServiceApp({ logLevel: options.logLevel, logStream: options.logStream });
  const redis = connectRedis(app, options.redisUrl, async () => {
    await Promise.allSettled([...pending]);
  });

  // The Go service never reads a body; accept any content type so fastify never answers 415 before the 405.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, undefined));
    payload.on('error', (error) => done(error, undefined));
  });

  // ServeMux `/healthz` is method-agnostic: Healthz answers whatever the method.
  app.all('/healthz', async (_request, reply) => {
    try {
      await redis.ping();
      return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('OK');
    } catch (error) {
      return reply.code(500).header('content-type', 'text/plain; charset=utf-8').send((error as Error).message);
    }
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (request.method !== 'GET') return reply.code(405).send();
    const header = request.headers[TOKEN_HEADER];
    const token = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
    if (token === '') return sendMessage(reply, 401, 'Token must be supplied');

    let userEmail: string;
    let monthlyLimit: bigint;
    let counter: bigint;
    const month = monthOf(now());
    try {
      const raw = await redis.getBuffer(token);
      if (raw === null) return sendMessage(reply, 401, 'Token not registered');
      const value = readGoTokenValue(raw);
      if (value.Revoked) return sendMessage(reply, 401, 'Token has been revoked');
      userEmail = value.UserEmail;
      monthlyLimit = value.MonthlyLimit;
      const stored = await redis.get(counterKey(month, userEmail));
      counter = stored === null ? 0n : parseGoInt64(stored);
    } catch (error) {
      request.log.warn({ err: error }, 'authenticate failed');
      return sendMessage(reply, 500, goQuote((error as Error).message));
    }
    if (counter > monthlyLimit) return sendMessage(reply, 429, 'Monthly limit exceeded');

    if (!(userEmail.startsWith('trial') && userEmail.endsWith(TRIAL_EMAIL_DOMAIN))) {
      const key = counterKey(month, userEmail);
      // Fire and forget after the answer is written, like the goroutine: the write lands after the response.
      reply.raw.once('finish', () => {
        const job = incrementCounter(redis, key)
          .catch((error: unknown) => app.log.warn({ err: error }, 'counter increment failed'))
          .finally(() => pending.delete(job));
        pending.add(job);
      });
    }
    const sentry = newSentryHeaders(environment);
    return reply.code(200).header('Sentry-Trace', sentry['sentry-trace']).header('Baggage', sentry.baggage).send();
  };

  // ServeMux `/` catches every other path, so any path authenticates.
  app.setNotFoundHandler(authenticate);
  return app;
}
