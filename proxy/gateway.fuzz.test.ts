/**
 * A bounded fast-check run of mutated requests against the gateway: bytes inserted, deleted and replaced in valid
 * requests (with framing-relevant tokens: CR, LF, NUL, Transfer-Encoding, Content-Length, a pipelined request…).
 * Whatever arrives, the upstream only ever parses well-framed requests, figway ends every connection (its own small
 * client limits end the incomplete ones), and afterwards it has nothing in flight, no open connection, still serves,
 * and its heap is where it was.
 * FIGWAY_FUZZ_RUNS sets the number of runs (npm test: 150; npm run test:hardening: 2000), FIGWAY_FUZZ_SEED replays one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { request } from 'undici';
import { startTestFigway } from '../testing/figway.js';
import { rawExchange, startRecordingUpstream } from '../testing/raw-http.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const RUNS = Number(process.env.FIGWAY_FUZZ_RUNS ?? 150);
const SEED = process.env.FIGWAY_FUZZ_SEED === undefined ? undefined : Number(process.env.FIGWAY_FUZZ_SEED);

const BASES = [
  'GET /a?x=1 HTTP/1.1\r\nHost: gw\r\nX-Pesto-Token: t\r\nConnection: close\r\n\r\n',
  'POST /b HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{"a":"bcd"}',
  'POST /c HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nX-T: 1\r\n\r\n',
  'GET /1 HTTP/1.1\r\nHost: gw\r\n\r\nPUT /2 HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
  'GET /ten HTTP/1.0\r\n\r\n',
];

const TOKENS = [
  '\r\n', '\n', '\r', '\x00', ' ', '\t', ':', ',', ';', '\x7f', '\x0b', '\\', '%2e%2e/', '%2F', '//', '0', 'f', 'chunked',
  'Transfer-Encoding: chunked\r\n', 'Content-Length: 5\r\n', 'Content-Length: -1\r\n', 'Host: other\r\n', ' HTTP/1.0',
  'Expect: 100-continue\r\n', 'Connection: close\r\n', '0\r\n\r\n', 'GET /hidden HTTP/1.1\r\nHost: gw\r\n\r\n',
];

type Mutation =
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(base: string, mutations: Mutation[]): Buffer {
  let bytes = base;
  for (const change of mutations) {
    const at = change.at % (bytes.length + 1);
    if (change.kind === 'insert') bytes = bytes.slice(0, at) + change.token + bytes.slice(at);
    else if (change.kind === 'delete') bytes = bytes.slice(0, at) + bytes.slice(at + change.length);
    else bytes = bytes.slice(0, at) + String.fromCharCode(change.byte) + bytes.slice(at + 1);
  }
  return Buffer.from(bytes, 'latin1');
}

test(`${RUNS} mutated requests: the upstream only parses well-framed requests, and the gateway stays up with a flat heap`, async (t) => {
  const upstream = await startRecordingUpstream();
  const figway = await startTestFigway({
    maxHeaderBytes: 4096,
    // Small limits, so a request left incomplete meets figway's own timeouts rather than the client's patience.
    clientTimeouts: { headersMs: 100, bodyIdleMs: 100, requestMs: 500, keepAliveMs: 100 },
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'all', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' }, maxBodyBytes: 64 }],
  }, {});
  const port = Number(new URL(figway.gatewayUrl).port);
  let forwarded = 0;
  let refused = 0;
  const property = fc.asyncProperty(fc.constantFrom(...BASES), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (base, mutations, halfClose) => {
    const bytes = mutate(base, mutations);
    // A request a mutation left incomplete waits for more bytes: half-closing ends it at once (figway answers what
    // was complete, then closes), otherwise figway's header or body timeout ends it.
    const answer = await rawExchange(port, bytes, { halfClose, waitMs: 2_000 });
    for (let i = 0; i < 200 && figway.gateway.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const errors = upstream.parseErrors.splice(0);
    const reached = upstream.requests.splice(0);
    forwarded += reached.filter((r) => r.complete).length;
    if (answer.statuses.some((status) => status >= 400)) refused++;
    assert.ok(answer.closed, `figway ended the connection: ${JSON.stringify(bytes.toString('latin1'))}`);
    assert.equal(figway.gateway.inFlight, 0, 'nothing left in flight');
    // No parse error upstream but a body cut off when figway found it malformed mid-way (or a reset connection:
    // a client that half-closes has its request aborted by Node, and figway aborts the upstream exchange).
    assert.deepEqual(errors.filter((code) => code.startsWith('HPE_') && code !== 'HPE_INVALID_EOF_STATE'), [], JSON.stringify(bytes.toString('latin1')));
  });

  // Warm-up: let lazily allocated structures (pools, parsers, JIT) settle before the heap is measured.
  await fc.assert(property, { numRuns: 30, includeErrorInReport: true, ...(SEED === undefined ? {} : { seed: SEED }) });
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  forwarded = 0;
  refused = 0;
  await fc.assert(property, { numRuns: RUNS, includeErrorInReport: true, ...(SEED === undefined ? {} : { seed: SEED + 1 }) });
  collectGarbage();
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  t.diagnostic(`${RUNS} runs: ${forwarded} requests forwarded, ${refused} refused, heap ${grownMb >= 0 ? '+' : ''}${grownMb.toFixed(2)} MB`);
  try {
    assert.ok(grownMb < 8, `heap grew ${grownMb.toFixed(1)} MB over ${RUNS} runs`);
    const connections = (): Promise<number> => new Promise((resolve) => figway.gateway.server.getConnections((_error, count) => resolve(count)));
    // The last client may have hung up a moment ago: let the server see its close (bounded wait).
    for (let i = 0; i < 100 && await connections() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await connections(), 0, 'no connection left open');
    const probe = await request(`${figway.gatewayUrl}/probe`);
    assert.equal(probe.statusCode, 200);
    assert.equal(await probe.body.text(), 'ok');
  } finally {
    await figway.close();
    await upstream.close();
  }
});
