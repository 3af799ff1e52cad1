import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketOf, thresholdOf, BUCKETS } from './bucket.js';
import { createStickyPolicy, createWeightedDraw, cookieValue, type SelectionInput } from './select.js';
import type { IncomingMessage } from 'node:http';

function inputWith(headers: Record<string, string>, query = '', clientAddress = '10.0.0.1'): SelectionInput {
  return { req: { headers } as unknown as IncomingMessage, query, clientAddress };
}

test('observed split over 10,000 distinct keys stays within the binomial 99.9% bound of the weight', () => {
  const policy = createStickyPolicy({ header: 'x-pesto-token' }, 'auth', createWeightedDraw(() => 0));
  for (const weight of [1, 5, 25, 50, 99.5]) {
    let onNew = 0;
    for (let i = 0; i < 10_000; i++) {
      if (policy.select(inputWith({ 'x-pesto-token': `token-${i}-${weight}` }), weight).side === 'new') onNew++;
    }
    const p = weight / 100;
    const sd = Math.sqrt(10_000 * p * (1 - p));
    // 99.9% two-sided bound: z = 3.29
    assert.ok(Math.abs(onNew - 10_000 * p) <= 3.29 * sd, `weight ${weight}: ${onNew} on new`);
  }
});

test('a key on new at weight w1 is on new at any higher weight w2 (monotone ramp)', () => {
  fc.assert(fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (salt, key, a, b) => {
    const [w1, w2] = a <= b ? [a / 100, b / 100] : [b / 100, a / 100];
    const bucket = bucketOf(salt, key);
    const onNewAt = (w: number): boolean => bucket < thresholdOf(w);
    return !onNewAt(w1) || onNewAt(w2);
  }), { numRuns: 2000 });
});

test('weight 0 sends nothing to new and weight 100 sends everything, sticky or drawn', () => {
  const sticky = createStickyPolicy({ header: 'x-k' }, 's', createWeightedDraw(() => 0.9999999));
  const drawLow = createWeightedDraw(() => 0);
  const drawHigh = createWeightedDraw(() => 0.9999999);
  for (let i = 0; i < 2000; i++) {
    assert.equal(sticky.select(inputWith({ 'x-k': `k${i}` }), 0).side, 'legacy');
    assert.equal(sticky.select(inputWith({ 'x-k': `k${i}` }), 100).side, 'new');
  }
  assert.equal(drawLow.select(inputWith({}), 0).side, 'legacy');
  assert.equal(drawHigh.select(inputWith({}), 100).side, 'new');
  assert.equal(thresholdOf(0), 0);
  assert.equal(thresholdOf(100), BUCKETS);
  assert.equal(thresholdOf(0.01), 1);
});

test('requests without a sticky key fall back to the injected random draw', () => {
  const values = [0.1, 0.6];
  let i = 0;
  const policy = createStickyPolicy({ header: 'x-k' }, 's', createWeightedDraw(() => values[i++ % 2]!));
  const first = policy.select(inputWith({}), 50);
  const second = policy.select(inputWith({}), 50);
  assert.deepEqual([first.side, first.reason, second.side], ['new', 'draw', 'legacy']);
});

test('sticky keys can come from a cookie, a query parameter or the client address', () => {
  const draw = createWeightedDraw(() => 0.99);
  const byCookie = createStickyPolicy({ cookie: 'sid' }, 's', draw);
  const byQuery = createStickyPolicy({ query: 'user' }, 's', draw);
  const byAddress = createStickyPolicy({ clientAddress: true }, 's', draw);
  assert.equal(byCookie.select(inputWith({ cookie: 'a=1; sid=abc' }), 50).reason, 'sticky');
  assert.equal(byCookie.select(inputWith({ cookie: 'a=1' }), 50).reason, 'draw');
  assert.equal(byQuery.select(inputWith({}, 'user=42&x=1'), 50).reason, 'sticky');
  assert.equal(byAddress.select(inputWith({}, '', '192.0.2.7'), 50).reason, 'sticky');
  // The same key lands in the same bucket every time.
  const side = byCookie.select(inputWith({ cookie: 'sid=stable' }), 50).side;
  for (let k = 0; k < 50; k++) assert.equal(byCookie.select(inputWith({ cookie: 'sid=stable' }), 50).side, side);
  assert.equal(cookieValue('x="quoted"; y=2', 'x'), 'quoted');
});

test('the salt reshuffles buckets between routes', () => {
  let same = 0;
  for (let i = 0; i < 1000; i++) if (bucketOf('route-a', `k${i}`) === bucketOf('route-b', `k${i}`)) same++;
  assert.ok(same < 10, `${same} keys share a bucket across salts`);
});
