/**
 * Debian's slowhttptest against figway (npm run test:hardening, not npm test): slow headers (slowloris), slow body
 * (R-U-Dead-Yet) and slow read, 200 connections each, against limits of a few seconds. Every attacking connection
 * ends within its limit plus the time slowhttptest takes to open them all (plus slack for a loaded machine), and a
 * probe sent through figway every 250 ms keeps succeeding throughout.
 *
 * slowhttptest exits 0 whatever happened, so its CSV report is read. In slow-read mode it does not notice a reset
 * connection (it keeps counting it as connected), so that mode is judged by figway's own connection count and by the
 * kernel's table of established connections to the port.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { startTestFigway, TEST_ADMIN_TOKEN, type TestFigway } from '../testing/figway.js';
import { listenTestServer, type TestServer } from '../testing/http-servers.js';

const run = promisify(execFile);
const LIMITS = { headersMs: 2_000, bodyIdleMs: 2_000, requestMs: 4_000, responseStallMs: 2_000, keepAliveMs: 2_000 };
const CONNECTIONS = 200;
const RATE = 100;
const SLACK_SECONDS = 6;
const BIG = Buffer.alloc(1024 * 1024, 97);

let upstream: TestServer;
let figway: TestFigway;
let port: number;
let work: string;

before(async () => {
  upstream = await listenTestServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG.length) });
        res.end(BIG);
      } else {
        res.end('ok');
      }
    });
  });
  figway = await startTestFigway({
    clientTimeouts: LIMITS,
    upstreams: { legacy: { url: upstream.url }, new: { url: upstream.url } },
    routes: [{ name: 'all', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } }],
  }, {});
  port = Number(new URL(figway.gatewayUrl).port);
  work = await mkdtemp(join(tmpdir(), 'figway-slowhttptest-'));
});

after(async () => {
  await figway.close();
  await upstream.close();
  await rm(work, { recursive: true, force: true });
});

/** probing sends a GET through figway every 250 ms until stopped, counting answers. */
function probing(): { stop(): Promise<{ ok: number; failed: string[] }> } {
  const failed: string[] = [];
  let ok = 0;
  let stopped = false;
  // Its own agent, closed at the end, so its keep-alive connection does not count as one left open.
  const agent = new Agent({ connections: 1 });
  const loop = (async () => {
    while (!stopped) {
      try {
        const response = await request(`${figway.gatewayUrl}/probe`, { dispatcher: agent, headersTimeout: 5_000, bodyTimeout: 5_000 });
        const text = await response.body.text();
        if (response.statusCode === 200 && text === 'ok') ok++;
        else failed.push(`${response.statusCode} ${text.slice(0, 80)}`);
      } catch (error) {
        failed.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await agent.close();
      return { ok, failed };
    },
  };
}

interface Report {
  rows: { second: number; closed: number; pending: number; connected: number }[];
  exitStatus: string;
}

async function slowhttptest(mode: string, name: string, extra: string[], url: string): Promise<Report> {
  const prefix = join(work, name);
  const { stdout } = await run('slowhttptest', [mode, '-c', String(CONNECTIONS), '-r', String(RATE), '-l', '15', '-p', '3', '-g', '-o', prefix, '-u', url, ...extra], {
    timeout: 60_000, maxBuffer: 16 * 1024 * 1024,
  });
  const csv = await readFile(`${prefix}.csv`, 'utf8');
  const rows = csv.trim().split('\n').slice(1).map((line) => {
    const [second, closed, pending, connected] = line.split(',').map(Number);
    return { second: second!, closed: closed!, pending: pending!, connected: connected! };
  });
  // The summary is coloured.
  const plain = stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  return { rows, exitStatus: /Exit status:\s*(.*)/.exec(plain)?.[1]?.trim() ?? 'unknown' };
}

/** lastOpenSecond is the last second of the report with a connection still open. */
function lastOpenSecond(report: Report): number {
  return report.rows.filter((row) => row.connected > 0).reduce((last, row) => Math.max(last, row.second), 0);
}

/** establishedTo counts the kernel's established TCP connections to the gateway port (both ends live on 127.0.0.1). */
async function establishedTo(): Promise<number> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const table = await readFile(file, 'utf8').catch(() => '');
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address rem_address st: 01 = ESTABLISHED; count the server side (local port = gateway port).
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '01') count++;
    }
  }
  return count;
}

async function gatewayConnections(): Promise<number> {
  return new Promise((resolve) => figway.gateway.server.getConnections((_error, count) => resolve(count)));
}

async function stalledCount(): Promise<number> {
  const metrics = await (await request(`${figway.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).body.text();
  const line = metrics.split('\n').find((l) => l.startsWith('figway_rejected_requests_total{code="PROXY_RESPONSE_STALLED"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

const RAMP_SECONDS = Math.ceil(CONNECTIONS / RATE);

test('slowhttptest slow headers: every connection is cut within headersMs, probes keep succeeding', async (t) => {
  const probe = probing();
  const report = await slowhttptest('-H', 'slow-headers', ['-i', '1'], `${figway.gatewayUrl}/`);
  const probes = await probe.stop();
  const last = lastOpenSecond(report);
  t.diagnostic(`slow headers: ${CONNECTIONS} connections, last open at ${last} s (headersMs ${LIMITS.headersMs}), exit status "${report.exitStatus}", probes ${probes.ok} ok, ${probes.failed.length} failed`);
  assert.deepEqual(probes.failed, []);
  assert.ok(probes.ok > 0);
  assert.equal(report.exitStatus, 'No open connections left');
  assert.ok(last <= RAMP_SECONDS + LIMITS.headersMs / 1000 + SLACK_SECONDS, `connections stayed open until ${last} s`);
});

test('slowhttptest slow body: pauses are cut within bodyIdleMs, trickles within requestMs, probes keep succeeding', async (t) => {
  for (const [name, interval, limitMs] of [['slow-body-paused', '3', LIMITS.bodyIdleMs], ['slow-body-trickled', '1', LIMITS.requestMs]] as const) {
    const probe = probing();
    const report = await slowhttptest('-B', name, ['-i', interval, '-s', '65536'], `${figway.gatewayUrl}/`);
    const probes = await probe.stop();
    const last = lastOpenSecond(report);
    t.diagnostic(`${name} (a body piece every ${interval} s): ${CONNECTIONS} connections, last open at ${last} s (limit ${limitMs} ms), exit status "${report.exitStatus}", probes ${probes.ok} ok, ${probes.failed.length} failed`);
    assert.deepEqual(probes.failed, [], name);
    assert.ok(probes.ok > 0);
    assert.equal(report.exitStatus, 'No open connections left', name);
    assert.ok(last <= RAMP_SECONDS + limitMs / 1000 + SLACK_SECONDS, `${name}: connections stayed open until ${last} s`);
  }
});

test('slowhttptest slow read: readers that stall are cut within responseStallMs (upstream freed), probes keep succeeding', async (t) => {
  const stalledBefore = await stalledCount();
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const probe = probing();
  const started = Date.now();
  const watch = (async () => {
    // figway's and the kernel's view, sampled each second while slowhttptest runs.
    const samples: { second: number; figway: number; kernel: number }[] = [];
    for (let second = 0; second < 16; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      samples.push({ second: Math.round((Date.now() - started) / 1000), figway: await gatewayConnections(), kernel: await establishedTo() });
    }
    return samples;
  })();
  const report = await slowhttptest('-X', 'slow-read', ['-k', '3', '-n', '1', '-w', '512', '-y', '1024', '-z', '32'], `${figway.gatewayUrl}/big`);
  const probes = await probe.stop();
  const samples = await watch;
  const open = samples.filter((sample) => sample.kernel > 1 || sample.figway > 1);
  const last = open.reduce((max, sample) => Math.max(max, sample.second), 0);
  const stalled = await stalledCount() - stalledBefore;
  delay.disable();
  t.diagnostic(`slow read: ${stalled} answers cut as stalled; established connections per second (figway/kernel): ${samples.map((s) => `${s.second}s ${s.figway}/${s.kernel}`).join(', ')}; slowhttptest (which does not notice resets) says "${report.exitStatus}"; probes ${probes.ok} ok, ${probes.failed.length} failed ${probes.failed.join('; ')}; event loop delay max ${(delay.max / 1e6).toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms`);
  assert.deepEqual(probes.failed, []);
  assert.ok(probes.ok > 0);
  assert.ok(stalled > 0, 'stalled answers were cut and counted');
  assert.equal(await gatewayConnections(), 0, 'figway holds no connection');
  assert.equal(await establishedTo(), 0, 'the kernel holds no established connection to the gateway');
  assert.ok(last <= RAMP_SECONDS + LIMITS.responseStallMs / 1000 + SLACK_SECONDS + 2, `connections stayed open until ${last} s`);
});
