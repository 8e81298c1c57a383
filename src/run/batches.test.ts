import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliMessage } from '../cli/optionFlags.js';
import { OptionError, UsageError } from '../core/errors.js';
import { batchSizes } from './batches.js';

test('batchSizes: canary then wider, the last size repeating', () => {
  assert.deepEqual(batchSizes('1,5,25%', 100), [1, 5, 25, 25, 25, 19]);
  assert.deepEqual(batchSizes('2', 7), [2, 2, 2, 1]);
  assert.deepEqual(batchSizes([1, 3], 5), [1, 3, 1]);
});

test('batchSizes: a percentage of the selected hosts is rounded up, never below 1', () => {
  assert.deepEqual(batchSizes('25%', 10), [3, 3, 3, 1]);
  assert.deepEqual(batchSizes('1%', 20), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(batchSizes('10%', 30), [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
  assert.deepEqual(batchSizes('100%', 4), [4]);
});

test('batchSizes: without a spec every host is in one batch; no hosts, no batch', () => {
  assert.deepEqual(batchSizes(undefined, 12), [12]);
  assert.deepEqual(batchSizes('1,5', 0), []);
  assert.deepEqual(batchSizes('50', 3), [3]);
});

test('batchSizes: malformed specs are usage errors naming the bad item', () => {
  assert.throws(() => batchSizes('1,x', 10), (error) => error instanceof UsageError && /"x"/.test(error.message));
  assert.throws(() => batchSizes('0', 10), UsageError);
  assert.throws(() => batchSizes('0%', 10), UsageError);
  assert.throws(() => batchSizes('150%', 10), UsageError);
  assert.throws(() => batchSizes('', 10), UsageError);
  assert.throws(() => batchSizes([0], 10), UsageError);
});

test('batchSizes: errors name the option; the CLI says its flag', () => {
  assert.throws(() => batchSizes('1,x', 10), (error) => error instanceof OptionError && error.option === 'batch'
    && error.message === 'Invalid batch "1,x": "x" is neither a host count (5) nor a percentage (25%)'
    && cliMessage(error) === 'Invalid --batch "1,x": "x" is neither a host count (5) nor a percentage (25%)');
});
