import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError } from './errors.js';
import { writeFileAtomic } from './writeFileAtomic.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'muster-atomic-'));
}

test('writeFileAtomic follows a symlink, and refuses a file changed since it was read', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'real.yaml'), 'a: 1\n');
    symlinkSync(join(dir, 'real.yaml'), join(dir, 'link.yaml'));
    await writeFileAtomic(join(dir, 'link.yaml'), 'a: 2\n', { expected: 'a: 1\n' });
    assert.equal(readFileSync(join(dir, 'real.yaml'), 'utf8'), 'a: 2\n');
    await assert.rejects(writeFileAtomic(join(dir, 'link.yaml'), 'a: 3\n', { expected: 'a: 1\n' }), /changed while muster was editing it/);
    assert.equal(readFileSync(join(dir, 'real.yaml'), 'utf8'), 'a: 2\n');
    assert.deepEqual(readdirSync(dir).sort(), ['link.yaml', 'real.yaml']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic keeps an existing file\'s mode, creates a new one only with createMode, and names the path on failure', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'kept'), 'old');
    chmodSync(join(dir, 'kept'), 0o640);
    await writeFileAtomic(join(dir, 'kept'), 'new');
    assert.equal(statSync(join(dir, 'kept')).mode & 0o777, 0o640);
    assert.equal(readFileSync(join(dir, 'kept'), 'utf8'), 'new');
    await assert.rejects(writeFileAtomic(join(dir, 'absent'), 'x'), /ENOENT/);
    await writeFileAtomic(join(dir, 'made'), 'x', { createMode: 0o600 });
    assert.equal(statSync(join(dir, 'made')).mode & 0o777, 0o600);
    await assert.rejects(writeFileAtomic(join(dir, 'no', 'such', 'folder'), 'x', { createMode: 0o644 }), (error: unknown) => error instanceof MusterError && /Cannot write .*folder/.test(error.message));
    assert.deepEqual(readdirSync(dir).sort(), ['kept', 'made'], 'no temporary file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic with followSymlinks: false replaces a planted symlink instead of writing through it', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'victim'), 'precious\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'out.sh'));
    await writeFileAtomic(join(dir, 'out.sh'), 'exported\n', { createMode: 0o644, followSymlinks: false });
    assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'precious\n');
    assert.equal(lstatSync(join(dir, 'out.sh')).isFile(), true);
    assert.equal(readFileSync(join(dir, 'out.sh'), 'utf8'), 'exported\n');
    symlinkSync(join(dir, 'victim'), join(dir, 'edited.yaml'));
    await assert.rejects(writeFileAtomic(join(dir, 'edited.yaml'), 'x', { expected: 'precious\n', followSymlinks: false }), /is a symlink/);
    assert.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'precious\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
