import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { listenTestServer } from '../../testing/http-servers.js';
import { createEventHub } from './events.js';

test('every open stream gets each event as one SSE message; a full hub refuses; a reader that stops reading is dropped', async () => {
  const hub = createEventHub({ maxClients: 2, maxBufferedBytes: 64 * 1024 });
  const server = await listenTestServer((_req, res) => {
    if (!hub.attach(res, { event: 'hello', data: { n: 0 } })) { res.writeHead(503); res.end(); }
  });
  try {
    const first = await request(server.url);
    const second = await request(server.url);
    assert.equal(first.headers['content-type'], 'text/event-stream; charset=utf-8');
    const third = await request(server.url);
    assert.equal(third.statusCode, 503, 'the hub is bounded');
    await third.body.dump();
    hub.broadcast('points', { auth: { at: 1 } });
    // The first client keeps reading (a live tab); the second never does (a stuck one).
    let text = '';
    let firstOpen = true;
    void (async () => { for await (const chunk of first.body) text += String(chunk); })().catch(() => undefined).finally(() => { firstOpen = false; });
    for (let i = 0; i < 1000 && !text.includes('event: points'); i++) await new Promise((resolve) => setImmediate(resolve));
    assert.match(text, /^retry: 3000\n\nevent: hello\ndata: \{"n":0\}\n\nevent: points\ndata: \{"auth":\{"at":1\}\}\n\n/);
    // Once the stuck reader's unsent data passes the bound, it is dropped, and its memory with it.
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 5000 && hub.clients === 2; i++) {
      hub.broadcast('points', { big });
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(hub.clients, 1, 'the stalled reader was dropped');
    assert.ok(firstOpen, 'the reading client is still connected');
    hub.close();
    assert.equal(hub.clients, 0);
    await second.body.dump().catch(() => undefined);
  } finally {
    await server.close();
  }
});
