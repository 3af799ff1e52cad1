/**
 * The admin listener's answers to requests its parser refuses: figway's JSON error format, like the gateway's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFigway, type TestFigway } from '../testing/figway.js';
import { rawExchange } from '../testing/raw-http.js';
import { startEchoServer } from '../testing/http-servers.js';

let upstream: Awaited<ReturnType<typeof startEchoServer>>;
let figway: TestFigway;
let adminPort: number;

before(async () => {
  upstream = await startEchoServer('legacy');
  figway = await startTestFigway({
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'r', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } }],
  }, {});
  adminPort = Number(new URL(figway.adminUrl!).port);
});

after(async () => {
  await figway.close();
  await upstream.close();
});

test('the admin listener answers a 100 KB header with 431 in figway\'s JSON error format', async () => {
  const answer = await rawExchange(adminPort, `GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Big: ${'y'.repeat(100 * 1024)}\r\n\r\n`);
  assert.deepEqual(answer.statuses, [431]);
  assert.match(answer.text, /\r\nContent-Type: application\/json\r\n/i);
  const body = JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'ADMIN_HEADERS_TOO_LARGE');
  assert.ok(answer.closed);
});

test('the admin listener answers a malformed request with 400 ADMIN_BAD_REQUEST', async () => {
  const answer = await rawExchange(adminPort, 'GET /healthz HTTP/1.1\r\nHost: admin\r\nX A: b\r\n\r\n');
  assert.deepEqual(answer.statuses, [400]);
  assert.match(answer.text, /"code":"ADMIN_BAD_REQUEST"/);
});
