import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { createAuditLog, type AuditEntry } from './audit.js';
import { createLogger } from './log.js';
import { startEchoServer } from '../testing/http-servers.js';
import { startTestFigway, TEST_ADMIN_TOKEN } from '../testing/figway.js';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  return { logger: createLogger('info', sink), lines };
}

test('keeps a bounded history, newest first, and writes one audit log line per entry', async () => {
  const { logger, lines } = capturingLogger();
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const audit = createAuditLog({ logger, capacity: 3, now: () => clock });
  const heard: AuditEntry[] = [];
  audit.on('entry', (entry) => heard.push(entry));
  for (let i = 1; i <= 5; i++) {
    audit.record({ who: 'ops', action: 'weight.set', route: 'auth', old: i - 1, new: i, why: `step ${i}` });
    clock += 1000;
  }
  assert.deepEqual(audit.entries().map((entry) => entry.new), [5, 4, 3]);
  assert.deepEqual(audit.entries(2).map((entry) => entry.new), [5, 4]);
  assert.deepEqual(audit.entries()[0], { at: '2026-12-01T10:00:04.000Z', who: 'ops', action: 'weight.set', route: 'auth', old: 4, new: 5, why: 'step 5' });
  assert.equal(heard.length, 5);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.filter((line) => line.msg === 'audit').length, 5);
  assert.deepEqual((lines[0]!.audit as AuditEntry).new, 1);
});

test('an entry received from another instance is kept and emitted but not published back', () => {
  const { logger } = capturingLogger();
  const audit = createAuditLog({ logger });
  const published: AuditEntry[] = [];
  audit.share({ publish: (entry) => published.push(entry) });
  audit.record({ who: 'ops', action: 'ramp.pause', route: 'auth' });
  audit.receive({ at: '2026-12-01T10:00:00.000Z', who: 'ramp', action: 'ramp.promote', route: 'auth', old: 1, new: 5 });
  assert.equal(published.length, 1);
  assert.deepEqual(audit.entries().map((entry) => entry.action), ['ramp.promote', 'ramp.pause']);
});

test('GET /api/audit lists weight changes made through the API, with who, old and new; bad limits are 400', async () => {
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  const figway = await startTestFigway({
    upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } },
    routes: [{ name: 'api', legacy: 'legacy', new: 'new', match: { pathPrefix: '/' } }],
  }, { api: 5 });
  const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  try {
    const put = await request(`${figway.adminUrl}/api/routes/api/weight`, {
      method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ weight: 12.5, reason: 'more traffic' }),
    });
    assert.equal(put.statusCode, 200);
    await put.body.dump();
    const rejected = await request(`${figway.adminUrl}/api/routes/api/weight`, {
      method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ weight: 140 }),
    });
    assert.equal(rejected.statusCode, 400);
    await rejected.body.dump();

    const listed = await request(`${figway.adminUrl}/api/audit?limit=10`, { headers: auth });
    assert.equal(listed.statusCode, 200);
    const { entries } = await listed.body.json() as { entries: AuditEntry[] };
    assert.equal(entries.length, 1, 'a rejected edit records nothing');
    assert.deepEqual({ ...entries[0], at: undefined }, { at: undefined, who: 'admin', action: 'weight.set', route: 'api', old: 5, new: 12.5, why: 'more traffic' });
    assert.ok(!Number.isNaN(Date.parse(entries[0]!.at)));

    for (const query of ['limit=0', 'limit=abc', 'limit=100000', 'colour=blue']) {
      const bad = await request(`${figway.adminUrl}/api/audit?${query}`, { headers: auth });
      assert.equal(bad.statusCode, 400, query);
      assert.equal(((await bad.body.json()) as { error: { code: string } }).error.code, 'ADMIN_BAD_REQUEST', query);
    }
    const anonymous = await request(`${figway.adminUrl}/api/audit`);
    assert.equal(anonymous.statusCode, 401);
    await anonymous.body.dump();
  } finally {
    await figway.close();
    await legacy.close();
    await fresh.close();
  }
});
