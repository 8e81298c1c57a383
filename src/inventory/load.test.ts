import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findInventoryFiles } from './find.js';
import { loadInventory } from './load.js';
import { resolveHost } from './resolve.js';
import { MusterError, NotFoundError } from '../core/errors.js';

let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'muster-load-'));
  mkdirSync(join(root, 'single', 'deep', 'er'), { recursive: true });
  writeFileSync(join(root, 'single', 'muster.yaml'), 'hosts:\n  web[1-2]: { vars: { a: 1 } }\n');
  mkdirSync(join(root, 'folder', 'inventory', 'sub'), { recursive: true });
  mkdirSync(join(root, 'folder', 'inventory', '.hidden'), { recursive: true });
  writeFileSync(join(root, 'folder', 'inventory', 'b.yaml'), 'hosts:\n  b1: { roles: [web] }\n');
  writeFileSync(join(root, 'folder', 'inventory', 'a.yaml'), 'roles: { web: {} }\nhosts:\n  a1: {}\n');
  writeFileSync(join(root, 'folder', 'inventory', 'sub', 'c.yml'), 'hosts:\n  c1: {}\n');
  writeFileSync(join(root, 'folder', 'inventory', '.hidden', 'x.yaml'), 'not: valid: at all');
  writeFileSync(join(root, 'folder', 'inventory', 'README.md'), '# not yaml');
  mkdirSync(join(root, 'empty'));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('finds muster.yaml in the nearest parent', () => {
  assert.deepEqual(findInventoryFiles({ cwd: join(root, 'single', 'deep', 'er'), env: {} }), [join(root, 'single', 'muster.yaml')]);
});

test('an inventory/ folder: every yaml file, sorted, hidden ones skipped', () => {
  assert.deepEqual(findInventoryFiles({ cwd: join(root, 'folder'), env: {} }), ['a.yaml', 'b.yaml', 'sub/c.yml'].map((name) => join(root, 'folder', 'inventory', name)));
});

test('-i wins over MUSTER_INVENTORY, which wins over the cwd', () => {
  const env = { MUSTER_INVENTORY: join(root, 'folder', 'inventory') };
  assert.equal(findInventoryFiles({ cwd: join(root, 'single'), env }).length, 3);
  assert.deepEqual(findInventoryFiles({ cwd: join(root, 'folder'), env, path: '../single/muster.yaml' }), [join(root, 'single', 'muster.yaml')]);
});

test('nothing found, missing path, empty folder: one clear MusterError', () => {
  assert.throws(() => findInventoryFiles({ cwd: join(root, 'empty'), path: 'nope.yaml', env: {} }), (error: unknown) => error instanceof MusterError && /nope\.yaml does not exist/.test(error.message));
  assert.throws(() => findInventoryFiles({ cwd: root, path: 'empty', env: {} }), /empty holds no \.yaml files/);
  assert.throws(() => findInventoryFiles({ cwd: join(root, 'empty'), env: { MUSTER_INVENTORY: '' } }), (error: unknown) => error instanceof MusterError && /No inventory found/.test(error.message));
});

test('loadInventory merges a folder; locations relative to cwd, files absolute', async () => {
  const inventory = await loadInventory({ cwd: join(root, 'folder'), env: {} });
  assert.deepEqual(inventory.hosts.map((host) => host.name), ['a1', 'b1', 'c1']);
  assert.equal(inventory.hostsByName.get('b1')?.definedAt.file, join('inventory', 'b.yaml'));
  assert.equal(inventory.files[0], join(root, 'folder', 'inventory', 'a.yaml'));
});

test('resolveHost: the host, or NotFoundError with close names', async () => {
  const inventory = await loadInventory({ cwd: join(root, 'single'), env: {} });
  assert.equal(resolveHost(inventory, 'web1').vars['a'], 1);
  assert.throws(() => resolveHost(inventory, 'web'), (error: unknown) => error instanceof NotFoundError && error.message === 'No host named "web": did you mean web1, web2?');
});

test('an inventory/ folder follows symlinks: a linked file counts once, a linked loop ends, a dangling .yaml link is an error', () => {
  const dir = join(root, 'linked');
  mkdirSync(join(dir, 'inventory'), { recursive: true });
  mkdirSync(join(dir, 'shared'));
  writeFileSync(join(dir, 'inventory', 'a.yaml'), 'hosts:\n  a1: {}\n');
  writeFileSync(join(dir, 'shared', 'b.yaml'), 'hosts:\n  b1: {}\n');
  symlinkSync(join('..', 'shared', 'b.yaml'), join(dir, 'inventory', 'b.yaml'));
  symlinkSync(join('..', 'shared'), join(dir, 'inventory', 'zz-shared'));
  symlinkSync('..', join(dir, 'inventory', 'zz-loop'));
  symlinkSync('nowhere', join(dir, 'inventory', 'notes.txt'));
  assert.deepEqual(findInventoryFiles({ cwd: dir, env: {} }), [join(dir, 'inventory', 'a.yaml'), join(dir, 'inventory', 'b.yaml')]);
  symlinkSync('nowhere.yaml', join(dir, 'inventory', 'c.yaml'));
  assert.throws(() => findInventoryFiles({ cwd: dir, env: {} }), (error: unknown) => error instanceof MusterError && /c\.yaml is a symlink to nothing/.test(error.message));
});
