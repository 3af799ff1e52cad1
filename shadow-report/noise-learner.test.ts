import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createNoiseLearner } from './noise-learner.js';
import { looksGenerated } from './generated.js';
import { compareResponses } from './compare-responses.js';
import { judge } from './judge.js';
import type { CapturedResponse, Finding } from './types.js';

const json = (body: unknown, status = 200): CapturedResponse =>
  ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
const alnum = (n: number): string => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

describe('looksGenerated', () => {
  it('recognises ids, tokens, timestamps and random e-mails', () => {
    // Fixed samples of each kind: a random draw can, rarely, be all digits or low in entropy and make this test flaky.
    for (const v of ['3fa85f64-5717-4562-b3fc-2c963f66afa6', '9f86d081884c7d659a2feaa0c55ad015', 'TRIAL-x7Qm2Lp9Zr4Tb8Wn1Kd6Hs3Vf0Yc5Gj2Ue7Ra9Mo4Ni1Bq8Xt6Sw3Pe0Lh5Dk2Fz9Cv7Iu4Jy1Eg6Ao',
      '2024-05-01T10:11:12.123Z', 'Tue, 15 Nov 1994 08:12:31 GMT', 1714557072, 1714557072123, 'req_5f3a9c1b2e7d',
      'trial-k3Xb9Qm2Pz7Lw4Nr8Ty1@pesto.teknologiumum.com', '«redacted:3f9a1c2e»', '«redacted:number:3f9a1c2e»']) {
      assert.equal(looksGenerated(v), true, String(v));
    }
  });
  it('does not take words, small numbers or plain e-mails for generated values', () => {
    for (const v of ['Token not registered', 'johndoe@example.com', 'application/json', 42, true, 'OK', 'password123', 'deadbeef']) {
      assert.equal(looksGenerated(v), false, String(v));
    }
  });
});

describe('createNoiseLearner', () => {
  it('learns per class and reports its real counts', () => {
    const learner = createNoiseLearner({ minSamples: 3 });
    for (let i = 0; i < 4; i++) learner.observe('r', [{ class: 'value', path: 'body.id', legacy: randomUUID(), candidate: randomUUID(), rule: 'body' }]);
    assert.equal(learner.isNoise('r', 'body.id', 'value'), true);
    assert.equal(learner.isNoise('r', 'body.id', 'extra-field'), false);
    assert.equal(learner.isNoise('r', 'body.id', 'null-vs-absent'), false);
    assert.deepEqual(learner.learned('r'), [{ path: 'body.id', class: 'value', source: 'learned', samples: 4, differ: 4, measured: false, noise: true }]);
  });

  it('learns a field whose random token differs on every comparison, after minSamples', () => {
    const learner = createNoiseLearner({ minSamples: 5, minDifferRatio: 0.9 });
    for (let i = 0; i < 5; i++) {
      assert.equal(learner.isNoise('trial', 'body.token', 'value'), false, `not yet noise after ${i} samples`);
      const { findings, bodies } = compareResponses(json({ token: `TRIAL-${alnum(58)}`, limit: 10 }), json({ token: `TRIAL-${alnum(58)}`, limit: 10 }), { wantBodies: true });
      learner.observe('trial', findings, bodies && { legacy: { body: bodies.legacy }, candidate: { body: bodies.candidate } });
    }
    assert.equal(learner.isNoise('trial', 'body.token', 'value'), true);
    assert.equal(learner.isNoise('other-route', 'body.token', 'value'), false);
  });

  it('normalizes array indices so items[0].id and items[7].id are one path', () => {
    const learner = createNoiseLearner({ minSamples: 3 });
    for (let i = 0; i < 3; i++) learner.observe('r', [{ class: 'value', path: `body.items[${i}].id`, legacy: randomUUID(), candidate: randomUUID(), rule: 'body' }]);
    assert.equal(learner.isNoise('r', 'body.items[42].id', 'value'), true);
  });

  it('never learns a casing change, even when it happens on every comparison', () => {
    const learner = createNoiseLearner({ minSamples: 3 });
    for (let i = 0; i < 10; i++) {
      const { findings } = compareResponses(json({ UserEmail: `trial-${alnum(20)}@pesto.teknologiumum.com` }), json({ user_email: `trial-${alnum(20)}@pesto.teknologiumum.com` }));
      learner.observe('auth', findings);
    }
    assert.equal(learner.isNoise('auth', 'body.UserEmail', 'value'), false);
    assert.deepEqual(learner.learned('auth'), []);
    const { findings } = compareResponses(json({ UserEmail: 'a@b.c' }), json({ user_email: 'a@b.c' }));
    assert.deepEqual(judge(findings, {}, learner.view('auth')).findings.map((f) => [f.class, f.verdict]), [['key-casing', 'unexpected']]);
  });

  it('does not learn values that differ but do not look generated', () => {
    const learner = createNoiseLearner({ minSamples: 3 });
    for (let i = 0; i < 10; i++) learner.observe('r', [{ class: 'value', path: 'body.message', legacy: 'OK', candidate: 'Created', rule: 'body' }]);
    assert.equal(learner.isNoise('r', 'body.message', 'value'), false);
  });

  it('does not learn a field that matches on most comparisons where both sides have it', () => {
    const learner = createNoiseLearner({ minSamples: 5, minDifferRatio: 0.9 });
    const id = randomUUID();
    for (let i = 0; i < 20; i++) {
      const differs = i % 3 === 0;
      const { findings, bodies } = compareResponses(json({ id }), json({ id: differs ? randomUUID() : id }), { wantBodies: true });
      learner.observe('r', findings, { legacy: { body: bodies?.legacy }, candidate: { body: bodies?.candidate } });
    }
    assert.equal(learner.isNoise('r', 'body.id', 'value'), false);
  });

  it('does not count comparisons in which the field is absent on a side', () => {
    const learner = createNoiseLearner({ minSamples: 4, minDifferRatio: 0.9 });
    for (let i = 0; i < 8; i++) {
      const withId = i % 2 === 0;
      const { findings, bodies } = compareResponses(json(withId ? { id: randomUUID() } : { error: 'x' }), json(withId ? { id: randomUUID() } : { error: 'x' }), { wantBodies: true });
      learner.observe('r', findings, { legacy: { body: bodies?.legacy }, candidate: { body: bodies?.candidate } });
    }
    assert.equal(learner.isNoise('r', 'body.id', 'value'), true);
  });

  it('measures noise from two legacy answers to the same request (Diffy)', () => {
    const learner = createNoiseLearner();
    const ticket = learner.legacyPairTicket('r', 'GET')!;
    learner.observeLegacyPair('r', json({ at: 'x', v: 1 }), json({ at: 'y', v: 1 }), { ticket });
    assert.equal(learner.isNoise('r', 'body.at', 'value'), true);
    assert.equal(learner.isNoise('r', 'body.v', 'value'), false);
    assert.deepEqual(learner.learned('r').map((e) => [e.path, e.class, e.source, e.samples, e.differ, e.noise]), [['body.at', 'value', 'measured', 1, 1, true]]);
  });

  it('measures per class: a field that legacy instances disagree on by value is not noise when it goes missing or appears', () => {
    const learner = createNoiseLearner();
    const ticket = learner.legacyPairTicket('r', 'GET')!;
    learner.observeLegacyPair('r', json({ id: 1, extra: 'a' }), json({ id: 2 }), { ticket });
    assert.equal(learner.isNoise('r', 'body.id', 'value'), true);
    assert.equal(learner.isNoise('r', 'body.id', 'extra-field'), false);
    assert.equal(learner.isNoise('r', 'body.id', 'type'), false);
    assert.equal(learner.isNoise('r', 'body.extra', 'missing-field'), false, 'missing-field is never noise');
    assert.deepEqual(learner.learned('r').map((e) => [e.path, e.class]), [['body.id', 'value']]);
  });

  it('keeps real counts for measured entries and drops one that legacy instances mostly agree on', () => {
    const learner = createNoiseLearner();
    for (let i = 0; i < 4; i++) {
      const ticket = learner.legacyPairTicket('r', 'GET')!;
      learner.observeLegacyPair('r', json({ v: 1 }), json({ v: i === 0 ? 2 : 1 }), { ticket });
    }
    assert.deepEqual(learner.learned('r').map((e) => [e.path, e.samples, e.differ, e.noise]), [['body.v', 4, 1, false]]);
    assert.equal(learner.isNoise('r', 'body.v', 'value'), false);
    assert.deepEqual(learner.legacyPairs('r'), { measured: 4, refused: 0 });
  });

  it('issues tickets only for safe methods, and honours none taken before a write', () => {
    const learner = createNoiseLearner();
    assert.equal(learner.legacyPairTicket('r', 'POST'), undefined);
    assert.equal(learner.legacyPairTicket('r', 'DELETE'), undefined);
    const before = learner.legacyPairTicket('r', 'get', 'store-a')!;
    assert.equal(before.method, 'GET');
    learner.noteWrite('store-a', { secondaryInStep: true });
    learner.observeLegacyPair('r', json({ at: 'x' }), json({ at: 'y' }), { ticket: before });
    assert.equal(learner.isNoise('r', 'body.at', 'value'), false, 'a write came between: the pair is not comparable');
    const after = learner.legacyPairTicket('r', 'GET', 'store-a')!;
    learner.observeLegacyPair('r', json({ at: 'x' }), json({ at: 'y' }), { ticket: after });
    assert.equal(learner.isNoise('r', 'body.at', 'value'), true, 'the secondary got the write too: it is still in step');
    assert.deepEqual(learner.legacyPairs('r'), { measured: 1, refused: 1 });
  });

  it('issues no ticket for a scope whose secondary drifted (a write it did not get) until it is resynced', () => {
    const learner = createNoiseLearner();
    learner.noteWrite('store-a');
    assert.equal(learner.legacyPairTicket('r', 'GET', 'store-a'), undefined);
    assert.ok(learner.legacyPairTicket('r', 'GET', 'store-b') !== undefined, 'other scopes are unaffected');
    learner.resyncSecondary('store-a');
    assert.ok(learner.legacyPairTicket('r', 'GET', 'store-a') !== undefined);
  });

  it('refuses a ticket taken for another route, and a pair without a ticket', () => {
    const learner = createNoiseLearner();
    learner.observeLegacyPair('r', json({ at: 'x' }), json({ at: 'y' }), { ticket: learner.legacyPairTicket('other', 'GET')! });
    assert.equal(learner.isNoise('r', 'body.at', 'value'), false);
    const untyped = learner.observeLegacyPair as (route: string, a: CapturedResponse, b: CapturedResponse) => Finding[];
    assert.equal(untyped('r', json({ at: 'x' }), json({ at: 'y' })).length, 1, 'the findings are still returned');
    assert.equal(learner.isNoise('r', 'body.at', 'value'), false);
    assert.deepEqual(learner.legacyPairs('r'), { measured: 0, refused: 2 });
  });

  it('does not measure a status difference between legacy answers as noise', () => {
    const learner = createNoiseLearner();
    learner.observeLegacyPair('r', json({}, 200), json({}, 500), { ticket: learner.legacyPairTicket('r', 'GET')! });
    assert.equal(learner.isNoise('r', 'status', 'status'), false);
  });

  it('keeps at most maxPathsPerRoute tracked paths per route', () => {
    const learner = createNoiseLearner({ minSamples: 2, maxPathsPerRoute: 10 });
    const findings: Finding[] = [];
    for (let i = 0; i < 100; i++) findings.push({ class: 'value', path: `body.f${i}`, legacy: randomUUID(), candidate: randomUUID(), rule: 'body' });
    learner.observe('r', findings);
    assert.equal(learner.learned('r').length, 10);
  });

  it('rejects unusable options with DIFF_BAD_OPTIONS', () => {
    assert.throws(() => createNoiseLearner({ minDifferRatio: 2 }), { code: 'DIFF_BAD_OPTIONS' });
  });
});
