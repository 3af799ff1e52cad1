/**
 * createNewRegistration: the rewritten Pesto registration (pesto-contracts.md §2b, HEAD with every fix, revoke fixed
 * too): JSON `{"message"}` bodies, trial `{"token"}`, revoke by `{"token"}` keeping the limit, approve that refuses an
 * existing token, accepts both body spellings and mails the token. Historical bugs come back only through regressions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  TRIAL_MONTHLY_LIMIT, TRIAL_TTL_SECONDS, WAITING_LIST_KEY, newTrialCredentials, type TokenRecord,
} from '../../pesto-common/pesto-model.js';
import { connectRedis, createServiceApp, type ServiceBaseOptions } from '../../pesto-common/service-kit.js';
import { createMailer, type Mailer, type MailerOptions } from '../mailer/mailer.js';
import { welcomeEmail } from '../mailer/welcome-email.js';
import { REGRESSIONS_HEADER, healthzText, resolveRegressions, type ActiveRegressions } from '../regressions.js';
import { readTokenRecord, writeTokenRecord, type RecordCasing } from '../token-record.js';
import {
  BodyRejection, readApproveBody, readHumanUser, readTokenBody, readWaitingUser, sendRejection, type HumanUser,
} from './body.js';

/** NewRegistrationOptions configure the rewritten registration. */
export interface NewRegistrationOptions extends ServiceBaseOptions {
  /** Regression switches to turn on. Default: none. */
  regressions?: readonly string[] | ActiveRegressions;
  /** A mailer, or how to build one. Default: disabled (no mail is sent). */
  mailer?: Mailer | MailerOptions;
}

/** ServiceError is an internal failure the handler answers with 500 `{"message":"Internal Server Error"}`. */
class ServiceError extends Error {}

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // axum's Json sets exactly `application/json`; a Buffer keeps fastify from appending a charset.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(body), 'utf8'));
}

function message(reply: FastifyReply, status: number, text: string): FastifyReply {
  return sendJson(reply, status, { message: text });
}

interface WaitingEntry {
  raw: string;
  user: HumanUser;
}

async function readWaitingList(redis: Redis): Promise<WaitingEntry[]> {
  // One unparsable item fails the whole call (→ 500), as in the Rust service.
  return (await redis.lrange(WAITING_LIST_KEY, 0, -1)).map((raw) => ({ raw, user: readWaitingUser(raw) }));
}

const ROUTES: Record<string, string> = {
  '/api/register': 'POST', '/api/pending': 'GET', '/api/approve': 'PUT', '/api/revoke': 'PUT', '/api/trial': 'POST', '/healthz': 'GET',
};

/** createNewRegistration returns the fastify app of the rewritten registration; `app.close()` quits Redis. */
export function createNewRegistration(options: NewRegistrationOptions): FastifyInstance {
  const regressions = resolveRegressions(options.regressions);
  const casing: RecordCasing = regressions.has('token-casing') ? 'snake' : 'pascal';
  const mailer: Mailer = options.mailer === undefined
    ? createMailer({ transport: 'disabled' })
    : 'send' in options.mailer ? options.mailer : createMailer(options.mailer);
  const app = createServiceApp({ logLevel: options.logLevel, logStream: options.logStream });
  const redis = connectRedis(app, options.redisUrl);
  const writeRecord = (record: TokenRecord) => writeTokenRecord(record, casing);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const handle = (work: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        return await work(request, reply);
      } catch (error) {
        if (error instanceof BodyRejection) return sendRejection(reply, error);
        request.log.error({ err: error }, 'registration request failed');
        return message(reply, 500, 'Internal Server Error');
      }
    };

  app.get('/healthz', async (_request, reply) => {
    if (regressions.names.length > 0) void reply.header(REGRESSIONS_HEADER, regressions.names.join(','));
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(healthzText(regressions));
  });

  app.post('/api/register', handle(async (request, reply) => {
    const user = readHumanUser(request);
    const waiting = await readWaitingList(redis);
    if (waiting.some((entry) => entry.user.email === user.email)) return message(reply, 202, 'Accepted');
    await redis.rpush(WAITING_LIST_KEY, JSON.stringify({ name: user.name, email: user.email, building: user.building, calls: user.calls }));
    return message(reply, 201, 'Created');
  }));

  app.get('/api/pending', handle(async (_request, reply) => {
    const waiting = await readWaitingList(redis);
    return sendJson(reply, 200, waiting.map((entry) => entry.user));
  }));

  app.put('/api/approve', handle(async (request, reply) => {
    const body = readApproveBody(request);
    // #173: `#[serde(skip)]` dropped the token from the request body.
    const token = regressions.has('approve-drops-token') ? undefined : body.token;
    const waiting = await readWaitingList(redis);
    // Fix 2b8ce49: refuse an existing token before anything is written.
    if (token !== undefined && token !== '' && (await redis.exists(token)) === 1) return message(reply, 400, 'Token already exists');
    const entry = waiting.find((item) => item.user.email === body.email);
    if (entry === undefined) return message(reply, 400, 'Email does not exists');
    if (token === undefined) {
      // Pre-fix, redis-rs sent `SET <json>` with no key argument: Redis refused it and the handler 500ed.
      if (regressions.has('approve-drops-token')) throw new ServiceError('SET without a key: wrong number of arguments');
      return message(reply, 400, 'User seemed to be approved already');
    }
    // An empty token would be stored under the key "" that no client can use; treat it like a missing one.
    if (token === '') return message(reply, 400, 'User seemed to be approved already');
    await redis.set(token, writeRecord({ UserEmail: body.email, MonthlyLimit: body.limit, Revoked: body.revoked }));
    // #174 put the address where the token belongs.
    const secret = regressions.has('email-wrong-field') ? entry.user.email : token;
    const sent = await mailer.send(welcomeEmail({ name: entry.user.name, email: entry.user.email }, secret));
    if (!sent.ok) request.log.warn({ transport: mailer.transport, status: sent.status, error: sent.error }, 'welcome email not sent');
    await redis.lrem(WAITING_LIST_KEY, 0, entry.raw);
    return message(reply, 200, 'OK');
  }));

  app.put('/api/revoke', handle(async (request, reply) => {
    const token = readTokenBody(request);
    const raw = await redis.get(token);
    if (raw === null) return message(reply, 400, 'User does not exists');
    const stored = readTokenRecord(raw, casing);
    // Keeps MonthlyLimit (the .NET service reset it to 0); the SET has no expiry, like before.
    const revoked = writeRecord({ UserEmail: stored.UserEmail, MonthlyLimit: stored.MonthlyLimit, Revoked: true });
    if (regressions.has('revoke-empty-key')) {
      // HEAD's `registered_user.token` was always None: the record went to the wrong key and the call failed.
      await redis.set('', revoked);
      throw new ServiceError('revoke wrote under the empty key');
    }
    await redis.set(token, revoked);
    return message(reply, 200, 'OK');
  }));

  app.post('/api/trial', handle(async (_request, reply) => {
    const trial = newTrialCredentials();
    await redis.set(trial.token, writeRecord({ UserEmail: trial.email, MonthlyLimit: TRIAL_MONTHLY_LIMIT, Revoked: false }), 'EX', TRIAL_TTL_SECONDS);
    return sendJson(reply, 200, { token: trial.token });
  }));

  // axum: an empty 405 for a known path with another method, an empty 404 otherwise.
  app.setNotFoundHandler((request, reply) => {
    const allowed = ROUTES[request.url.split('?')[0] ?? ''];
    if (allowed !== undefined) return reply.code(405).header('allow', allowed).send();
    return reply.code(404).send();
  });
  return app;
}
