import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './errors.js';
import { formatBytes, parseSize } from './bytes.js';

test('parseSize: bytes, K, M, G (powers of 1024, any case, B/iB allowed), and back through formatBytes', () => {
  assert.equal(parseSize('100'), 100);
  assert.equal(parseSize('64K'), 65536);
  assert.equal(parseSize('10M'), 10 * 1024 * 1024);
  assert.equal(parseSize('10mib'), 10 * 1024 * 1024);
  assert.equal(parseSize('1.5K'), 1536);
  assert.equal(parseSize(' 1G '), 1024 ** 3);
  assert.equal(formatBytes(parseSize('10M')), '10 MiB');
});

test('parseSize: anything else is a UsageError naming what it was for', () => {
  for (const bad of ['', '0', '0.1', '-1M', '10T', 'M', '10 megs', '1e6']) {
    assert.throws(() => parseSize(bad, '--max-output'), (error: unknown) => error instanceof UsageError && error.message.includes(`--max-output "${bad}"`), bad);
  }
});
