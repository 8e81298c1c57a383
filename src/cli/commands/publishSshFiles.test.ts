/** The files `publish --via ssh` writes are byte for byte what `localCopyFiles` makes for each host. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixturePath } from '../../bindings/fixture.test-helper.js';
import { localCopyFiles, localCopyNames } from '../../bindings/localCopy.js';
import type { PublishedVersion } from '../../core/fleetKv.js';
import { loadInventory } from '../../inventory/load.js';
import { digestOf, snapshotOf } from '../../inventory/snapshot.js';
import { copyFilesFor } from './publishSsh.js';

test('every host\'s three files are localCopyFiles\' own; the shared two are one buffer for all hosts', async () => {
  const inventory = await loadInventory({ path: fixturePath });
  const snapshot = snapshotOf(inventory);
  const version: PublishedVersion = { revision: 3, digest: digestOf(snapshot), publishedAt: '2026-12-02T17:00:00.000Z', by: 'alice@ops1', hosts: inventory.hosts.length };
  const filesFor = copyFilesFor(snapshot, version);
  const shared = filesFor(inventory.hosts[0]?.name ?? '');
  assert.ok(inventory.hosts.length > 3);
  for (const host of inventory.hosts) {
    const made = filesFor(host.name);
    assert.deepEqual(made.map((file) => file.name), [...localCopyNames]);
    const expected = localCopyFiles(snapshot, version, host.name);
    for (const file of made) assert.equal(file.data.toString('utf8'), expected[file.name as keyof typeof expected], `${host.name} ${file.name}`);
    assert.equal(made[1]?.data, shared[1]?.data);
    assert.equal(made[2]?.data, shared[2]?.data);
  }
});
