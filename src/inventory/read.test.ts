import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MusterError } from '../core/errors.js';
import { readInventorySources } from './read.js';

let root: string;

before(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'muster-read-')));
  mkdirSync(join(root, 'fleet', 'inventory'), { recursive: true });
  mkdirSync(join(root, 'shared'));
  writeFileSync(join(root, 'fleet', 'inventory', 'a.yaml'), 'hosts:\n  a1: {}\n');
  writeFileSync(join(root, 'shared', 'b.yaml'), 'hosts:\n  b1: {}\n');
  // The same file linked in twice: once from another folder, once beside itself.
  symlinkSync(join('..', '..', 'shared', 'b.yaml'), join(root, 'fleet', 'inventory', 'b.yaml'));
  symlinkSync('b.yaml', join(root, 'fleet', 'inventory', 'c.yaml'));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('reads each file once, a symlinked one too; paths shown relative to cwd; the real folders reported', async () => {
  const read = await readInventorySources({ cwd: join(root, 'fleet'), env: {} });
  assert.deepEqual(read.files, [join(root, 'fleet', 'inventory', 'a.yaml'), join(root, 'fleet', 'inventory', 'b.yaml')]);
  assert.deepEqual(read.sources.map((source) => [source.path, source.file, source.text]), [
    [join('inventory', 'a.yaml'), join(root, 'fleet', 'inventory', 'a.yaml'), 'hosts:\n  a1: {}\n'],
    [join('inventory', 'b.yaml'), join(root, 'fleet', 'inventory', 'b.yaml'), 'hosts:\n  b1: {}\n'],
  ]);
  assert.deepEqual([...read.folders].sort(), [join(root, 'fleet', 'inventory'), join(root, 'shared')]);
});

test('a file outside cwd is shown by its absolute path', async () => {
  const read = await readInventorySources({ cwd: join(root, 'fleet'), env: {}, path: join(root, 'shared', 'b.yaml') });
  assert.deepEqual(read.sources.map((source) => source.path), [join(root, 'shared', 'b.yaml')]);
});

test('a file that cannot be read is one clear line naming it; the folders were heard before', async () => {
  const dir = join(root, 'vanishing');
  mkdirSync(dir);
  const file = join(dir, 'muster.yaml');
  writeFileSync(file, 'hosts: {}\n');
  let heard: string[] = [];
  await assert.rejects(readInventorySources({
    cwd: dir, env: {},
    onFound: (found) => {
      heard = found.folders;
      rmSync(file); // gone between finding and reading, as when an editor replaces it
    },
  }), (error: unknown) => {
    assert.ok(error instanceof MusterError, String(error));
    assert.equal(error.message, 'Cannot load inventory: muster.yaml: no such file');
    return true;
  });
  assert.deepEqual(heard, [dir]);
});

test('an abort passes through as an AbortError', async () => {
  await assert.rejects(readInventorySources({ cwd: join(root, 'fleet'), env: {}, signal: AbortSignal.abort() }), (error: unknown) => error instanceof Error && error.name === 'AbortError' && !(error instanceof MusterError));
});
