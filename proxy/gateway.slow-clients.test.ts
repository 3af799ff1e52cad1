/**
 * Slow and idle clients against small configured limits (clientTimeouts): slow headers, an idle connection, a body
 * that pauses, a body trickled past the request limit, a client that stops reading, an idle keep-alive connection.
 * Each is cut (the test waits, bounded, for the connection to close; it never asserts how fast), the upstream is not
 * left holding a request, and a normal probe keeps succeeding meanwhile. Slowness that is not the client's — a slow
 * upstream answer, an upstream slow to take a body — is not cut.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { request } from 'undici';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { listenTestServer, streamBytes, type TestServer } from '../testing/http-servers.js';

const LIMITS = { headersMs: 300, requestMs: 1_500, bodyIdleMs: 300, responseStallMs: 300, keepAliveMs: 400 };
/**
 * PATIENT are the limits of the instance that must not cut: long enough that a busy machine never makes the client
 * itself pause that long, with the upstream's own pauses (pauseMs) well beyond them.
 */
const PATIENT = { limits: { ...LIMITS, bodyIdleMs: 1_000, responseStallMs: 1_000, requestMs: 0 }, pauseMs: 2_500 };
const BIG = 24 * 1024 * 1024;

let upstream: TestServer;
let figway: TestFigway;
let port: number;
const upstreamClosedEarly: string[] = [];

before(async () => {
  upstream = await listenTestServer((req, res) => {
    res.on('close', () => { if (!res.writableFinished) upstreamClosedEarly.push(req.url ?? ''); });
    if (req.url === '/big') {
      // Streams 24 MB as fast as the reader takes it: more than loopback buffers hold, so a non-reader backs it up.
      req.resume();
      streamBytes(res, BIG);
      return;
    }
    if (req.url === '/slow-answer') {
      req.resume();
      setTimeout(() => res.end('late but fine'), PATIENT.pauseMs);
      return;
    }
    if (req.url === '/slow-reader') {
      // Does not read the body at first: figway must not blame the client for the pause.
      req.pause();
      setTimeout(() => {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
        req.on('end', () => res.end(String(bytes)));
        req.resume();
      }, PATIENT.pauseMs);
      return;
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
    req.on('end', () => res.end(`ok ${bytes}`));
  });
  figway = await startTestFigway({
    clientTimeouts: LIMITS,
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'all', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, maxBodyBytes: 32 * 1024 * 1024 }],
  }, {});
  port = Number(new URL(figway.gatewayUrl).port);
});

after(async () => {
  await figway.close();
  await upstream.close();
});

/** opened connects a raw client and collects what it receives. */
async function opened(): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => { if (text.length < 4096) text += chunk.toString('latin1'); });
  socket.on('error', () => undefined);
  return { socket, received: () => text, closed: once(socket, 'close') };
}

/** closedWithin waits for `closed` up to a generous bound: the limit must act, however slow the machine. */
async function closedWithin(closed: Promise<unknown>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    closed.then(() => 'closed'),
    new Promise<string>((resolve) => { timer = setTimeout(() => resolve('still open'), 20_000); }),
  ]);
  clearTimeout(timer);
  assert.equal(outcome, 'closed', what);
}

async function probe(): Promise<void> {
  const response = await request(`${figway.gatewayUrl}/probe`);
  assert.equal(response.statusCode, 200);
  assert.equal(await response.body.text(), 'ok 0');
}

async function rejectedCount(code: string): Promise<number> {
  const metrics = await (await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text();
  const line = metrics.split('\n').find((l) => l.startsWith(`figway_rejected_requests_total{code="${code}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('slow headers (slowloris) are cut with 408 while probes keep succeeding', async () => {
  const client = await opened();
  client.socket.write('GET / HTTP/1.1\r\nHost: gw\r\n');
  const drip = setInterval(() => client.socket.write('X-Slow: 1\r\n'), LIMITS.headersMs / 5);
  try {
    await probe();
    await closedWithin(client.closed, 'a client trickling headers is cut');
  } finally {
    clearInterval(drip);
  }
  assert.match(client.received(), /^HTTP\/1\.1 408 /);
  assert.match(client.received(), /"code":"PROXY_REQUEST_TIMEOUT"/);
  await probe();
});

test('a connection that never sends a byte is closed', async () => {
  const client = await opened();
  await closedWithin(client.closed, 'an idle new connection is closed');
  await probe();
});

test('a body that pauses longer than bodyIdleMs gets 408, and the upstream exchange is abandoned', async () => {
  const client = await opened();
  client.socket.write('POST /paused HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n0123456789');
  await probe();
  await closedWithin(client.closed, 'a paused body is cut');
  assert.match(client.received(), /^HTTP\/1\.1 408 /);
  assert.match(client.received(), /"code":"PROXY_REQUEST_TIMEOUT"/);
  assert.match(client.received(), /\r\nconnection: close\r\n/i);
  for (let i = 0; i < 100 && figway.gateway.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(figway.gateway.inFlight, 0);
});

test('a body trickled just under bodyIdleMs is cut by requestMs', async () => {
  const client = await opened();
  client.socket.write('POST /trickle HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000\r\n\r\n');
  const drip = setInterval(() => client.socket.write('x'), LIMITS.bodyIdleMs / 3);
  try {
    await closedWithin(client.closed, 'a trickled body is cut at the request limit');
  } finally {
    clearInterval(drip);
  }
  await probe();
});

test('a client that stops reading the answer is cut and the upstream connection freed', async () => {
  const before = await rejectedCount('PROXY_RESPONSE_STALLED');
  const client = await opened();
  client.socket.pause();
  client.socket.write('GET /big HTTP/1.1\r\nHost: gw\r\n\r\n');
  for (let i = 0; i < 1000 && !upstreamClosedEarly.includes('/big'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(upstreamClosedEarly.includes('/big'), 'the upstream response was abandoned, not held');
  assert.ok(await rejectedCount('PROXY_RESPONSE_STALLED') > before, 'counted');
  await probe();
  client.socket.resume();
  await closedWithin(client.closed, 'the reader finds its connection cut');
});

test('an idle keep-alive connection is closed after keepAliveMs', async () => {
  const client = await opened();
  client.socket.write('GET /keep HTTP/1.1\r\nHost: gw\r\n\r\n');
  await closedWithin(client.closed, 'the idle keep-alive connection is closed');
  assert.match(client.received(), /^HTTP\/1\.1 200 /);
});

test('slowness that is not the client\'s is not cut: a slow upstream answer, an upstream slow to take a body', async () => {
  // requestMs bounds the whole upload whoever is slow; this instance has none, so only the idle and stall limits act.
  const patient = await startTestFigway({
    clientTimeouts: PATIENT.limits,
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'all', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, maxBodyBytes: 32 * 1024 * 1024 }],
  }, {});
  try {
    await notTheClients(patient.gatewayUrl);
  } finally {
    await patient.close();
  }
});

async function notTheClients(gatewayUrl: string): Promise<void> {
  const body = Buffer.alloc(16 * 1024 * 1024, 97);
  const [slowAnswer, slowReader] = await Promise.all([
    request(`${gatewayUrl}/slow-answer`, { method: 'POST', body: 'complete body' }),
    request(`${gatewayUrl}/slow-reader`, { method: 'POST', body }),
  ]);
  assert.equal(slowAnswer.statusCode, 200);
  assert.equal(await slowAnswer.body.text(), 'late but fine');
  assert.equal(slowReader.statusCode, 200);
  assert.equal(await slowReader.body.text(), String(body.length));
  // A client that reads a big answer at its own pace gets all of it.
  const big = await request(`${gatewayUrl}/big`);
  let received = 0;
  for await (const chunk of big.body) received += (chunk as Buffer).length;
  assert.equal(received, BIG);
}
