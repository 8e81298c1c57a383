import { test } from 'node:test';
import assert from 'node:assert/strict';
import { characterBoundary, formatBytes } from './bytes.js';

test('formatBytes: a cap as people read it', () => {
  assert.equal(formatBytes(1024 * 1024), '1 MiB');
  assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
  assert.equal(formatBytes(64 * 1024), '64 KiB');
  assert.equal(formatBytes(1000), '1000 bytes');
  assert.equal(formatBytes(0), '0 bytes');
});

test('characterBoundary: never splits a UTF-8 character; binary and a character begun earlier are cut where asked', () => {
  const text = Buffer.from('aé€😀');  // 1 + 2 + 3 + 4 bytes
  const cuts = Array.from({ length: text.length + 1 }, (_, end) => characterBoundary(text, end));
  assert.deepEqual(cuts, [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
  for (const end of cuts) assert.equal(text.subarray(0, end).toString('utf8').includes('\ufffd'), false);
  assert.equal(characterBoundary(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80]), 4), 4, 'continuation bytes only: binary, cut as asked');
  assert.equal(characterBoundary(text, 99), text.length);
});
