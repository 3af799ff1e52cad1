/**
 * The Pesto domain facts every side agrees on (pesto-contracts.md, "Redis key summary"): key names, TTLs, the
 * trial token format. Shared by the legacy stand-ins and the rewrites so a fact is written once.
 */
import { randomInt } from 'node:crypto';

/** WAITING_LIST_KEY is the Redis list registration appends pending users to. */
export const WAITING_LIST_KEY = 'waiting-list';
/** COUNTER_TTL_SECONDS is the 40-day expiry auth sets on every counter write. */
export const COUNTER_TTL_SECONDS = 60 * 60 * 24 * 40;
/** TRIAL_TTL_SECONDS is the 24 h lifetime of a trial token key. */
export const TRIAL_TTL_SECONDS = 60 * 60 * 24;
/** TRIAL_MONTHLY_LIMIT is the monthly call budget of a trial token. */
export const TRIAL_MONTHLY_LIMIT = 10;
/** TRIAL_EMAIL_DOMAIN is the suffix of generated trial e-mail addresses (auth skips counting them). */
export const TRIAL_EMAIL_DOMAIN = '@pesto.teknologiumum.com';
/** TOKEN_HEADER is the request header carrying the Pesto token. */
export const TOKEN_HEADER = 'x-pesto-token';

/** TokenRecord is the canonical value stored under a token key (PascalCase, no token field inside). */
export interface TokenRecord {
  UserEmail: string;
  MonthlyLimit: number;
  Revoked: boolean;
}

/** monthOf formats a date as the UTC `YYYY-MM` used in counter keys (Go: `time.Now().UTC().Format("2006-01")`). */
export function monthOf(now: Date): string {
  return `${now.getUTCFullYear().toString().padStart(4, '0')}-${(now.getUTCMonth() + 1).toString().padStart(2, '0')}`;
}

/** counterKey is the Redis key of a user's monthly call counter. */
export function counterKey(month: string, userEmail: string): string {
  return `counter/${month}/${userEmail}`;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** randomAlphanumeric draws `length` characters of [a-zA-Z0-9] from the crypto RNG (tokens must not be guessable). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** TrialCredentials are the token and synthetic address of one trial. */
export interface TrialCredentials {
  token: string;
  email: string;
}

/** newTrialCredentials makes `TRIAL-`+58 alphanumerics (64 in total) and `trial-`+20 alphanumerics at the Pesto domain. */
export function newTrialCredentials(): TrialCredentials {
  return { token: `TRIAL-${randomAlphanumeric(58)}`, email: `trial-${randomAlphanumeric(20)}${TRIAL_EMAIL_DOMAIN}` };
}

/** TRIAL_TOKEN_PATTERN matches a trial token. */
export const TRIAL_TOKEN_PATTERN = /^TRIAL-[A-Za-z0-9]{58}$/;
/** TRIAL_EMAIL_PATTERN matches a generated trial address. */
export const TRIAL_EMAIL_PATTERN = /^trial-[A-Za-z0-9]{20}@pesto\.teknologiumum\.com$/;
