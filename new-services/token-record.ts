/**
 * The rewrite's token record codec: serde with `#[serde(rename = "UserEmail")]`… (fix #172): case-exact names,
 * all three fields required, unknown fields ignored. Under the `token-casing` regression it uses the pre-fix
 * snake_case names for both reading and writing.
 */
import type { TokenRecord } from '../pesto-common/pesto-model.js';

/** RecordCasing picks the field names: `pascal` (correct) or `snake` (regression #172). */
export type RecordCasing = 'pascal' | 'snake';

const NAMES = {
  pascal: { email: 'UserEmail', limit: 'MonthlyLimit', revoked: 'Revoked' },
  snake: { email: 'user_email', limit: 'monthly_limit', revoked: 'revoked' },
} as const;

/** TokenRecordError is a serde-style deserialization failure (the services answer 500 on it). */
export class TokenRecordError extends Error {
  override readonly name = 'TokenRecordError';
}

/** readTokenRecord parses a stored record strictly, like serde_json into the Rust `TokenValue`. */
export function readTokenRecord(raw: string, casing: RecordCasing): TokenRecord {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new TokenRecordError(`invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenRecordError('invalid type: expected struct TokenValue');
  const record = value as Record<string, unknown>;
  const names = NAMES[casing];
  const email = record[names.email];
  const limit = record[names.limit];
  const revoked = record[names.revoked];
  if (email === undefined) throw new TokenRecordError(`missing field \`${names.email}\``);
  if (limit === undefined) throw new TokenRecordError(`missing field \`${names.limit}\``);
  if (revoked === undefined) throw new TokenRecordError(`missing field \`${names.revoked}\``);
  if (typeof email !== 'string') throw new TokenRecordError(`invalid type for \`${names.email}\`, expected a string`);
  // i64: an integral JSON number within the range JavaScript can hold exactly.
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) throw new TokenRecordError(`invalid type for \`${names.limit}\`, expected i64`);
  if (typeof revoked !== 'boolean') throw new TokenRecordError(`invalid type for \`${names.revoked}\`, expected a boolean`);
  return { UserEmail: email, MonthlyLimit: limit, Revoked: revoked };
}

/** writeTokenRecord serializes like serde_json (declaration order, non-ASCII written raw). */
export function writeTokenRecord(record: TokenRecord, casing: RecordCasing): string {
  const names = NAMES[casing];
  return JSON.stringify({ [names.email]: record.UserEmail, [names.limit]: record.MonthlyLimit, [names.revoked]: record.Revoked });
}
