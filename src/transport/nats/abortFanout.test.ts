import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { onAbort } from './abortFanout.js';

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
