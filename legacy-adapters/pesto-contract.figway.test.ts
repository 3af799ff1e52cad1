/**
 * Transparency: the legacy Pesto client contract, unmodified, run through figway at weight 0 with each service on
 * its own entrypoint (as the demo and compose deploy it). Whatever the legacy services answer directly — 405 to a
 * POST on auth, each service's own /healthz, problem details, \uXXXX escapes — clients get through figway. The new
 * side points at a closed port with failover off, so a request figway sent the wrong way would fail the suite.
 * A second test compares raw response bytes, direct and through figway, for a handful of requests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { FastifyInstance } from 'fastify';
import { createLegacyAuth } from './auth/service.js';
import { createLegacyRegistration } from './registration/service.js';
import { runPestoContractSuite } from './pesto-contract.suite.js';
import { PESTO_ENTRYPOINTS, pestoRoutes, pestoUpstreams } from './pesto-routes.js';
import { startFigway, type RunningFigway } from '../proxy/main.js';
import { defaultExtensions } from '../proxy/extensions.js';
import { createLogger } from '../proxy/log.js';
import { freePort, startRedisServer, type TestRedis } from '../testing/redis-server.js';

/** LegacyBehindFigway is the legacy services with figway in front of each. */
interface LegacyBehindFigway {
  direct: { auth: string; registration: string };
  through: { auth: string; registration: string };
  close(): Promise<void>;
}

async function startLegacyBehindFigway(redisUrl: string): Promise<LegacyBehindFigway> {
  const apps: FastifyInstance[] = [createLegacyAuth({ redisUrl, logLevel: 'fatal' }), createLegacyRegistration({ redisUrl, logLevel: 'fatal' })];
  const [authUrl, registrationUrl] = await Promise.all(apps.map((app) => app.listen({ port: 0, host: '127.0.0.1' })));
  const nowhere = `http://127.0.0.1:${await freePort()}`;
  const dir = await mkdtemp(join(tmpdir(), 'figway-transparency-'));
  let figway: RunningFigway | undefined;
  try {
    const config = {
      listeners: {
        gateway: { enabled: false },
        entrypoints: { [PESTO_ENTRYPOINTS.auth]: { host: '127.0.0.1', port: 0 }, [PESTO_ENTRYPOINTS.registration]: { host: '127.0.0.1', port: 0 } },
        admin: { enabled: false },
      },
      log: { level: 'silent', access: false },
      upstreams: pestoUpstreams({ legacyAuth: authUrl!, newAuth: nowhere, legacyRegistration: registrationUrl!, newRegistration: nowhere, redisUrl }),
      // failover off: a request sent to new would fail instead of being rescued by legacy.
      routes: pestoRoutes({ entrypoints: true }).map((route) => ({ ...route, failover: false })),
    };
    await writeFile(join(dir, 'figway.yaml'), stringify(config));
    await writeFile(join(dir, 'weights.yaml'), 'routes:\n  auth: 0\n  registration: 0\n');
    figway = await startFigway({ configPath: join(dir, 'figway.yaml'), logger: createLogger('silent'), watch: false, extensions: defaultExtensions });
  } catch (error) {
    await Promise.all(apps.map((app) => app.close()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = figway;
  return {
    direct: { auth: authUrl!, registration: registrationUrl! },
    through: { auth: running.entrypointUrls[PESTO_ENTRYPOINTS.auth]!, registration: running.entrypointUrls[PESTO_ENTRYPOINTS.registration]! },
    async close() {
      await running.stop();
      await Promise.all(apps.map((app) => app.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

runPestoContractSuite({
  side: 'legacy',
  label: 'legacy through figway at weight 0',
  async start(redisUrl) {
    const stack = await startLegacyBehindFigway(redisUrl);
    return { authUrl: stack.through.auth, registrationUrl: stack.through.registration, close: () => stack.close() };
  },
});

/** rawAnswer sends exact bytes and returns the raw answer with the headers that legitimately differ per hop masked. */
function rawAnswer(url: string, bytes: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(text
      // Per-hop by definition (RFC 9110 §6.6.1, §7.6.1): the time of the answer and the connection's own keep-alive terms.
      .replace(/\r\ndate: [^\r]*/i, '\r\ndate: <masked>')
      .replace(/\r\nkeep-alive: [^\r]*/i, '')
      // Generated per request by the service itself (.NET's trace id), so never equal twice.
      .replace(/"traceId":"[^"]*"/, '"traceId":"<masked>"')));
    socket.write(bytes);
  });
}

describe('legacy answers through figway are byte-for-byte the direct ones', () => {
  let redis: TestRedis;
  let stack: LegacyBehindFigway;
  before(async () => {
    redis = await startRedisServer();
    stack = await startLegacyBehindFigway(redis.url);
  });
  after(async () => {
    await stack.close();
    await redis.stop();
  });
  const cases: [service: 'auth' | 'registration', request: string][] = [
    ['auth', 'GET / HTTP/1.1\r\nHost: pesto\r\nX-Pesto-Token: unknown-token\r\nConnection: close\r\n\r\n'],
    ['auth', 'POST / HTTP/1.1\r\nHost: pesto\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'],
    ['auth', 'GET /healthz HTTP/1.1\r\nHost: pesto\r\nConnection: close\r\n\r\n'],
    ['auth', 'GET / HTTP/1.1\r\nHost: pesto\r\nAccept: application/json\r\nConnection: close\r\n\r\n'],
    ['registration', 'GET /healthz HTTP/1.1\r\nHost: pesto\r\nConnection: close\r\n\r\n'],
    ['registration', 'DELETE /api/register HTTP/1.1\r\nHost: pesto\r\nConnection: close\r\n\r\n'],
    ['registration', 'POST /api/register HTTP/1.1\r\nHost: pesto\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbaz'],
    ['registration', 'GET /api/pending HTTP/1.1\r\nHost: pesto\r\nConnection: close\r\n\r\n'],
    ['registration', 'GET /nothing-here HTTP/1.1\r\nHost: pesto\r\nConnection: close\r\n\r\n'],
  ];
  for (const [service, bytes] of cases) {
    it(`${service}: ${bytes.split('\r\n', 1)[0]}`, async () => {
      assert.equal(await rawAnswer(stack.through[service], bytes), await rawAnswer(stack.direct[service], bytes));
    });
  }
});
