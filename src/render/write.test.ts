import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIfChanged } from './write.js';

test('creates, leaves an unchanged file alone (same inode and mtime), replaces a changed one atomically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  const path = join(dir, 'out.cfg');
  assert.equal(writeIfChanged(path, 'one\n'), 'created');
  const first = statSync(path);
  assert.equal(writeIfChanged(path, 'one\n'), 'unchanged');
  const again = statSync(path);
  assert.equal(again.ino, first.ino);
  assert.equal(again.mtimeMs, first.mtimeMs);
  chmodSync(path, 0o600);
  assert.equal(writeIfChanged(path, 'two\n'), 'changed');
  const changed = statSync(path);
  assert.notEqual(changed.ino, first.ino, 'a new inode: the file was renamed over, not rewritten in place');
  assert.equal(changed.mode & 0o777, 0o600, 'the mode of the replaced file is kept');
  assert.equal(readFileSync(path, 'utf8'), 'two\n');
  assert.deepEqual(readdirSync(dir), ['out.cfg'], 'no temporary file left behind');
});

test('a failed write leaves the old file intact and no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  const path = join(dir, 'out.cfg');
  writeFileSync(path, 'old\n');
  chmodSync(dir, 0o500);
  try {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a directory as target fails instead.
      chmodSync(dir, 0o700);
      assert.throws(() => writeIfChanged(dir, 'x'), /EISDIR|EEXIST|ENOTDIR|illegal operation/);
    } else {
      assert.throws(() => writeIfChanged(path, 'new\n'), /EACCES/);
    }
  } finally {
    chmodSync(dir, 0o700);
  }
  assert.equal(readFileSync(path, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['out.cfg']);
});
