/** Reading the local copy back: a copy the writer made reads as the same inventory; a damaged one never does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../bindings/fixture.test-helper.js';
import { localCopyDir, localCopyFiles, localCopyNames } from '../bindings/localCopy.js';
import { exportSh } from '../bindings/sh.js';
import type { PublishedVersion } from '../core/fleetKv.js';
import { loadInventory } from './load.js';
import { copyMaxAgeMs, defaultLocalCopyDir, localCopyInventoryName, readLocalCopy } from './localCopy.js';
import { select } from './select.js';
import { digestOf, snapshotOf } from './snapshot.js';

async function writtenCopy(): Promise<{ dir: string; text: string; version: PublishedVersion }> {
  const inventory = await loadInventory({ path: fixturePath });
  const snapshot = snapshotOf(inventory);
  const version: PublishedVersion = { revision: 7, digest: digestOf(snapshot), publishedAt: '2026-12-02T16:50:57.123Z', by: 'alice@ops1', hosts: inventory.hosts.length };
  const files = localCopyFiles(snapshot, version, inventory.hosts[0]?.name ?? 'x');
  const dir = await mkdtemp(join(tmpdir(), 'muster-copy-'));
  for (const name of localCopyNames) await writeFile(join(dir, name), files[name]);
  return { dir, text: files['inventory.json'], version };
}

test('the reader and the writer agree on where the copy is and what it is called', () => {
  assert.equal(defaultLocalCopyDir, localCopyDir);
  assert.ok((localCopyNames as readonly string[]).includes(localCopyInventoryName));
});

test('a copy as the writer made it reads back as the same inventory, with its header, fresh', async () => {
  const { dir, version } = await writtenCopy();
  try {
    const copy = await readLocalCopy(dir, { env: {} });
    assert.deepEqual(copy.header, { format: 2, revision: 7, digest: version.digest, publishedAt: version.publishedAt, by: 'alice@ops1' });
    const original = await loadInventory({ path: fixturePath });
    const all = (inventory: typeof original) => select(inventory, ['all'], { allStates: true }).hosts;
    assert.equal(exportSh(copy.inventory, all(copy.inventory)), exportSh(original, all(original)));
    assert.deepEqual(copy.inventory.hosts.map((host) => host.provenance), original.hosts.map((host) => host.provenance));
    assert.equal(copy.stale, false);
    assert.ok(copy.ageMs < 60_000, String(copy.ageMs));
    assert.equal(copy.maxAgeMs, 10 * 60_000);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('a truncated, edited, foreign-format or missing copy is refused with one line and never read', async () => {
  const { dir, text } = await writtenCopy();
  const path = join(dir, 'inventory.json');
  const refused = async (content: string, message: RegExp) => {
    await writeFile(path, content);
    await assert.rejects(readLocalCopy(dir, { env: {} }), (error: Error) => {
      assert.equal(error.name, 'LocalCopyError');
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  };
  try {
    const shown = path.replace(/[/.]/g, '\\$&');
    await refused(text.slice(0, Math.floor(text.length / 2)), new RegExp(`^${shown} is corrupt \\(not valid JSON: truncated\\?\\): not used; muster publish writes it again$`));
    // Valid JSON, one value changed by hand: only the digest can tell.
    const parsed = JSON.parse(text) as { records: Record<string, { vars?: Record<string, unknown> }> };
    const hostKey = Object.keys(parsed.records).find((key) => key.startsWith('host.')) ?? '';
    const host = parsed.records[hostKey];
    assert.ok(host?.vars);
    host.vars['edited'] = 'by hand';
    await refused(JSON.stringify(parsed), new RegExp(`^${shown} is corrupt \\(digest mismatch\\): not used; muster publish writes it again$`));
    const removed = JSON.parse(text) as { records: Record<string, unknown> };
    delete removed.records[hostKey];
    await refused(JSON.stringify(removed), /is corrupt \(digest mismatch\)/);
    const foreign = JSON.parse(text) as { muster: { format: number } };
    foreign.muster.format = 1;
    await refused(JSON.stringify(foreign), /is of format 1, this muster reads 2: not used/);
    await refused('[]', /is corrupt \(no muster header and records\)/);
    await rm(path);
    await assert.rejects(readLocalCopy(dir, { env: {} }), /inventory\.json does not exist: this host holds no copy \(muster publish writes it\)$/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('a copy not confirmed for longer than the limit is stale; $MUSTER_COPY_MAX_AGE sets the limit', async () => {
  const { dir } = await writtenCopy();
  try {
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    await utimes(join(dir, 'inventory.json'), threeHoursAgo, threeHoursAgo);
    const stale = await readLocalCopy(dir, { env: {} });
    assert.equal(stale.stale, true);
    assert.ok(Math.abs(stale.ageMs - 3 * 3600_000) < 60_000, String(stale.ageMs));
    assert.equal((await readLocalCopy(dir, { env: { MUSTER_COPY_MAX_AGE: '4h' } })).stale, false);
    assert.equal(copyMaxAgeMs({ MUSTER_COPY_MAX_AGE: '30m' }), 30 * 60_000);
    assert.throws(() => copyMaxAgeMs({ MUSTER_COPY_MAX_AGE: 'soon' }), /^UsageError: Invalid \$MUSTER_COPY_MAX_AGE "soon": use a duration such as 10m, 1h or 90s$/);
    assert.throws(() => copyMaxAgeMs({ MUSTER_COPY_MAX_AGE: '0' }), /must be more than 0/);
    // A clock set back makes no negative age.
    const later = new Date(Date.now() + 3600_000);
    await utimes(join(dir, 'inventory.json'), later, later);
    assert.equal((await readLocalCopy(dir, { env: {} })).ageMs, 0);
    assert.ok((await readFile(join(dir, 'muster.sh'), 'utf8')).startsWith('# muster local copy: revision 7'));
  } finally {
    await rm(dir, { recursive: true });
  }
});
