/**
 * createLegacyRegistration: a faithful stand-in of Pesto's legacy .NET 7 registration (pesto-contracts.md §2a):
 * MVC-style binding and ValidationProblemDetails, empty 201/202/200 answers, plain-string 400s, the bare trial token,
 * and every Redis value written with .NET's default JSON escaping.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  TRIAL_MONTHLY_LIMIT, TRIAL_TTL_SECONDS, WAITING_LIST_KEY, newTrialCredentials,
} from '../../pesto-common/pesto-model.js';
import { acceptsJson, connectRedis, createServiceApp, type ServiceBaseOptions } from '../../pesto-common/service-kit.js';
import { dotnetJsonSerialize, dotnetJsonString } from './dotnet-json.js';
import { bindModel, type ModelSpec } from './model-binding.js';
import { PROBLEM_CONTENT_TYPE, unsupportedMediaTypeProblem, validationProblem } from './problem-details.js';

/** LegacyRegistrationOptions configure the legacy registration stand-in. */
export type LegacyRegistrationOptions = ServiceBaseOptions;

/** USER_MODEL is `Models/User.cs`. */
export const USER_MODEL: ModelSpec = {
  typeName: 'Registration.Models.User',
  parameter: 'user',
  fields: [
    { property: 'Name', json: 'name', kind: 'string', required: true },
    { property: 'Email', json: 'email', kind: 'string', required: true, email: true },
    { property: 'Building', json: 'building', kind: 'string', required: true },
    { property: 'Calls', json: 'calls', kind: 'int32', required: true },
  ],
};

/** USER_TOKEN_MODEL is `Models/UserToken.cs`. */
export const USER_TOKEN_MODEL: ModelSpec = {
  typeName: 'Registration.Models.UserToken',
  parameter: 'userToken',
  fields: [
    { property: 'Email', json: 'email', kind: 'string', required: true, email: true },
    { property: 'Token', json: 'token', kind: 'string', required: true },
    { property: 'Limit', json: 'limit', kind: 'int32', required: true },
  ],
};

/** WaitingUser is one waiting-list item as the .NET `User` class reads it back (case-sensitive default options). */
interface WaitingUser {
  name: string | null;
  email: string | null;
  building: string | null;
  calls: number;
}

const JSON_MEDIA = /^(application\/json|text\/json|application\/[^;]*\+json)\s*(;|$)/i;
const ROUTES: Record<string, string> = {
  '/api/register': 'POST', '/api/pending': 'GET', '/api/approve': 'PUT', '/api/revoke': 'PUT', '/api/trial': 'POST', '/healthz': 'GET',
};

class DotnetException extends Error {}

function readWaitingUser(raw: string): WaitingUser {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DotnetException('not a User');
  const item = value as Record<string, unknown>;
  const text = (key: string): string | null => {
    const field = item[key];
    if (field === undefined || field === null) return null;
    if (typeof field !== 'string') throw new DotnetException(`$.${key} is not a string`);
    return field;
  };
  const calls = item.calls ?? 0;
  if (typeof calls !== 'number' || !Number.isInteger(calls)) throw new DotnetException('$.calls is not an Int32');
  return { name: text('name'), email: text('email'), building: text('building'), calls };
}

function serializeUser(user: WaitingUser): string {
  return dotnetJsonSerialize({ name: user.name, email: user.email, building: user.building, calls: user.calls });
}

async function readWaitingList(redis: Redis): Promise<WaitingUser[]> {
  return (await redis.lrange(WAITING_LIST_KEY, 0, -1)).map(readWaitingUser);
}

// `BadRequest("...")`/`Ok(token)`: the string formatter wins unless the client asked for JSON only.
function sendString(request: FastifyRequest, reply: FastifyReply, status: number, text: string): FastifyReply {
  if (acceptsJson(request.headers.accept)) {
    return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(dotnetJsonString(text));
  }
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(text);
}

/** createLegacyRegistration returns the fastify app of the legacy registration; `app.close()` quits Redis. */
export function createLegacyRegistration(options: LegacyRegistrationOptions): FastifyInstance {
  const app = createServiceApp({ logLevel: options.logLevel, logStream: options.logStream, caseSensitive: false, ignoreTrailingSlash: true });
  const redis = connectRedis(app, options.redisUrl);

  // Keep bodies raw: binding, 415 and problem details are decided the .NET way in `bind`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const bind = (spec: ModelSpec, request: FastifyRequest, reply: FastifyReply): Record<string, unknown> | undefined => {
    const contentType = request.headers['content-type'];
    if (contentType === undefined || !JSON_MEDIA.test(contentType)) {
      void reply.code(415).header('content-type', PROBLEM_CONTENT_TYPE).send(unsupportedMediaTypeProblem());
      return undefined;
    }
    const result = bindModel(spec, typeof request.body === 'string' ? request.body : '');
    if (!result.ok) {
      void reply.code(400).header('content-type', PROBLEM_CONTENT_TYPE).send(validationProblem(result.errors));
      return undefined;
    }
    return result.model;
  };

  app.post('/api/register', async (request, reply) => {
    const model = bind(USER_MODEL, request, reply);
    if (model === undefined) return reply;
    const user: WaitingUser = {
      name: model.Name as string, email: model.Email as string, building: model.Building as string, calls: model.Calls as number,
    };
    const waiting = await readWaitingList(redis);
    // C# string.Equals: ordinal and case-sensitive.
    if (waiting.some((item) => item.email === user.email)) return reply.code(202).send();
    await redis.rpush(WAITING_LIST_KEY, serializeUser(user));
    // `Created(new Uri("/register"), null)`: on Linux the relative-looking Uri parses as a file URI.
    return reply.code(201).header('location', 'file:///register').send();
  });

  app.get('/api/pending', async (_request, reply) => {
    const waiting = await readWaitingList(redis);
    const body = dotnetJsonSerialize(waiting.map((user) => ({ name: user.name, email: user.email, building: user.building, calls: user.calls })));
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  });

  app.put('/api/approve', async (request, reply) => {
    const model = bind(USER_TOKEN_MODEL, request, reply);
    if (model === undefined) return reply;
    const email = model.Email as string;
    const waiting = await readWaitingList(redis);
    if (!waiting.some((user) => user.email === email)) return sendString(request, reply, 400, 'Email does not exists');
    // No check for an existing token: approving twice overwrites the record.
    await redis.set(model.Token as string, dotnetJsonSerialize({ UserEmail: email, MonthlyLimit: model.Limit as number, Revoked: false }));
    const remaining = waiting.filter((user) => user.email !== email);
    const rewrite = redis.multi().del(WAITING_LIST_KEY);
    if (remaining.length > 0) rewrite.rpush(WAITING_LIST_KEY, ...remaining.map(serializeUser));
    await rewrite.exec();
    return reply.code(200).send();
  });

  app.put('/api/revoke', async (request, reply) => {
    const model = bind(USER_TOKEN_MODEL, request, reply);
    if (model === undefined) return reply;
    const token = model.Token as string;
    const raw = await redis.get(token);
    if (raw === null) return sendString(request, reply, 400, 'User does not exists');
    const stored: unknown = JSON.parse(raw);
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw new DotnetException('not a RegisteredUser');
    const { UserEmail: userEmail, MonthlyLimit: limit, Revoked: revoked } = stored as Record<string, unknown>;
    // Default JsonSerializer options: case-sensitive names, strict types; a mismatch throws (→ 500).
    if (userEmail !== undefined && userEmail !== null && typeof userEmail !== 'string') throw new DotnetException('$.UserEmail');
    if (limit !== undefined && !(typeof limit === 'number' && Number.isInteger(limit))) throw new DotnetException('$.MonthlyLimit');
    if (revoked !== undefined && typeof revoked !== 'boolean') throw new DotnetException('$.Revoked');
    // The limit is reset to 0 and the SET has no expiry, so a revoked trial key loses its TTL.
    await redis.set(token, dotnetJsonSerialize({ UserEmail: (userEmail as string | undefined) ?? null, MonthlyLimit: 0, Revoked: true }));
    return reply.code(200).send();
  });

  app.post('/api/trial', async (request, reply) => {
    const trial = newTrialCredentials();
    await redis.set(trial.token, dotnetJsonSerialize({ UserEmail: trial.email, MonthlyLimit: TRIAL_MONTHLY_LIMIT, Revoked: false }), 'EX', TRIAL_TTL_SECONDS);
    return sendString(request, reply, 200, trial.token);
  });

  app.get('/healthz', async (_request, reply) => {
    await redis.ping();
    return reply.code(200).send();
  });

  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').toLowerCase().replace(/\/+$/, '');
    const allowed = ROUTES[path];
    // Endpoint routing answers 405 (empty) for a known path with another method, 404 (empty) otherwise.
    if (allowed !== undefined) return reply.code(405).header('allow', allowed).send();
    return reply.code(404).send();
  });

  // Production ASP.NET Core: an unhandled exception is an empty 500; fastify's own 4xx keep their status.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled exception');
    return reply.code(status).send();
  });
  return app;
}
