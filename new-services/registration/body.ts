/**
 * Request bodies of the rewritten registration, read like axum's `Json<T>` extractor with serde: wrong content type
 * → 415, bad syntax → 400, missing field or wrong type → 422, each with a plain-text body. Field names are
 * case-sensitive; serde aliases are honoured and naming a field twice is an error.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** HumanUser is a waiting-list entry (`building` may be null). */
export interface HumanUser {
  name: string;
  email: string;
  building: string | null;
  calls: number;
}

/** ApproveBody is TokenValue after fix #173: token optional, `UserEmail`/`email`, `MonthlyLimit`/`limit`, `Revoked` default false. */
export interface ApproveBody {
  token: string | undefined;
  email: string;
  limit: number;
  revoked: boolean;
}

/** BodyRejection is an axum extractor rejection. */
export class BodyRejection extends Error {
  constructor(readonly status: 400 | 415 | 422, message: string) {
    super(message);
  }
}

const JSON_MEDIA = /^application\/(json|[^;\s]+\+json)\s*(;|$)/i;

function dataError(detail: string): BodyRejection {
  return new BodyRejection(422, `Failed to deserialize the JSON body into the target type: ${detail}`);
}

/** readJsonObject applies axum's content-type and syntax checks and returns the top-level object. */
export function readJsonObject(request: FastifyRequest): Record<string, unknown> {
  const contentType = request.headers['content-type'];
  if (contentType === undefined || !JSON_MEDIA.test(contentType)) {
    throw new BodyRejection(415, 'Expected request with `Content-Type: application/json`');
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch (error) {
    throw new BodyRejection(400, `Failed to parse the request body as JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw dataError('invalid type: expected a struct');
  return value as Record<string, unknown>;
}

// serde: a field may be spelled by its name or any alias, but only once.
function pick(object: Record<string, unknown>, names: readonly string[]): unknown {
  const present = names.filter((name) => Object.hasOwn(object, name));
  if (present.length > 1) throw dataError(`duplicate field \`${names[0]}\``);
  return present.length === 1 ? object[present[0] as string] : undefined;
}

function requiredString(object: Record<string, unknown>, names: readonly string[]): string {
  const value = pick(object, names);
  if (value === undefined) throw dataError(`missing field \`${names[0]}\``);
  if (typeof value !== 'string') throw dataError(`${names[0]}: invalid type, expected a string`);
  return value;
}

function requiredI64(object: Record<string, unknown>, names: readonly string[]): number {
  const value = pick(object, names);
  if (value === undefined) throw dataError(`missing field \`${names[0]}\``);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw dataError(`${names[0]}: invalid type, expected i64`);
  return value;
}

/** readHumanUser reads `{name, email, building?, calls}`. */
export function readHumanUser(request: FastifyRequest): HumanUser {
  const object = readJsonObject(request);
  const building = pick(object, ['building']);
  if (building !== undefined && building !== null && typeof building !== 'string') throw dataError('building: invalid type, expected a string');
  return {
    name: requiredString(object, ['name']),
    email: requiredString(object, ['email']),
    building: (building as string | null | undefined) ?? null,
    calls: requiredI64(object, ['calls']),
  };
}

/** readApproveBody reads the approve body in the legacy `{email, token, limit}` or the PascalCase spelling. */
export function readApproveBody(request: FastifyRequest): ApproveBody {
  const object = readJsonObject(request);
  const token = pick(object, ['Token', 'token']);
  if (token !== undefined && token !== null && typeof token !== 'string') throw dataError('Token: invalid type, expected a string');
  const revoked = pick(object, ['Revoked']);
  if (revoked !== undefined && typeof revoked !== 'boolean') throw dataError('Revoked: invalid type, expected a boolean');
  return {
    token: (token as string | null | undefined) ?? undefined,
    email: requiredString(object, ['UserEmail', 'email']),
    limit: requiredI64(object, ['MonthlyLimit', 'limit']),
    revoked: revoked ?? false,
  };
}

/** readTokenBody reads revoke's `{"token": "..."}` (other fields are ignored, so the legacy body works too). */
export function readTokenBody(request: FastifyRequest): string {
  return requiredString(readJsonObject(request), ['token']);
}

/** readWaitingUser parses one stored waiting-list item as HumanUser; a bad item throws (the handler 500s). */
export function readWaitingUser(raw: string): HumanUser {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('waiting-list item is not an object');
  const item = value as Record<string, unknown>;
  const { name, email, building, calls } = item;
  if (typeof name !== 'string' || typeof email !== 'string' || typeof calls !== 'number' || !Number.isSafeInteger(calls)
    || (building !== undefined && building !== null && typeof building !== 'string')) {
    throw new Error('waiting-list item does not match HumanUser');
  }
  return { name, email, building: building ?? null, calls };
}

/** sendRejection writes an extractor rejection as axum does: plain text with the rejection's status. */
export function sendRejection(reply: FastifyReply, rejection: BodyRejection): FastifyReply {
  return reply.code(rejection.status).header('content-type', 'text/plain; charset=utf-8').send(rejection.message);
}
