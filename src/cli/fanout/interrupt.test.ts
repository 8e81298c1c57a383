import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interruptOnSigint } from './interrupt.js';

test('interruptOnSigint: the first SIGINT clears, says so and aborts; release gives Ctrl-C back', () => {
  const listeners = process.listenerCount('SIGINT');
  let said = '';
  const order: string[] = [];
  const interrupt = interruptOnSigint({ before: () => order.push('before'), stderr: { write: (text: string) => { order.push('said'); said += text; } } });
  assert.equal(process.listenerCount('SIGINT'), listeners + 1);
  assert.equal(interrupt.signal.aborted, false);
  // emit() runs the handlers without a real signal: the second Ctrl-C (which re-raises it) is not tried here.
  process.emit('SIGINT', 'SIGINT');
  assert.equal(interrupt.signal.aborted, true);
  assert.equal((interrupt.signal.reason as Error).message, 'interrupted');
  assert.deepEqual(order, ['before', 'said']);
  assert.equal(said, 'muster: interrupted: starting no more hosts, stopping the running ones (Ctrl-C again to quit at once)\n');
  interrupt.release();
  assert.equal(process.listenerCount('SIGINT'), listeners);
});
