import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration: seconds by default, units, combinations', () => {
  assert.equal(parseDuration('30'), 30_000);
  assert.equal(parseDuration('1.5'), 1500);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration(' 1m30s '), 90_000);
});

test('parseDuration: anything else is a UsageError naming the text', () => {
  for (const bad of ['', 'soon', '5x', '1m 30s', '-5s', '5s!', 'ms']) {
    assert.throws(() => parseDuration(bad), (error: unknown) => error instanceof UsageError && error.message.includes(`"${bad}"`), bad);
  }
});

test('formatDuration: ms, tenths of seconds, then minutes and seconds, never 60 seconds', () => {
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(999.7), '1.0s');
  assert.equal(formatDuration(3210), '3.2s');
  assert.equal(formatDuration(59_960), '1m00s');
  assert.equal(formatDuration(125_000), '2m05s');
  assert.equal(formatDuration(119_600), '2m00s');
  assert.equal(formatDuration(3_599_700), '60m00s');
});
