/**
 * The raw-byte suite: hostile framing, headers and paths written byte for byte to the gateway. For every case the
 * upstream sees exactly one well-framed request or none complete (a chunked body found malformed mid-way is cut off
 * before its end, so the upstream never completes it), and after an ambiguous request figway closes the connection:
 * nothing pipelined behind it, or hidden in its body, is ever forwarded.
 */
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFigway, type TestFigway } from '../testing/figway.js';
import { listenTestServer, type TestServer } from '../testing/http-servers.js';
import { rawExchange, startRecordingUpstream, type RecordingUpstream } from '../testing/raw-http.js';

/** How figway must treat a case. */
type Expectation =
  /** figway answers `status` itself (with `code` in its JSON body) and closes the connection; the upstream completes nothing. */
  | { refused: number; code?: string; keepsConnection?: true }
  /** the upstream completes exactly these requests (method, path, body) and the client gets their answers. */
  | { forwarded: { method: string; url: string; body?: string; absentHeaders?: string[] }[] }
  /** figway closes the connection without an answer; the upstream sees nothing. */
  | { dropped: true };

interface RawCase {
  name: string;
  bytes: string;
  expect: Expectation;
}

const H = 'Host: gw\r\n';
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n';
const bad = (name: string, bytes: string, code = 'PROXY_BAD_REQUEST', status = 400): RawCase => ({ name, bytes, expect: { refused: status, code } });
const ok = (name: string, bytes: string, method: string, url: string, body?: string, absentHeaders?: string[]): RawCase => ({
  name, bytes, expect: { forwarded: [{ method, url, ...(body === undefined ? {} : { body }), ...(absentHeaders === undefined ? {} : { absentHeaders }) }] },
});
const chunkedPost = (body: string, extra = ''): string => `POST /c HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n${extra}\r\n${body}`;

const RAW_CASES: RawCase[] = [
  // --- Content-Length and Transfer-Encoding together or malformed
  bad('Content-Length and Transfer-Encoding together', `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
  bad('Transfer-Encoding before Content-Length', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`),
  bad('duplicate Content-Length, same value', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`),
  bad('duplicate Content-Length, different values', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`),
  bad('Content-Length as a list', `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`),
  bad('signed Content-Length (+)', `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`),
  bad('negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -3\r\n\r\nabc`),
  bad('overflowing Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\nabc`),
  bad('hexadecimal Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x3\r\n\r\nabc`),
  bad('Content-Length with an inner space', `POST / HTTP/1.1\r\n${H}Content-Length: 1 2\r\n\r\nabc`),
  bad('Transfer-Encoding not ending in chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
  bad('Transfer-Encoding gzip alone', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\nabc`),
  bad('Transfer-Encoding twice', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
  bad('Transfer-Encoding xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
  bad('Transfer-Encoding with a space before the colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
  bad('Transfer-Encoding with a vertical tab', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: \x0bchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`),
  bad('HTTP/1.0 with Transfer-Encoding', `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 'PROXY_TE_ON_HTTP10'),
  bad('HTTP/1.0 keep-alive with Transfer-Encoding and a request pipelined behind', `POST / HTTP/1.0\r\n${H}Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, 'PROXY_TE_ON_HTTP10'),
  bad('HTTP/1.0 keep-alive with Transfer-Encoding hiding a request in its body', `POST / HTTP/1.0\r\n${H}Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n${SMUGGLED}`, 'PROXY_TE_ON_HTTP10'),
  // --- header syntax
  bad('obs-fold continuation line', `GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`),
  bad('obs-fold hiding Transfer-Encoding', `POST / HTTP/1.1\r\n${H}X-A: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc`),
  bad('space before the colon', `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`),
  bad('space inside a header name', `GET / HTTP/1.1\r\n${H}X A: b\r\n\r\n`),
  bad('empty header name', `GET / HTTP/1.1\r\n${H}: b\r\n\r\n`),
  bad('header line starting with whitespace', `GET / HTTP/1.1\r\n Host: gw\r\n\r\n`),
  bad('bare LF line endings', 'GET / HTTP/1.1\nHost: gw\n\n'),
  bad('bare LF inside the header block', `GET / HTTP/1.1\r\n${H}X-A: b\nX-B: c\r\n\r\n`),
  bad('bare CR inside a header value', `GET / HTTP/1.1\r\n${H}X-A: b\rX-B: c\r\n\r\n`),
  bad('NUL in a header value', `GET / HTTP/1.1\r\n${H}X-A: b\x00c\r\n\r\n`),
  bad('control byte in a header value', `GET / HTTP/1.1\r\n${H}X-A: b\x01c\r\n\r\n`),
  bad('DEL in a header value', `GET / HTTP/1.1\r\n${H}X-A: b\x7fc\r\n\r\n`),
  bad('NUL in a header name', `GET / HTTP/1.1\r\n${H}X-\x00A: b\r\n\r\n`),
  bad('NUL in the path', `GET /a\x00b HTTP/1.1\r\n${H}\r\n`),
  bad('two Host headers', `GET / HTTP/1.1\r\n${H}Host: other\r\n\r\n`, 'PROXY_DUPLICATE_HOST'),
  bad('two Host headers with a request pipelined behind', `GET / HTTP/1.1\r\n${H}Host: other\r\n\r\n${SMUGGLED}`, 'PROXY_DUPLICATE_HOST'),
  bad('HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n', 'PROXY_MISSING_HOST'),
  bad('header block over maxHeaderBytes', `GET / HTTP/1.1\r\n${H}X-Big: ${'y'.repeat(4096)}\r\n\r\n`, 'PROXY_HEADERS_TOO_LARGE', 431),
  bad('request line over maxHeaderBytes', `GET /${'a'.repeat(4096)} HTTP/1.1\r\n${H}\r\n`, 'PROXY_HEADERS_TOO_LARGE', 431),
  // --- request line
  bad('unknown HTTP version 1.2', `GET / HTTP/1.2\r\n${H}\r\n`),
  bad('HTTP/2.0 on an HTTP/1 connection', `GET / HTTP/2.0\r\n${H}\r\n`, 'PROXY_HTTP_VERSION', 505),
  bad('lower-case method', `get / HTTP/1.1\r\n${H}\r\n`),
  bad('Expect other than 100-continue', `POST / HTTP/1.1\r\n${H}Expect: 200-ok\r\nContent-Length: 3\r\n\r\nabc`, 'PROXY_EXPECTATION_FAILED', 417),
  // --- chunked bodies
  bad('chunk size not hexadecimal', chunkedPost('zz\r\nabc\r\n0\r\n\r\n')),
  bad('chunk size overflowing', chunkedPost('fffffffffffffffffff\r\nabc\r\n0\r\n\r\n')),
  bad('negative chunk size', chunkedPost('-3\r\nabc\r\n0\r\n\r\n')),
  bad('chunk size with 0x', chunkedPost('0x3\r\nabc\r\n0\r\n\r\n')),
  bad('chunk extension with a bare LF', chunkedPost('3;foo\nbar\r\nabc\r\n0\r\n\r\n')),
  bad('chunk data longer than its size', chunkedPost('3\r\nabcdef\r\n0\r\n\r\n')),
  bad('chunk data without its CRLF', chunkedPost('3\r\nabcXX0\r\n\r\n')),
  bad('chunk lines ended by bare LF', chunkedPost('3\nabc\n0\n\n')),
  bad('Content-Length in the trailer', chunkedPost('3\r\nabc\r\n0\r\nContent-Length: 50\r\n\r\n')),
  // --- targets and paths
  { name: 'absolute-form target naming another host', bytes: `GET http://elsewhere/x HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: { refused: 400, code: 'PROXY_FOREIGN_ABSOLUTE_TARGET', keepsConnection: true } },
  { name: 'asterisk-form target', bytes: `OPTIONS * HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: { refused: 400, code: 'PROXY_BAD_PATH', keepsConnection: true } },
  { name: 'backslash in the path', bytes: `GET /public\\..\\admin HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: { refused: 400, code: 'PROXY_BAD_PATH', keepsConnection: true } },
  { name: 'dot segment behind an encoded slash', bytes: `GET /public/..%2Fadmin HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, expect: { refused: 400, code: 'PROXY_BAD_PATH', keepsConnection: true } },
  { name: 'CONNECT', bytes: `CONNECT gw:443 HTTP/1.1\r\nHost: gw:443\r\n\r\n`, expect: { dropped: true } },
  // --- pipelining behind a refusal
  bad('body over the route limit with a request pipelined behind', `POST /limited HTTP/1.1\r\n${H}Content-Length: 20\r\n\r\n${'x'.repeat(20)}${SMUGGLED}`, 'PROXY_BODY_TOO_LARGE', 413),
  // --- what must still pass, exactly once and well-framed
  ok('absolute-form target naming this host', `GET http://gw/abs?x=1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/abs?x=1'),
  ok('absolute-form target with userinfo', `GET http://user@gw/abs HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/abs'),
  ok('%2e%2e dot segments', `GET /a/%2e%2e/%2E%2e/etc HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/etc'),
  ok('%2f stays encoded and is not a separator', `GET /a%2fb/../c HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/c'),
  ok('duplicate slashes', `GET //a//b HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/a/b'),
  ok('semicolon path parameters', `GET /a;x=../../b HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/b'),
  ok('Transfer-Encoding in mixed case', chunkedPost('3\r\nabc\r\n0\r\n\r\n', 'Connection: close\r\n').replace('chunked', 'Chunked'), 'POST', '/c', 'abc'),
  ok('chunk extensions', chunkedPost('3;foo=bar\r\nabc\r\n0\r\n\r\n', 'Connection: close\r\n'), 'POST', '/c', 'abc'),
  ok('quoted chunk extension', chunkedPost('3;foo="b;r"\r\nabc\r\n0\r\n\r\n', 'Connection: close\r\n'), 'POST', '/c', 'abc'),
  ok('chunked body with a trailer', chunkedPost('3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n', 'Connection: close\r\n'), 'POST', '/c', 'abc'),
  ok('Expect: 100-continue', `POST /e HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`, 'POST', '/e', 'abc'),
  ok('a body on GET', `GET /g HTTP/1.1\r\n${H}Content-Length: 3\r\nConnection: close\r\n\r\nabc`, 'GET', '/g', 'abc'),
  ok('an h2c upgrade is forwarded as plain HTTP/1.1', `GET /u HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`, 'GET', '/u', '', ['upgrade', 'http2-settings']),
  ok('UTF-8 bytes in a header value', `GET /utf HTTP/1.1\r\n${H}X-A: caf\xc3\xa9\r\nConnection: close\r\n\r\n`, 'GET', '/utf'),
  ok('a leading empty line', `\r\nGET /lead HTTP/1.1\r\n${H}Connection: close\r\n\r\n`, 'GET', '/lead'),
  ok('HTTP/1.0 without Host', 'GET /ten HTTP/1.0\r\n\r\n', 'GET', '/ten'),
  {
    name: 'two well-formed pipelined requests',
    bytes: `GET /1 HTTP/1.1\r\n${H}\r\nPOST /2 HTTP/1.1\r\n${H}Content-Length: 2\r\nConnection: close\r\n\r\nhi`,
    expect: { forwarded: [{ method: 'GET', url: '/1' }, { method: 'POST', url: '/2', body: 'hi' }] },
  },
];

let upstream: RecordingUpstream;
let streaming: TestServer;
let figway: TestFigway;
let port: number;
let passed = 0;

before(async () => {
  upstream = await startRecordingUpstream();
  // Answers with its headers at once and its body a moment later: a response on the wire while more bytes arrive.
  streaming = await listenTestServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' });
    res.write('pa');
    setTimeout(() => res.end('rt'), 100);
  });
  figway = await startTestFigway({
    maxHeaderBytes: 2048,
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url }, streaming: { url: streaming.url } },
    routes: [
      { name: 'streaming', legacy: 'streaming', new: 'streaming', match: { pathPrefix: '/streaming' } },
      { name: 'limited', legacy: 'legacy', new: 'new', match: { pathPrefix: '/limited' }, maxBodyBytes: 10 },
      { name: 'all', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } },
    ],
  }, {});
  port = Number(new URL(figway.gatewayUrl).port);
});

after(async () => {
  await figway.close();
  await upstream.close();
  await streaming.close();
});

/** settled waits (bounded) until the gateway has no exchange in flight, so the upstream's record is final. */
async function settled(): Promise<void> {
  for (let i = 0; i < 200 && figway.gateway.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(figway.gateway.inFlight, 0, 'the gateway finished the exchange');
}

describe('raw-byte suite', () => {
  for (const rawCase of RAW_CASES) {
    it(rawCase.name, async () => {
      const requestsBefore = upstream.requests.length;
      const parseErrorsBefore = upstream.parseErrors.length;
      const answer = await rawExchange(port, Buffer.from(rawCase.bytes, 'latin1'));
      await settled();
      const reached = upstream.requests.slice(requestsBefore);
      const complete = reached.filter((request) => request.complete);
      const expect = rawCase.expect;
      assert.ok(answer.closed, 'the connection ends');
      if ('refused' in expect) {
        assert.deepEqual(answer.statuses, [expect.refused], answer.text);
        if (expect.code !== undefined) assert.match(answer.text, new RegExp(`"code":"${expect.code}"`));
        if (expect.keepsConnection !== true) assert.match(answer.text, /\r\nconnection: close\r\n/i, 'figway announces the close');
        assert.deepEqual(complete, [], 'the upstream completes no request');
        assert.doesNotMatch(JSON.stringify(reached), /smuggled/, 'nothing behind the refusal reaches the upstream');
        // A chunked body found malformed after forwarding began is cut off: the upstream sees the connection end mid-body.
        assert.ok(reached.length <= 1);
        for (const code of upstream.parseErrors.slice(parseErrorsBefore)) assert.equal(code, 'HPE_INVALID_EOF_STATE');
      } else if ('forwarded' in expect) {
        // Pipelined requests are forwarded one after the other, in order.
        assert.deepEqual(complete.map((request) => ({ method: request.method, url: request.url })), expect.forwarded.map(({ method, url }) => ({ method, url })));
        expect.forwarded.forEach((wanted, index) => {
          if (wanted.body !== undefined) assert.equal(complete[index]!.body, wanted.body);
          for (const header of wanted.absentHeaders ?? []) assert.equal(complete[index]!.headers[header], undefined, header);
        });
        assert.equal(reached.length, complete.length, 'every request that reached the upstream was complete');
        assert.deepEqual(upstream.parseErrors.slice(parseErrorsBefore), [], 'the upstream parsed everything it got');
        assert.deepEqual(answer.statuses.filter((status) => status !== 100), expect.forwarded.map(() => 200), answer.text);
      } else {
        assert.deepEqual(answer.statuses, []);
        assert.deepEqual(reached, []);
      }
      passed++;
    });
  }
  it('scores every case', (t) => {
    t.diagnostic(`raw-byte suite: ${passed}/${RAW_CASES.length} cases as specified`);
    assert.equal(passed, RAW_CASES.length);
  });
});

test('a pipelined request whose client hangs up before its queued answer is not left in flight', async () => {
  const answer = await rawExchange(port, `GET /1 HTTP/1.1\r\n${H}\r\nPUT /2 HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nhi`, { halfClose: true });
  assert.ok(answer.closed);
  await settled();
});

test('a malformed request pipelined behind an answer already on the wire cuts the connection, never corrupts the answer', async () => {
  const answer = await rawExchange(port, `GET /streaming HTTP/1.1\r\n${H}\r\nGET /x HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`);
  assert.ok(answer.closed);
  // Whatever part of the answer got through, no error response was written into it.
  assert.deepEqual(answer.statuses.filter((status) => status !== 200), [], answer.text);
  await settled();
});

test('a client that half-closes after its request still gets the answer (RFC 9112 §9.6)', async () => {
  const answer = await rawExchange(port, `GET /half HTTP/1.1\r\n${H}\r\n`, { halfClose: true });
  assert.ok(answer.closed);
  assert.deepEqual(answer.statuses, [200], answer.text);
  await settled();
});
