import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { startEchoServer, type TestServer } from '../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import type { AuditEntry } from './audit.js';
import { bearerToken, cookieValue } from './admin-auth.js';

const CI_TOKEN = 'ci-token-abcdefghijklmnop';
let upstream: TestServer;
let figway: TestFigway;
const audit = (): AuditEntry[] => figway.audit.entries(500).reverse();

before(async () => {
  upstream = await startEchoServer('both');
  figway = await startTestFigway({
    listeners: { gateway: { host: '127.0.0.1', port: 0 }, admin: { port: 0, tokens: [{ name: 'ci', env: 'CI_ADMIN_TOKEN' }] } },
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'api', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new' }],
  }, '# weights, kept by hand\nroutes:\n  api: 0 # start on legacy\n', {
    env: { FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN, CI_ADMIN_TOKEN: CI_TOKEN },
  });
});
after(async () => {
  await figway.close();
  await upstream.close();
});

const admin = (path: string): string => `${figway.adminUrl}${path}`;

async function signIn(token: string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | undefined; cookie: string | undefined; setCookie: string | undefined }> {
  const response = await request(admin('/auth/sign-in'), {
    method: 'POST', body: new URLSearchParams({ token }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  await response.body.dump();
  const raw = response.headers['set-cookie'];
  const setCookie = Array.isArray(raw) ? raw[0] : raw;
  const value = cookieValue(setCookie?.split(';', 1)[0], 'figway_session');
  return { status: response.statusCode, location: response.headers.location as string | undefined, setCookie, cookie: value === undefined ? undefined : `figway_session=${value}` };
}

async function session(cookie: string): Promise<{ name: string; via: string; csrf: string }> {
  const response = await request(admin('/api/session'), { headers: { cookie } });
  assert.equal(response.statusCode, 200);
  return await response.body.json() as { name: string; via: string; csrf: string };
}

async function putWeight(weight: number, headers: Record<string, string>): Promise<{ status: number; code: string | undefined }> {
  const response = await request(admin('/api/routes/api/weight'), {
    method: 'PUT', body: JSON.stringify({ weight }), headers: { 'content-type': 'application/json', ...headers },
  });
  const body = await response.body.json() as { error?: { code: string } };
  return { status: response.statusCode, code: body.error?.code };
}

test('bearerToken takes the scheme in any case and nothing but one token', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('BEARER   abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken('Bearerabc'), undefined);
});

test('the admin API takes `bearer` in lower case, and each named token is its own principal', async () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    const response = await request(admin('/api/session'), { headers: { authorization: `${scheme} ${TEST_ADMIN_TOKEN}` } });
    assert.equal(response.statusCode, 200, scheme);
    assert.deepEqual(await response.body.json(), { name: 'admin', via: 'bearer' });
  }
  const ci = await request(admin('/api/session'), { headers: { authorization: `bearer ${CI_TOKEN}` } });
  assert.deepEqual(await ci.body.json(), { name: 'ci', via: 'bearer' });
  for (const authorization of [`Basic ${TEST_ADMIN_TOKEN}`, 'Bearer wrong-token-0123456789', `Bearer ${TEST_ADMIN_TOKEN}x`]) {
    const denied = await request(admin('/api/routes'), { headers: { authorization } });
    assert.equal(denied.statusCode, 401, authorization);
    assert.equal(denied.headers['www-authenticate'], 'Bearer realm="figway"');
    assert.equal(((await denied.body.json()) as { error: { code: string } }).error.code, 'ADMIN_UNAUTHORIZED');
  }
});

test('sign-in with a wrong token sets no cookie; the right one sets an HttpOnly, SameSite=Strict, expiring session', async () => {
  const wrong = await signIn('not-the-token-at-all');
  assert.equal(wrong.status, 303);
  assert.equal(wrong.location, '/dashboard/sign-in?failed=1');
  assert.equal(wrong.setCookie, undefined);

  const right = await signIn(CI_TOKEN);
  assert.equal(right.status, 303);
  assert.equal(right.location, '/dashboard/');
  assert.match(right.setCookie!, /^figway_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  assert.ok(!right.setCookie!.includes(CI_TOKEN), 'the cookie is not the token');
  assert.deepEqual((await session(right.cookie!)).name, 'ci');
  const routes = await request(admin('/api/routes'), { headers: { cookie: right.cookie! } });
  assert.equal(routes.statusCode, 200);
  await routes.body.dump();

  const behindTls = await signIn(TEST_ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
  assert.match(behindTls.setCookie!, /; Secure$/);
});

test('a browser without a session is sent to the sign-in page; an API client gets 401', async () => {
  const page = await request(admin('/dashboard/'), { headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, '/dashboard/sign-in');
  await page.body.dump();
  const stale = await request(admin('/api/routes'), { headers: { cookie: 'figway_session=forged-or-expired' } });
  assert.equal(stale.statusCode, 401);
  await stale.body.dump();
});

test('state changes with the cookie need the CSRF header and a same-site request; bearer requests need neither', async () => {
  const { cookie } = await signIn(TEST_ADMIN_TOKEN);
  const { csrf } = await session(cookie!);
  assert.deepEqual(await putWeight(30, { cookie: cookie! }), { status: 403, code: 'ADMIN_CSRF' });
  assert.deepEqual(await putWeight(30, { cookie: cookie!, 'x-figway-csrf': 'guessed' }), { status: 403, code: 'ADMIN_CSRF' });
  assert.deepEqual(await putWeight(30, { cookie: cookie!, 'x-figway-csrf': csrf, 'sec-fetch-site': 'cross-site' }), { status: 403, code: 'ADMIN_CSRF' });
  assert.deepEqual(await putWeight(30, { cookie: cookie!, 'x-figway-csrf': csrf, origin: 'http://evil.example' }), { status: 403, code: 'ADMIN_CSRF' });
  assert.equal(figway.manager.snapshot().weights.get('api') ?? 0, 0, 'nothing changed');
  assert.deepEqual(await putWeight(30, { cookie: cookie!, 'x-figway-csrf': csrf, 'sec-fetch-site': 'same-origin' }), { status: 200, code: undefined });
  assert.deepEqual(await putWeight(0, { authorization: `bearer ${CI_TOKEN}` }), { status: 200, code: undefined });
  assert.deepEqual(audit().filter((entry) => entry.action === 'weight.set').map((entry) => [entry.who, entry.old, entry.new]), [['admin', 0, 30], ['ci', 30, 0]]);
});

test('another site cannot sign a browser in, and sign-out ends the session', async () => {
  const crossSite = await signIn(TEST_ADMIN_TOKEN, { 'sec-fetch-site': 'cross-site' });
  assert.equal(crossSite.status, 403);
  assert.equal(crossSite.setCookie, undefined);

  const { cookie } = await signIn(TEST_ADMIN_TOKEN);
  const { csrf } = await session(cookie!);
  const refused = await request(admin('/auth/sign-out'), { method: 'POST', headers: { cookie: cookie! } });
  assert.equal(refused.statusCode, 403, 'sign-out is a state change too');
  await refused.body.dump();
  const out = await request(admin('/auth/sign-out'), { method: 'POST', headers: { cookie: cookie!, 'x-figway-csrf': csrf } });
  assert.equal(out.statusCode, 204);
  assert.match(String(out.headers['set-cookie']), /figway_session=; .*Max-Age=0/);
  await out.body.dump();
  const after = await request(admin('/api/routes'), { headers: { cookie: cookie! } });
  assert.equal(after.statusCode, 401);
  await after.body.dump();
});

test('accepting a difference writes figway.yaml through validation, keeps comments, applies it and is audited', async () => {
  const auth = { authorization: `Bearer ${CI_TOKEN}`, 'content-type': 'application/json' };
  await writeFile(figway.configPath, `# kept by hand: do not lose me\n${await readFile(figway.configPath, 'utf8')}`);
  const before = await readFile(figway.configPath, 'utf8');
  const bad = await request(admin('/api/routes/api/accept'), { method: 'POST', headers: auth, body: JSON.stringify({ path: 'body.x' }) });
  assert.equal(bad.statusCode, 400);
  assert.equal(((await bad.body.json()) as { error: { code: string } }).error.code, 'ADMIN_BAD_ACCEPT');
  const badMethod = await request(admin('/api/routes/api/accept'), { method: 'POST', headers: auth, body: JSON.stringify({ path: 'body.x', reason: 'r', methods: ['get'] }) });
  assert.equal(badMethod.statusCode, 400);
  await badMethod.body.dump();
  const unknown = await request(admin('/api/routes/ghost/accept'), { method: 'POST', headers: auth, body: JSON.stringify({ path: 'body.x', reason: 'r' }) });
  assert.equal(unknown.statusCode, 404);
  await unknown.body.dump();
  assert.equal(await readFile(figway.configPath, 'utf8'), before, 'rejected edits change nothing');

  const entry = { path: 'redis.token.UserEmail', class: 'key-casing', methods: ['PUT'], pathPrefix: '/api/approve', reason: 'the rewrite owns its record format now' };
  const ok = await request(admin('/api/routes/api/accept'), { method: 'POST', headers: auth, body: JSON.stringify(entry) });
  assert.equal(ok.statusCode, 200);
  await ok.body.dump();
  const written = await readFile(figway.configPath, 'utf8');
  assert.match(written, /reason: the rewrite owns its record format now/);
  assert.match(written, /^# kept by hand: do not lose me$/m);
  assert.deepEqual(figway.manager.config.routes[0]!.compare.accept, [entry]);
  const listed = await (await request(admin('/api/routes/api/accept'), { headers: auth })).body.json() as { accept: unknown[] };
  assert.deepEqual(listed.accept, [entry]);
  const again = await request(admin('/api/routes/api/accept'), { method: 'POST', headers: auth, body: JSON.stringify(entry) });
  await again.body.dump();
  assert.equal(figway.manager.config.routes[0]!.compare.accept.length, 1, 'the same entry is not added twice');
  const recorded = audit().filter((item) => item.action === 'compare.accept');
  assert.equal(recorded[0]?.who, 'ci');
  assert.equal(recorded[0]?.route, 'api');
  assert.equal(recorded[0]?.why, entry.reason);
  assert.equal(recorded.length, 1, 'an edit that changes nothing is not audited');
});

test('a named token whose variable is unset stops the start with a clear issue', async () => {
  await assert.rejects(startTestFigway({
    listeners: { gateway: { host: '127.0.0.1', port: 0 }, admin: { port: 0, tokens: [{ name: 'ops', env: 'OPS_TOKEN_UNSET' }] } },
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'api', match: { pathPrefix: '/' }, legacy: 'legacy', new: 'new' }],
  }, {}, { env: { FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN } }), /OPS_TOKEN_UNSET.*CONFIG_ADMIN_TOKEN_MISSING/);
});

// Last in this file: it leaves 127.0.0.1 throttled.
test('after 10 failed sign-ins an address must wait, even with the right token; bearer requests are not affected', async () => {
  for (let i = 0; i < 10; i++) await signIn(`wrong-token-number-${i}-padding`);
  const refused = await signIn(TEST_ADMIN_TOKEN);
  assert.equal(refused.location, '/dashboard/sign-in?failed=throttled');
  assert.equal(refused.setCookie, undefined);
  const bearer = await request(admin('/api/session'), { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  assert.equal(bearer.statusCode, 200);
  await bearer.body.dump();
});
