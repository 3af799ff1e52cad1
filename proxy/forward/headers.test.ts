import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustedProxies } from '../config/load.js';
import { clientAddressOf, clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

const facts = { remoteAddress: '203.0.113.9', trusted: false, host: 'gw.local', requestId: 'rid-1', overrideHeader: 'x-figway-side' };

function asMap(flat: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    map.set(name, [...(map.get(name) ?? []), flat[i + 1]!]);
  }
  return map;
}

test('hop-by-hop request headers, Proxy-* and headers named in Connection are dropped', () => {
  const out = asMap(upstreamRequestHeaders([
    'Host', 'gw.local', 'Connection', 'keep-alive, X-Secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Trailer', 'x',
    'Transfer-Encoding', 'chunked', 'Upgrade', 'h2c', 'Proxy-Authorization', 'Basic x', 'Proxy-Connection', 'keep-alive',
    'X-Secret', 'drop me', 'X-Keep', 'yes', 'X-Figway-Side', 'new', 'traceparent', '00-abc-def-01',
  ], facts));
  for (const gone of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-connection', 'x-secret', 'x-figway-side']) {
    assert.equal(out.has(gone), false, gone);
  }
  assert.deepEqual(out.get('x-keep'), ['yes']);
  assert.deepEqual(out.get('traceparent'), ['00-abc-def-01']);
  assert.deepEqual(out.get('host'), ['gw.local']);
});

test('a client cannot strip the headers figway adds by naming them in Connection', () => {
  const out = asMap(upstreamRequestHeaders(['Host', 'gw.local', 'Connection', 'X-Forwarded-For, X-Request-Id, X-Forwarded-Proto'], facts));
  assert.deepEqual(out.get('x-forwarded-for'), ['203.0.113.9']);
  assert.deepEqual(out.get('x-forwarded-proto'), ['http']);
  assert.deepEqual(out.get('x-forwarded-host'), ['gw.local']);
  assert.deepEqual(out.get('x-request-id'), ['rid-1']);
});

test('client X-Forwarded-* values are replaced unless the peer is a trusted proxy', () => {
  const sent = ['Host', 'gw.local', 'X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil.example', 'X-Request-Id', 'given'];
  const untrusted = asMap(upstreamRequestHeaders(sent, facts));
  assert.deepEqual(untrusted.get('x-forwarded-for'), ['203.0.113.9']);
  assert.deepEqual(untrusted.get('x-forwarded-proto'), ['http']);
  assert.deepEqual(untrusted.get('x-forwarded-host'), ['gw.local']);
  assert.deepEqual(untrusted.get('x-request-id'), ['given']);
  const trusted = asMap(upstreamRequestHeaders(sent, { ...facts, trusted: true }));
  assert.deepEqual(trusted.get('x-forwarded-for'), ['1.2.3.4, 203.0.113.9']);
  assert.deepEqual(trusted.get('x-forwarded-proto'), ['https']);
  assert.deepEqual(trusted.get('x-forwarded-host'), ['evil.example']);
});

test('hop-by-hop response headers and those named in the response Connection header are dropped', () => {
  const raw = ['Content-Type', 'application/json', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Proxy-Authenticate', 'Basic', 'X-Ok', '1']
    .map((value) => Buffer.from(value, 'latin1'));
  assert.deepEqual(clientResponseHeaders(raw), ['Content-Type', 'application/json', 'X-Ok', '1']);
});

test('the client address behind trusted proxies is the right-most untrusted X-Forwarded-For hop', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '127.0.0.1']);
  assert.equal(clientAddressOf('127.0.0.1', '198.51.100.1, 10.1.1.1', trusted), '198.51.100.1');
  assert.equal(clientAddressOf('203.0.113.5', '198.51.100.1', trusted), '203.0.113.5');
  assert.equal(clientAddressOf('::ffff:127.0.0.1', '198.51.100.2', trusted), '198.51.100.2');
  assert.equal(clientAddressOf('127.0.0.1', undefined, trusted), '127.0.0.1');
});
