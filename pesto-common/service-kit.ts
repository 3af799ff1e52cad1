/**
 * The plumbing every Pesto service shares: a fastify app with the house logger, and an ioredis client whose
 * lifetime is tied to the app (closing the app quits Redis), so each factory stays about its routes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { Redis } from 'ioredis';

/** DEFAULT_LOG_LEVEL is `warn`: the services are noisy at info under load and we want errors, not traffic. */
export const DEFAULT_LOG_LEVEL = 'warn';

/** ServiceBaseOptions are the options every Pesto service factory accepts. */
export interface ServiceBaseOptions {
  /** ioredis URL of the store the service reads and writes. */
  redisUrl: string;
  /** pino level; default `LOG_LEVEL` env, else `warn`. */
  logLevel?: string;
  /** Where log lines go; default stdout (the demo writes each service's log to a file). */
  logStream?: DestinationStream;
}

/** createServiceApp builds a fastify instance whose logger never prints a token or credential header. */
export function createServiceApp(options: { logLevel?: string | undefined; logStream?: DestinationStream | undefined; caseSensitive?: boolean; ignoreTrailingSlash?: boolean }): FastifyInstance {
  return Fastify({
    logger: {
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
      level: options.logLevel ?? process.env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
      // Tokens are credentials: the header and any body field named token are masked before anything is written.
      redact: ['req.headers["x-pesto-token"]', 'req.headers.authorization', 'token', 'body.token'],
    },
    routerOptions: { caseSensitive: options.caseSensitive ?? true, ignoreTrailingSlash: options.ignoreTrailingSlash ?? false },
    // Pesto services sit behind a gateway; client addresses come from X-Forwarded-For only for logging.
    trustProxy: true,
  });
}

/** connectRedis opens the service's ioredis client and quits it when `app` closes, after `drain` settles. */
export function connectRedis(app: FastifyInstance, redisUrl: string, drain?: () => Promise<void>): Redis {
  const redis = new Redis(redisUrl, {
    // Fail requests fast when Redis is down instead of queueing them for ever; the services answer 500 then.
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  redis.on('error', (error: Error) => app.log.warn({ err: error }, 'redis connection error'));
  app.addHook('onClose', async () => {
    if (drain !== undefined) await drain();
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  });
  return redis;
}

/** acceptsJson reports whether an Accept header asks for JSON without also accepting anything (`*\/*`). */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '');
  if (types.includes('*/*')) return false;
  return types.some((type) => type === 'application/json' || type === 'text/json' || type.endsWith('+json'));
}
