/**
 * The Pesto contract suite (pesto-contracts.md), run against the legacy stand-ins and against the rewrite.
 * One table: each case states what legacy answers and what the rewrite answers; where they differ, the case names
 * the intended change (pesto-changes.ts) that explains it. An unnamed difference, or a change no case exercises,
 * fails the suite: the rewrite may only differ where the team said so.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer, type TestRedis } from '../testing/redis-server.js';
import { INTENDED_CHANGES, INTENDED_CHANGE_IDS, type IntendedChangeId } from './pesto-changes.js';
import {
  COUNTER_TTL_SECONDS, TRIAL_EMAIL_PATTERN, TRIAL_TOKEN_PATTERN, TRIAL_TTL_SECONDS, WAITING_LIST_KEY, counterKey, monthOf,
} from '../pesto-common/pesto-model.js';

/** SideName says which implementation a run checks. */
export type SideName = 'legacy' | 'rewrite';

/** PestoUnderTest is one running implementation: auth, registration and (rewrite) the mail sink. */
export interface PestoUnderTest {
  authUrl: string;
  registrationUrl: string;
  /** Base URL of the mail sink the registration mails through, when it sends mail. */
  mailSinkUrl?: string;
  close(): Promise<void>;
}

/** PestoImplementation starts an implementation against a Redis URL. */
export interface PestoImplementation {
  side: SideName;
  /** How the run is named in the test output (default the side), e.g. "legacy through figway at weight 0". */
  label?: string;
  start(redisUrl: string): Promise<PestoUnderTest>;
}

/** CaseContext is what setup and checks can use. */
export interface CaseContext {
  redis: Redis;
  urls: PestoUnderTest;
  month: string;
  side: SideName;
}

/** RequestSpec is one HTTP request of a case. */
export interface RequestSpec {
  service: 'auth' | 'registration';
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as the body with `Content-Type: application/json` unless headers say otherwise. */
  json?: unknown;
  body?: string;
}

/** Answer is a response as the suite sees it. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** BodyExpectation states the response body. */
export type BodyExpectation =
  | { empty: true }
  | { text: string }
  | { json: unknown }
  | { matches: RegExp };

/** Outcome is what one side must answer, plus checks of Redis (and mail) afterwards. */
export interface Outcome {
  status: number;
  /** Exact Content-Type; null means the header must be absent. Undefined: not checked. */
  contentType?: string | null;
  body?: BodyExpectation;
  /** Header name → exact value, pattern, or null for "absent". */
  headers?: Record<string, string | RegExp | null>;
  check?: (ctx: CaseContext, answer: Answer) => Promise<void>;
}

/** ContractCase is one row of the expectations table. */
export interface ContractCase {
  title: string;
  setup?: (ctx: CaseContext) => Promise<void>;
  /** The request, or a function building it from state the setup created (e.g. a token handed out at run time). */
  request: RequestSpec | ((ctx: CaseContext) => Promise<RequestSpec>);
  legacy: Outcome;
  rewrite: Outcome;
  /** Intended changes explaining every difference between `legacy` and `rewrite`. */
  changes: IntendedChangeId[];
}

function same(title: string, request: ContractCase['request'], outcome: Outcome, setup?: ContractCase['setup']): ContractCase {
  return { title, request, legacy: outcome, rewrite: outcome, changes: [], ...(setup !== undefined ? { setup } : {}) };
}

function changed(
  title: string, changes: IntendedChangeId[], request: ContractCase['request'], legacy: Outcome, rewrite: Outcome, setup?: ContractCase['setup'],
): ContractCase {
  return { title, request, legacy, rewrite, changes, ...(setup !== undefined ? { setup } : {}) };
}

// ---- helpers used by the table ------------------------------------------------------------------------------

/** seedRecord writes a token record as the legacy registration did (PascalCase, no TTL). */
async function seedRecord(redis: Redis, token: string, email: string, limit: number, revoked = false): Promise<void> {
  await redis.set(token, JSON.stringify({ UserEmail: email, MonthlyLimit: limit, Revoked: revoked }));
}

async function seedWaiting(redis: Redis, user: { name: string; email: string; building: string; calls: number }): Promise<void> {
  await redis.rpush(WAITING_LIST_KEY, JSON.stringify(user));
}

/** eventually retries `check` (bounded) because the legacy auth writes its counter after answering. */
async function eventually(check: () => Promise<void>, attempts = 200): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

// Absence cannot be polled for; give the legacy fire-and-forget write time to land before checking it did not.
async function quiet(side: SideName): Promise<void> {
  if (side === 'legacy') await new Promise((resolve) => setTimeout(resolve, 150));
}

function counterIs(email: string, expected: string | null): (ctx: CaseContext) => Promise<void> {
  return async (ctx) => {
    const key = counterKey(ctx.month, email);
    if (expected === null) {
      await quiet(ctx.side);
      assert.equal(await ctx.redis.get(key), null, `${key} must not be written`);
      return;
    }
    await eventually(async () => assert.equal(await ctx.redis.get(key), expected, key));
    const ttl = await ctx.redis.ttl(key);
    assert.ok(ttl > COUNTER_TTL_SECONDS - 60 && ttl <= COUNTER_TTL_SECONDS, `counter TTL is 40 days, got ${ttl}`);
  };
}

async function waitingEmails(redis: Redis): Promise<string[]> {
  return (await redis.lrange(WAITING_LIST_KEY, 0, -1)).map((raw) => (JSON.parse(raw) as { email: string }).email);
}

async function storedRecord(redis: Redis, token: string): Promise<unknown> {
  const raw = await redis.get(token);
  assert.notEqual(raw, null, `record under ${token}`);
  return JSON.parse(raw as string);
}

interface CapturedMailView {
  to: Array<{ email: string }>;
  text: string;
  html: string;
}

async function capturedMail(urls: PestoUnderTest): Promise<CapturedMailView[]> {
  assert.ok(urls.mailSinkUrl, 'the rewrite under test needs a mail sink');
  const response = await fetch(`${urls.mailSinkUrl}/messages`);
  return (await response.json()) as CapturedMailView[];
}

const json = 'application/json';
const goAuthOk: Outcome = {
  status: 200, contentType: null, body: { empty: true },
  headers: { 'sentry-trace': /^[0-9a-f]{32}-[0-9a-f]{16}-1$/, baggage: /sentry-trace_id=[0-9a-f]{32}/ },
};
const rustAuthOk: Outcome = {
  status: 200, contentType: 'text/plain; charset=utf-8', body: { empty: true }, headers: { 'sentry-trace': null, baggage: null },
};
const okChanges: IntendedChangeId[] = ['auth-success-content-type', 'auth-no-sentry-headers'];
const withCheck = (outcome: Outcome, check: Outcome['check']): Outcome => ({ ...outcome, ...(check !== undefined ? { check } : {}) });
const message = (status: number, text: string, contentType = json): Outcome => ({ status, contentType, body: { json: { message: text } } });
const auth = (token: string | undefined, extra: Partial<RequestSpec> = {}): RequestSpec => ({
  service: 'auth', path: '/', ...(token !== undefined ? { headers: { 'x-pesto-token': token } } : {}), ...extra,
});
const problem = (errorKeys: string[]): Outcome => ({
  status: 400, contentType: 'application/problem+json; charset=utf-8',
  check: async (_ctx, answer) => {
    const body = JSON.parse(answer.text) as { type: string; title: string; status: number; errors: Record<string, string[]>; traceId: string };
    assert.equal(body.type, 'https://tools.ietf.org/html/rfc9110#section-15.5.1');
    assert.equal(body.title, 'One or more validation errors occurred.');
    assert.equal(body.status, 400);
    assert.deepEqual(Object.keys(body.errors), errorKeys);
    assert.match(body.traceId, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  },
});
const plainRejection = (status: number): Outcome => ({ status, contentType: 'text/plain; charset=utf-8', body: { matches: /\S/ } });
const ADA = { name: 'Ada', email: 'ada@example.com', building: 'Analytical Engine', calls: 3 };
const register = (body: unknown): RequestSpec => ({ service: 'registration', method: 'POST', path: '/api/register', json: body });
const put = (path: string, body: unknown): RequestSpec => ({ service: 'registration', method: 'PUT', path, json: body });
const listIs = (emails: string[]) => async (ctx: CaseContext) => assert.deepEqual(await waitingEmails(ctx.redis), emails);

/** CASES is the expectations table. */
export const CASES: ContractCase[] = [
  // ---- auth (§1) --------------------------------------------------------------------------------------------
  same('auth answers 401 "Token must be supplied" without X-Pesto-Token', auth(undefined), message(401, 'Token must be supplied')),
  changed('auth answers 401 on an empty X-Pesto-Token', ['auth-empty-token'], auth(''),
    message(401, 'Token must be supplied'), message(401, 'Token not registered')),
  same('auth answers 401 "Token not registered" for an unknown token', auth('unknown-token'), message(401, 'Token not registered')),
  same('auth answers 401 "Token has been revoked" for a revoked token', auth('tok-revoked'), message(401, 'Token has been revoked'),
    (ctx) => seedRecord(ctx.redis, 'tok-revoked', 'revoked@example.com', 100, true)),
  changed('auth answers 200 with an empty body for a valid token and counts the call', okChanges, auth('tok-valid'),
    withCheck(goAuthOk, counterIs('valid@example.com', '1')), withCheck(rustAuthOk, counterIs('valid@example.com', '1')),
    (ctx) => seedRecord(ctx.redis, 'tok-valid', 'valid@example.com', 100)),
  changed('auth has the counter in Redis by the time it answers', ['auth-sync-increment', ...okChanges], auth('tok-sync'),
    goAuthOk,
    withCheck(rustAuthOk, async (ctx) => assert.equal(await ctx.redis.get(counterKey(ctx.month, 'sync@example.com')), '1')),
    (ctx) => seedRecord(ctx.redis, 'tok-sync', 'sync@example.com', 100)),
  changed('auth lets a counter equal to MonthlyLimit through (limit+1 calls a month)', okChanges, auth('tok-edge'),
    withCheck(goAuthOk, counterIs('edge@example.com', '3')), withCheck(rustAuthOk, counterIs('edge@example.com', '3')),
    async (ctx) => {
      await seedRecord(ctx.redis, 'tok-edge', 'edge@example.com', 2);
      await ctx.redis.set(counterKey(ctx.month, 'edge@example.com'), '2');
    }),
  same('auth answers 429 "Monthly limit exceeded" above MonthlyLimit and leaves the counter alone', auth('tok-over'),
    withCheck(message(429, 'Monthly limit exceeded'), async (ctx) => {
      await quiet(ctx.side);
      assert.equal(await ctx.redis.get(counterKey(ctx.month, 'over@example.com')), '3');
    }),
    async (ctx) => {
      await seedRecord(ctx.redis, 'tok-over', 'over@example.com', 2);
      await ctx.redis.set(counterKey(ctx.month, 'over@example.com'), '3');
    }),
  changed('auth does not count trial addresses', okChanges, auth('tok-trial'),
    withCheck(goAuthOk, counterIs('trial-abc@pesto.teknologiumum.com', null)),
    withCheck(rustAuthOk, counterIs('trial-abc@pesto.teknologiumum.com', null)),
    (ctx) => seedRecord(ctx.redis, 'tok-trial', 'trial-abc@pesto.teknologiumum.com', 10)),
  changed('auth counts a mixed-case trial address only on legacy', ['auth-trial-any-case', ...okChanges], auth('tok-trial-case'),
    withCheck(goAuthOk, counterIs('Trial-abc@pesto.teknologiumum.com', '1')),
    withCheck(rustAuthOk, counterIs('Trial-abc@pesto.teknologiumum.com', null)),
    (ctx) => seedRecord(ctx.redis, 'tok-trial-case', 'Trial-abc@pesto.teknologiumum.com', 10)),
  changed('auth answers POST /', ['auth-any-method', ...okChanges], auth('tok-post', { method: 'POST' }),
    withCheck({ status: 405, contentType: null, body: { empty: true } }, counterIs('post@example.com', null)),
    withCheck(rustAuthOk, counterIs('post@example.com', '1')),
    (ctx) => seedRecord(ctx.redis, 'tok-post', 'post@example.com', 100)),
  changed('auth answers a path other than /', ['auth-root-only', ...okChanges], auth('tok-path', { path: '/api/execute' }),
    goAuthOk, { status: 404, body: { empty: true } },
    (ctx) => seedRecord(ctx.redis, 'tok-path', 'path@example.com', 100)),
  changed('auth answers 500 for a record that is not JSON', ['auth-fixed-500-message'], auth('baz'),
    { status: 500, contentType: json, body: { text: '{"message":"\\"invalid character \'b\' looking for beginning of value\\""}' } },
    message(500, 'Internal server error'),
    async (ctx) => { await ctx.redis.set('baz', 'baz'); }),
  changed('auth answers 500 for a counter that is not a number', ['auth-fixed-500-message'], auth('tok-badcounter'),
    { status: 500, contentType: json, body: { json: { message: '"strconv.ParseInt: parsing \\"abc\\": invalid syntax"' } } },
    message(500, 'Internal server error'),
    async (ctx) => {
      await seedRecord(ctx.redis, 'tok-badcounter', 'badcounter@example.com', 100);
      await ctx.redis.set(counterKey(ctx.month, 'badcounter@example.com'), 'abc');
    }),
  changed('auth reads a record with lower-case keys', ['auth-strict-record', 'auth-success-content-type', 'auth-no-sentry-headers'], auth('tok-lower'),
    withCheck(goAuthOk, counterIs('lower@example.com', '1')), message(500, 'Internal server error'),
    async (ctx) => { await ctx.redis.set('tok-lower', '{"useremail":"lower@example.com","monthlylimit":5,"revoked":false,"extra":1}'); }),
  changed('auth reads a record without MonthlyLimit', ['auth-strict-record', 'auth-success-content-type', 'auth-no-sentry-headers'], auth('tok-nolimit'),
    withCheck(goAuthOk, counterIs('nolimit@example.com', '1')), message(500, 'Internal server error'),
    async (ctx) => { await ctx.redis.set('tok-nolimit', '{"UserEmail":"nolimit@example.com","Revoked":false}'); }),
  changed('auth reads a snake_case record (#172 shape)', ['auth-strict-record', 'auth-success-content-type', 'auth-no-sentry-headers'], auth('tok-snake'),
    // Go matches none of the keys: an empty address with limit 0, counted under `counter/<month>/`.
    withCheck(goAuthOk, counterIs('', '1')), message(500, 'Internal server error'),
    async (ctx) => { await ctx.redis.set('tok-snake', '{"user_email":"snake@example.com","monthly_limit":5,"revoked":false}'); }),
  changed('auth answers 200 OK on /healthz', ['auth-healthz-no-ping'], { service: 'auth', path: '/healthz' },
    { status: 200, contentType: 'text/plain; charset=utf-8', body: { text: 'OK' } },
    { status: 200, contentType: 'text/plain; charset=utf-8', body: { text: 'OK' } }),

  // ---- registration (§2) ------------------------------------------------------------------------------------
  changed('registration registers a new user', ['register-json-message'], register(ADA),
    withCheck({ status: 201, contentType: null, body: { empty: true }, headers: { location: 'file:///register' } }, async (ctx) => {
      assert.deepEqual((await ctx.redis.lrange(WAITING_LIST_KEY, 0, -1)).map((raw) => JSON.parse(raw) as unknown), [ADA]);
    }),
    withCheck({ ...message(201, 'Created'), headers: { location: null } }, async (ctx) => {
      assert.deepEqual((await ctx.redis.lrange(WAITING_LIST_KEY, 0, -1)).map((raw) => JSON.parse(raw) as unknown), [ADA]);
    })),
  changed('registration accepts an email already waiting without adding it again', ['register-json-message'], register(ADA),
    withCheck({ status: 202, contentType: null, body: { empty: true } }, listIs([ADA.email])),
    withCheck(message(202, 'Accepted'), listIs([ADA.email])),
    (ctx) => seedWaiting(ctx.redis, ADA)),
  changed('registration treats an email differing only in case as new', ['register-json-message'], register({ ...ADA, email: 'ADA@example.com' }),
    withCheck({ status: 201, contentType: null, body: { empty: true } }, listIs([ADA.email, 'ADA@example.com'])),
    withCheck(message(201, 'Created'), listIs([ADA.email, 'ADA@example.com'])),
    (ctx) => seedWaiting(ctx.redis, ADA)),
  changed('registration validates the email format on register', ['register-no-email-validation', 'register-json-message'], register({ ...ADA, email: 'not-an-email' }),
    withCheck(problem(['Email']), listIs([])), withCheck(message(201, 'Created'), listIs(['not-an-email']))),
  changed('registration requires building on register', ['register-building-optional', 'register-json-message'], register({ name: 'Bo', email: 'bo@example.com', calls: 1 }),
    withCheck(problem(['Building']), listIs([])),
    withCheck(message(201, 'Created'), async (ctx) => {
      assert.deepEqual(JSON.parse((await ctx.redis.lindex(WAITING_LIST_KEY, 0)) ?? 'null'), { name: 'Bo', email: 'bo@example.com', building: null, calls: 1 });
    })),
  changed('registration defaults a missing calls to 0', ['register-calls-required', 'registration-plain-text-rejections'], register({ name: 'Cy', email: 'cy@example.com', building: 'B' }),
    withCheck({ status: 201, contentType: null, body: { empty: true } }, async (ctx) => {
      assert.deepEqual(JSON.parse((await ctx.redis.lindex(WAITING_LIST_KEY, 0)) ?? 'null'), { name: 'Cy', email: 'cy@example.com', building: 'B', calls: 0 });
    }),
    withCheck(plainRejection(422), listIs([]))),
  changed('registration binds PascalCase field names on register', ['registration-case-sensitive-names', 'registration-plain-text-rejections'],
    register({ Name: 'Di', Email: 'di@example.com', Building: 'B', Calls: 2 }),
    withCheck({ status: 201, contentType: null, body: { empty: true } }, listIs(['di@example.com'])),
    withCheck(plainRejection(422), listIs([]))),
  changed('registration refuses a body that is not JSON', ['registration-plain-text-rejections'],
    { service: 'registration', method: 'POST', path: '/api/register', headers: { 'content-type': 'text/plain' }, body: 'hello' },
    { status: 415, contentType: 'application/problem+json; charset=utf-8', body: { matches: /"status":415/ } }, plainRejection(415)),
  changed('registration refuses broken JSON', ['registration-plain-text-rejections'],
    { service: 'registration', method: 'POST', path: '/api/register', headers: { 'content-type': 'application/json' }, body: 'baz' },
    problem(['$', 'user']), plainRejection(400)),
  changed('registration lists pending users', ['registration-content-type'], { service: 'registration', path: '/api/pending' },
    { status: 200, contentType: 'application/json; charset=utf-8', body: { json: [ADA] } },
    { status: 200, contentType: json, body: { json: [ADA] } },
    (ctx) => seedWaiting(ctx.redis, ADA)),
  changed('registration refuses to approve an email that is not waiting', ['approve-json-message'],
    put('/api/approve', { email: 'nobody@example.com', token: 'tok-nobody', limit: 5 }),
    withCheck({ status: 400, contentType: 'text/plain; charset=utf-8', body: { text: 'Email does not exists' } }, async (ctx) => assert.equal(await ctx.redis.exists('tok-nobody'), 0)),
    withCheck(message(400, 'Email does not exists'), async (ctx) => assert.equal(await ctx.redis.exists('tok-nobody'), 0))),
  changed('registration approves a waiting user: stores the PascalCase record without TTL and removes the user', ['approve-json-message', 'approve-sends-email'],
    put('/api/approve', { email: ADA.email, token: 'tok-approve', limit: 100 }),
    withCheck({ status: 200, contentType: null, body: { empty: true } }, async (ctx) => {
      assert.equal(await ctx.redis.get('tok-approve'), '{"UserEmail":"ada@example.com","MonthlyLimit":100,"Revoked":false}');
      assert.equal(await ctx.redis.ttl('tok-approve'), -1);
      assert.deepEqual(await waitingEmails(ctx.redis), ['bo@example.com']);
    }),
    withCheck(message(200, 'OK'), async (ctx) => {
      assert.equal(await ctx.redis.get('tok-approve'), '{"UserEmail":"ada@example.com","MonthlyLimit":100,"Revoked":false}');
      assert.equal(await ctx.redis.ttl('tok-approve'), -1);
      assert.deepEqual(await waitingEmails(ctx.redis), ['bo@example.com']);
      const mail = (await capturedMail(ctx.urls)).filter((item) => item.to[0]?.email === ADA.email);
      assert.equal(mail.length, 1);
      assert.match(mail[0]?.text ?? '', /Your token is: tok-approve\b/);
      assert.match(mail[0]?.html ?? '', /tok-approve/);
    }),
    async (ctx) => {
      await seedWaiting(ctx.redis, ADA);
      await seedWaiting(ctx.redis, { ...ADA, name: 'Bo', email: 'bo@example.com' });
    }),
  changed('registration approves a token that already exists', ['approve-refuses-existing-token', 'approve-json-message'],
    put('/api/approve', { email: ADA.email, token: 'tok-taken', limit: 100 }),
    withCheck({ status: 200, contentType: null, body: { empty: true } }, async (ctx) => {
      assert.deepEqual(await storedRecord(ctx.redis, 'tok-taken'), { UserEmail: ADA.email, MonthlyLimit: 100, Revoked: false });
      assert.deepEqual(await waitingEmails(ctx.redis), []);
    }),
    withCheck(message(400, 'Token already exists'), async (ctx) => {
      assert.deepEqual(await storedRecord(ctx.redis, 'tok-taken'), { UserEmail: 'owner@example.com', MonthlyLimit: 7, Revoked: false });
      assert.deepEqual(await waitingEmails(ctx.redis), [ADA.email]);
    }),
    async (ctx) => {
      await seedWaiting(ctx.redis, ADA);
      await seedRecord(ctx.redis, 'tok-taken', 'owner@example.com', 7);
    }),
  changed('registration approves with a PascalCase body', ['approve-pascal-aliases', 'approve-json-message'],
    put('/api/approve', { UserEmail: ADA.email, Token: 'tok-pascal', MonthlyLimit: 50 }),
    withCheck(problem(['Email', 'Token']), async (ctx) => assert.equal(await ctx.redis.exists('tok-pascal'), 0)),
    withCheck(message(200, 'OK'), async (ctx) => {
      assert.deepEqual(await storedRecord(ctx.redis, 'tok-pascal'), { UserEmail: ADA.email, MonthlyLimit: 50, Revoked: false });
    }),
    (ctx) => seedWaiting(ctx.redis, ADA)),
  changed('registration revokes a token given the legacy {email, token, limit} body', ['revoke-json-message', 'revoke-keeps-limit'],
    put('/api/revoke', { email: 'rev@example.com', token: 'tok-rev', limit: 0 }),
    withCheck({ status: 200, contentType: null, body: { empty: true } }, async (ctx) => {
      assert.equal(await ctx.redis.get('tok-rev'), '{"UserEmail":"rev@example.com","MonthlyLimit":0,"Revoked":true}');
      assert.equal(await ctx.redis.ttl('tok-rev'), -1);
    }),
    withCheck(message(200, 'OK'), async (ctx) => {
      assert.equal(await ctx.redis.get('tok-rev'), '{"UserEmail":"rev@example.com","MonthlyLimit":100,"Revoked":true}');
      assert.equal(await ctx.redis.ttl('tok-rev'), -1);
      assert.equal(await ctx.redis.exists(''), 0);
    }),
    (ctx) => seedRecord(ctx.redis, 'tok-rev', 'rev@example.com', 100)),
  changed('registration revokes a token given only {"token"}', ['revoke-token-only', 'revoke-json-message'], put('/api/revoke', { token: 'tok-rev2' }),
    withCheck(problem(['Email']), async (ctx) => assert.deepEqual(await storedRecord(ctx.redis, 'tok-rev2'), { UserEmail: 'rev2@example.com', MonthlyLimit: 9, Revoked: false })),
    withCheck(message(200, 'OK'), async (ctx) => assert.deepEqual(await storedRecord(ctx.redis, 'tok-rev2'), { UserEmail: 'rev2@example.com', MonthlyLimit: 9, Revoked: true })),
    (ctx) => seedRecord(ctx.redis, 'tok-rev2', 'rev2@example.com', 9)),
  changed('registration refuses to revoke an unknown token', ['revoke-json-message'], put('/api/revoke', { email: 'x@example.com', token: 'tok-none', limit: 1 }),
    { status: 400, contentType: 'text/plain; charset=utf-8', body: { text: 'User does not exists' } }, message(400, 'User does not exists')),
  changed('registration issues a trial token with a 24 h, limit-10 record', ['trial-token-object'], { service: 'registration', method: 'POST', path: '/api/trial' },
    withCheck({ status: 200, contentType: 'text/plain; charset=utf-8', body: { matches: TRIAL_TOKEN_PATTERN } }, (ctx, answer) => checkTrial(ctx, answer.text)),
    withCheck({ status: 200, contentType: json, body: { matches: /^\{"token":"TRIAL-[A-Za-z0-9]{58}"\}$/ } },
      (ctx, answer) => checkTrial(ctx, (JSON.parse(answer.text) as { token: string }).token))),
  changed('registration issues a trial token to a client asking for JSON', ['trial-token-object'],
    { service: 'registration', method: 'POST', path: '/api/trial', headers: { accept: 'application/json' } },
    { status: 200, contentType: 'application/json; charset=utf-8', body: { matches: /^"TRIAL-[A-Za-z0-9]{58}"$/ } },
    { status: 200, contentType: json, body: { matches: /^\{"token":"TRIAL-[A-Za-z0-9]{58}"\}$/ } }),
  changed('registration answers 200 on /healthz', ['registration-healthz-text'], { service: 'registration', path: '/healthz' },
    { status: 200, contentType: null, body: { empty: true } },
    { status: 200, contentType: 'text/plain; charset=utf-8', body: { text: 'OK' } }),

  // ---- both services together --------------------------------------------------------------------------------
  changed('a token approved by registration authenticates', okChanges, auth('tok-flow'),
    withCheck(goAuthOk, counterIs(ADA.email, '1')), withCheck(rustAuthOk, counterIs(ADA.email, '1')),
    async (ctx) => {
      await call(ctx, register(ADA));
      await call(ctx, put('/api/approve', { email: ADA.email, token: 'tok-flow', limit: 5 }));
    }),
  same('a token revoked by registration answers 401 "Token has been revoked"', auth('tok-flow-rev'), message(401, 'Token has been revoked'),
    async (ctx) => {
      await call(ctx, register(ADA));
      await call(ctx, put('/api/approve', { email: ADA.email, token: 'tok-flow-rev', limit: 5 }));
      await call(ctx, put('/api/revoke', { email: ADA.email, token: 'tok-flow-rev', limit: 5 }));
    }),
  changed('a trial token authenticates without being counted', okChanges,
    async (ctx) => {
      const answer = await call(ctx, { service: 'registration', method: 'POST', path: '/api/trial' });
      return auth(answer.text.startsWith('{') ? (JSON.parse(answer.text) as { token: string }).token : answer.text);
    },
    withCheck(goAuthOk, async (ctx) => { await quiet(ctx.side); assert.deepEqual(await ctx.redis.keys('counter/*'), []); }),
    withCheck(rustAuthOk, async (ctx) => { assert.deepEqual(await ctx.redis.keys('counter/*'), []); })),
];

async function checkTrial(ctx: CaseContext, token: string): Promise<void> {
  assert.match(token, TRIAL_TOKEN_PATTERN);
  const record = (await storedRecord(ctx.redis, token)) as { UserEmail: string; MonthlyLimit: number; Revoked: boolean };
  assert.match(record.UserEmail, TRIAL_EMAIL_PATTERN);
  assert.equal(record.MonthlyLimit, 10);
  assert.equal(record.Revoked, false);
  const ttl = await ctx.redis.ttl(token);
  assert.ok(ttl > TRIAL_TTL_SECONDS - 60 && ttl <= TRIAL_TTL_SECONDS, `trial TTL is 24 h, got ${ttl}`);
}

/** call sends one request of the table to the implementation under test. */
export async function call(ctx: Pick<CaseContext, 'urls'>, spec: RequestSpec): Promise<Answer> {
  const base = spec.service === 'auth' ? ctx.urls.authUrl : ctx.urls.registrationUrl;
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  let body: string | undefined = spec.body;
  if (spec.json !== undefined) {
    body = JSON.stringify(spec.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${spec.path}`, { method: spec.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function checkOutcome(outcome: Outcome, answer: Answer): void {
  assert.equal(answer.status, outcome.status, `status (body ${JSON.stringify(answer.text)})`);
  if (outcome.contentType !== undefined) assert.equal(answer.headers.get('content-type'), outcome.contentType, 'content-type');
  const body = outcome.body;
  if (body !== undefined) {
    if ('empty' in body) assert.equal(answer.text, '', 'body must be empty');
    else if ('text' in body) assert.equal(answer.text, body.text);
    else if ('matches' in body) assert.match(answer.text, body.matches);
    else assert.deepEqual(JSON.parse(answer.text) as unknown, body.json);
  }
  for (const [name, expected] of Object.entries(outcome.headers ?? {})) {
    const actual = answer.headers.get(name);
    if (expected === null) assert.equal(actual, null, `header ${name} must be absent`);
    else if (typeof expected === 'string') assert.equal(actual, expected, `header ${name}`);
    else assert.match(actual ?? '', expected, `header ${name}`);
  }
}

/** outcomesDiffer compares the declarative parts of two outcomes (checks are code and are not compared). */
export function outcomesDiffer(a: Outcome, b: Outcome): boolean {
  const plain = (outcome: Outcome) => ({ status: outcome.status, contentType: outcome.contentType, body: outcome.body, headers: outcome.headers });
  try {
    assert.deepEqual(plain(a), plain(b));
    return a.check !== b.check;
  } catch {
    return true;
  }
}

/** runPestoContractSuite registers the suite for one implementation with its own Redis. */
export function runPestoContractSuite(implementation: PestoImplementation): void {
  describe(`Pesto contract (${implementation.label ?? implementation.side})`, () => {
    let server: TestRedis;
    let redis: Redis;
    let urls: PestoUnderTest;
    before(async () => {
      server = await startRedisServer();
      redis = new Redis(server.url);
      urls = await implementation.start(server.url);
    });
    after(async () => {
      await urls.close();
      redis.disconnect();
      await server.stop();
    });
    beforeEach(async () => {
      await redis.flushdb();
    });
    afterEach(async () => {
      if (urls.mailSinkUrl !== undefined) await fetch(`${urls.mailSinkUrl}/messages`, { method: 'DELETE' });
    });

    it('names an intended change for every difference between legacy and rewrite', () => {
      const unexplained = CASES.filter((contractCase) => outcomesDiffer(contractCase.legacy, contractCase.rewrite) && contractCase.changes.length === 0);
      assert.deepEqual(unexplained.map((contractCase) => contractCase.title), []);
    });
    it('exercises every intended change in at least one case', () => {
      const used = new Set(CASES.flatMap((contractCase) => contractCase.changes));
      assert.deepEqual(INTENDED_CHANGE_IDS.filter((id) => !used.has(id)), []);
    });

    for (const contractCase of CASES) {
      const names = contractCase.changes.map((id) => INTENDED_CHANGES[id].name);
      const suffix = names.length === 0 ? '' : implementation.side === 'rewrite' ? ` (intended: ${names.join('; ')})` : ' (legacy behaviour)';
      it(`${contractCase.title}${suffix}`, async () => {
        const ctx: CaseContext = { redis, urls, month: monthOf(new Date()), side: implementation.side };
        await contractCase.setup?.(ctx);
        const request = typeof contractCase.request === 'function' ? await contractCase.request(ctx) : contractCase.request;
        const answer = await call(ctx, request);
        const outcome = implementation.side === 'legacy' ? contractCase.legacy : contractCase.rewrite;
        checkOutcome(outcome, answer);
        await outcome.check?.(ctx, answer);
      });
    }
  });
}
