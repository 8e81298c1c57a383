import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIfChanged } from './write.js';

test('creates, leaves an unchanged file alone (same inode and mtime), replaces a changed one atomically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  const path = join(dir, 'out.cfg');
  assert.equal(await writeIfChanged(path, 'one\n'), 'created');
  const first = statSync(path);
  assert.equal(await writeIfChanged(path, 'one\n'), 'unchanged');
  const again = statSync(path);
  assert.equal(again.ino, first.ino);
  assert.equal(again.mtimeMs, first.mtimeMs);
  chmodSync(path, 0o600);
  assert.equal(await writeIfChanged(path, 'two\n'), 'changed');
  const changed = statSync(path);
  assert.notEqual(changed.ino, first.ino, 'a new inode: the file was renamed over, not rewritten in place');
  assert.equal(changed.mode & 0o777, 0o600, 'the mode of the replaced file is kept');
  assert.equal(readFileSync(path, 'utf8'), 'two\n');
  assert.deepEqual(readdirSync(dir), ['out.cfg'], 'no temporary file left behind');
});

test('a failed write leaves the old file intact and no temporary file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  const path = join(dir, 'out.cfg');
  writeFileSync(path, 'old\n');
  chmodSync(dir, 0o500);
  try {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; a directory as target fails instead.
      chmodSync(dir, 0o700);
      await assert.rejects(writeIfChanged(dir, 'x'), /not a regular file|EISDIR|EEXIST|ENOTDIR|illegal operation/);
    } else {
      await assert.rejects(writeIfChanged(path, 'new\n'), /EACCES/);
    }
  } finally {
    chmodSync(dir, 0o700);
  }
  assert.equal(readFileSync(path, 'utf8'), 'old\n');
  assert.deepEqual(readdirSync(dir), ['out.cfg']);
});

test('a symlink at the output path is replaced by the file, never written through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const path = join(dir, 'out.cfg');
  symlinkSync(victim, path);
  assert.equal(await writeIfChanged(path, 'generated\n'), 'changed');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.equal(lstatSync(path).isSymbolicLink(), false);
  assert.equal(readFileSync(path, 'utf8'), 'generated\n');
  assert.equal(statSync(path).mode & 0o777, 0o644);
});

test('a device or FIFO at the output path is refused before anything is read or replaced', async () => {
  await assert.rejects(writeIfChanged('/dev/zero', 'x'), /\/dev\/zero: it is not a regular file/);
  assert.ok(statSync('/dev/zero').isCharacterDevice(), '/dev/zero is still the device');
  const dir = mkdtempSync(join(tmpdir(), 'muster-write-'));
  symlinkSync('/dev/null', join(dir, 'out'));
  await assert.rejects(writeIfChanged(join(dir, 'out'), 'x'), /not a regular file/);
  assert.equal(lstatSync(join(dir, 'out')).isSymbolicLink(), true);
});
