/**
 * createNewAuth: the rewritten Pesto forward-auth (pesto-contracts.md §1b, HEAD with every fix): only the path `/`,
 * any method, strict PascalCase record, synchronous counter increment, fixed 500 body, no Sentry headers.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { COUNTER_TTL_SECONDS, TOKEN_HEADER, TRIAL_EMAIL_DOMAIN, counterKey, monthOf } from '../../pesto-common/pesto-model.js';
import { connectRedis, createServiceApp, type ServiceBaseOptions } from '../../pesto-common/service-kit.js';
import { REGRESSIONS_HEADER, healthzText, resolveRegressions, type ActiveRegressions } from '../regressions.js';
import { readTokenRecord } from '../token-record.js';

/** NewAuthOptions configure the rewritten auth. */
export interface NewAuthOptions extends ServiceBaseOptions {
  /** Regression switches to turn on (only `token-casing` affects auth). Default: none. */
  regressions?: readonly string[] | ActiveRegressions;
  /** Clock for the counter month. Default: the system clock. */
  now?: () => Date;
}

function sendJson(reply: FastifyReply, status: number, message: string): FastifyReply {
  // axum's Json sets exactly `application/json`; a Buffer keeps fastify from appending a charset.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ message }), 'utf8'));
}

// http::HeaderValue::to_str fails on anything but visible ASCII and tab: such a header counts as missing.
function visibleAscii(value: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(value);
}

// Rust `str::parse::<i64>` on the counter value.
function parseI64(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error('counter is not an integer');
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error('counter out of range');
  return value;
}

/** isTrialEmail is the fixed trial check (commit 1afe934): lower-cased prefix `trial`, Pesto domain suffix. */
export function isTrialEmail(email: string): boolean {
  const lower = email.toLowerCase();
  return lower.startsWith('trial') && lower.endsWith(TRIAL_EMAIL_DOMAIN);
}

/** createNewAuth returns the fastify app of the rewritten auth; `app.close()` quits Redis. */
export function createNewAuth(options: NewAuthOptions): FastifyInstance {
  const regressions = resolveRegressions(options.regressions);
  const casing = regressions.has('token-casing') ? 'snake' : 'pascal';
  const now = options.now ?? (() => new Date());
  const app = createServiceApp({ logLevel: options.logLevel, logStream: options.logStream });
  const redis = connectRedis(app, options.redisUrl);

  // The handler never reads a body; accept any so no method or content type is refused before it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, undefined));
    payload.on('error', (error) => done(error, undefined));
  });

  // Fixed answer, no Redis ping: the rewrite's health check only says the process is up.
  app.get('/healthz', async (_request, reply) => {
    if (regressions.names.length > 0) void reply.header(REGRESSIONS_HEADER, regressions.names.join(','));
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(healthzText(regressions));
  });

  app.all('/', async (request, reply) => {
    const header = request.headers[TOKEN_HEADER];
    const value = Array.isArray(header) ? header[0] : header;
    // A present-but-empty header is Some(""): it is looked up and answers "Token not registered".
    if (value === undefined || !visibleAscii(value)) return sendJson(reply, 401, 'Token must be supplied');
    try {
      const raw = await redis.get(value);
      if (raw === null) return sendJson(reply, 401, 'Token not registered');
      const record = readTokenRecord(raw, casing);
      if (record.Revoked) return sendJson(reply, 401, 'Token has been revoked');
      const key = counterKey(monthOf(now()), record.UserEmail);
      const stored = await redis.get(key);
      const counter = stored === null ? 0 : parseI64(stored);
      if (counter > record.MonthlyLimit) return sendJson(reply, 429, 'Monthly limit exceeded');
      // Synchronous, before answering: the count is in Redis when the client gets its 200.
      if (!isTrialEmail(record.UserEmail)) await redis.set(key, String(counter + 1), 'EX', COUNTER_TTL_SECONDS);
    } catch (error) {
      request.log.error({ err: error }, 'authenticate failed');
      return sendJson(reply, 500, 'Internal server error');
    }
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('');
  });

  // axum's fallback: an empty 404.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send());
  return app;
}
