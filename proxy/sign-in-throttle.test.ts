import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSignInThrottle } from './sign-in-throttle.js';

test('an address is refused after max failures within the window, and allowed again once it has passed', () => {
  let now = 0;
  const throttle = createSignInThrottle({ max: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 3; i++) { assert.ok(throttle.allowed('10.0.0.1')); throttle.failed('10.0.0.1'); now += 1_000; }
  assert.equal(throttle.allowed('10.0.0.1'), false);
  assert.ok(throttle.allowed('10.0.0.2'), 'other addresses are not affected');
  now = 60_001;
  assert.ok(throttle.allowed('10.0.0.1'), 'the oldest failure left the window');
  throttle.failed('10.0.0.3');
  throttle.succeeded('10.0.0.3');
  throttle.failed('10.0.0.3');
  throttle.failed('10.0.0.3');
  assert.ok(throttle.allowed('10.0.0.3'), 'a success clears the count');
});

test('the number of tracked addresses is bounded', () => {
  const throttle = createSignInThrottle({ max: 1, windowMs: 60_000, addresses: 2, now: () => 0 });
  throttle.failed('a');
  throttle.failed('b');
  throttle.failed('c');
  assert.ok(throttle.allowed('a'), 'the oldest address was forgotten');
  assert.equal(throttle.allowed('c'), false);
});
