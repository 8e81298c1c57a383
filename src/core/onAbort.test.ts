import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { followingAbort, onAbort } from './onAbort.js';

test('onAbort: every handler once, in order; a released one is not called', () => {
  const parent = new AbortController();
  const calls: string[] = [];
  onAbort(parent.signal, () => calls.push('a'));
  const stop = onAbort(parent.signal, () => calls.push('b'));
  onAbort(parent.signal, () => calls.push('c'));
  stop();
  parent.abort();
  parent.abort();
  assert.deepEqual(calls, ['a', 'c']);
});

test('followingAbort: aborts with the parent and its reason; its own abort leaves the parent alone', () => {
  const parent = new AbortController();
  const one = followingAbort(parent.signal);
  const two = followingAbort(parent.signal);
  two.controller.abort(new Error('timed out'));
  assert.equal(parent.signal.aborted, false);
  const reason = new Error('interrupted');
  parent.abort(reason);
  assert.equal(one.controller.signal.reason, reason);
  assert.equal((two.controller.signal.reason as Error).message, 'timed out');
  assert.equal(followingAbort(parent.signal).controller.signal.reason, reason, 'an already aborted parent aborts at once');
  const released = followingAbort(undefined);
  assert.equal(released.controller.signal.aborted, false);
});

test('followingAbort: released followers are not aborted', () => {
  const parent = new AbortController();
  const follower = followingAbort(parent.signal);
  follower.release();
  parent.abort();
  assert.equal(follower.controller.signal.aborted, false);
});

test('onAbort: one listener on the signal for any number of waiters; a stopped waiter is not called', () => {
  const controller = new AbortController();
  const called: number[] = [];
  const stops = Array.from({ length: 1000 }, (_, i) => onAbort(controller.signal, () => called.push(i)));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  for (const stop of stops.slice(0, 998)) stop();
  controller.abort();
  assert.deepEqual(called, [998, 999]);
  assert.doesNotThrow(() => onAbort(undefined, () => assert.fail('no signal, never called'))());
});
