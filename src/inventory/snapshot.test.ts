/** Snapshots: records of a real inventory give the same inventory back, and a part of one is refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixturePath } from '../bindings/fixture.test-helper.js';
import { exportSh } from '../bindings/sh.js';
import { kvName, kvToken, metaKey, parseKey, recordKey } from '../core/fleetKv.js';
import { loadInventory } from './load.js';
import { select } from './select.js';
import { digestOf, inventoryFromSnapshot, recordText, snapshotOf } from './snapshot.js';

test('an inventory rebuilt from its records exports, selects and explains the same', async () => {
  const inventory = await loadInventory({ path: fixturePath });
  const snapshot = snapshotOf(inventory);
  // Through text, as the bucket and the local copy keep it.
  const read = new Map([...snapshot].map(([key, record]) => [key, JSON.parse(recordText(record)) as unknown]));
  assert.equal(digestOf(read), digestOf(snapshot));
  const rebuilt = inventoryFromSnapshot(read, 'bucket muster');
  const all = (of: typeof inventory) => select(of, ['all'], { allStates: true }).hosts;
  assert.equal(exportSh(rebuilt, all(rebuilt)), exportSh(inventory, all(inventory)));
  assert.deepEqual(rebuilt.hosts.map((host) => [host.name, host.provenance, host.definedAt]), inventory.hosts.map((host) => [host.name, host.provenance, host.definedAt]));
  assert.deepEqual([...rebuilt.groups.keys()], [...inventory.groups.keys()]);
  const group = [...inventory.groups.keys()][0];
  if (group !== undefined) assert.deepEqual(select(rebuilt, [`group:${group}`]).hosts.map((h) => h.name), select(inventory, [`group:${group}`]).hosts.map((h) => h.name));
});

test('a snapshot missing a record, or of another format, is refused naming where it came from', async () => {
  const inventory = await loadInventory({ path: fixturePath });
  const snapshot = snapshotOf(inventory);
  const first = inventory.hosts[0]?.name ?? '';
  const partial = new Map(snapshot);
  partial.delete(recordKey('host', first));
  assert.throws(() => inventoryFromSnapshot(partial, '/etc/muster/inventory.json'), new RegExp(`^MusterError: /etc/muster/inventory.json: the host record of "${first}" is missing$`));
  const other = new Map(snapshot).set(metaKey, { ...(snapshot.get(metaKey) as object), format: 1 });
  assert.throws(() => inventoryFromSnapshot(other, 'bucket muster'), /bucket muster: snapshot format 1, this muster reads 2/);
  assert.notEqual(digestOf(partial), digestOf(snapshot));
});

test('KV keys: every name is one token and reads back', () => {
  for (const name of ['web01', 'web01.dc1', 'a b', 'ünï', 'x=y']) {
    assert.match(kvToken(name), /^[A-Za-z0-9_=-]+$/);
    assert.equal(kvName(kvToken(name)), name);
    assert.deepEqual(parseKey(recordKey('host', name)), { kind: 'host', name });
  }
  assert.deepEqual(parseKey('version'), { kind: 'version' });
  assert.equal(parseKey('other.key'), undefined);
});
