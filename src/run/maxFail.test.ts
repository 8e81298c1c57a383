import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliMessage } from '../cli/optionFlags.js';
import { OptionError, UsageError } from '../core/errors.js';
import { failureThreshold } from './maxFail.js';

test('failureThreshold: a count is taken as is', () => {
  assert.equal(failureThreshold('2', 100), 2);
  assert.equal(failureThreshold(0, 100), 0);
  assert.equal(failureThreshold(' 7 ', 3), 7);
});

test('failureThreshold: a percentage of the selected hosts, rounded down', () => {
  assert.equal(failureThreshold('25%', 10), 2);
  assert.equal(failureThreshold('10%', 30), 3);
  assert.equal(failureThreshold('2%', 120), 2);
  assert.equal(failureThreshold('5%', 10), 0);
  assert.equal(failureThreshold('100%', 10), 10);
});

test('failureThreshold: none given means no threshold', () => {
  assert.equal(failureThreshold(undefined, 10), Number.POSITIVE_INFINITY);
});

test('failureThreshold: malformed specs are usage errors', () => {
  for (const bad of ['-1', 'x', '1.5', '101%', '']) assert.throws(() => failureThreshold(bad, 10), UsageError, bad);
  assert.throws(() => failureThreshold(-1, 10), UsageError);
});

test('failureThreshold: errors name the option; the CLI says its flag', () => {
  assert.throws(() => failureThreshold('lots', 10), (error) => error instanceof OptionError && error.option === 'maxFail'
    && error.message === 'Invalid maxFail "lots": give a whole number of hosts (0 or more) or a percentage such as 10%'
    && cliMessage(error) === 'Invalid --max-fail "lots": give a whole number of hosts (0 or more) or a percentage such as 10%');
});
