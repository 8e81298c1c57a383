/** `--from-local-copy[=DIR]` on the real CLI: DIR only after `=`, never the next word; not with -i. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../../bindings/fixture.test-helper.js';
import { localCopyFiles, localCopyNames } from '../../bindings/localCopy.js';
import { loadInventory } from '../../inventory/load.js';
import { digestOf, snapshotOf } from '../../inventory/snapshot.js';
import { ago, localCopyNotice } from '../localCopySource.js';
import { assertNoStack, assertUsageFailure, musterSync } from './cli.test-helper.js';

test('--from-local-copy=DIR reads that copy; bare, it reads /etc/muster and leaves the next word a selector', async () => {
  const inventory = await loadInventory({ path: fixturePath });
  const snapshot = snapshotOf(inventory);
  const files = localCopyFiles(snapshot, { revision: 4, digest: digestOf(snapshot), publishedAt: new Date().toISOString(), by: 'alice@ops1', hosts: inventory.hosts.length }, 'web001.example.lan');
  const dir = await mkdtemp(join(tmpdir(), 'muster-copy-flag-'));
  try {
    for (const name of localCopyNames) await writeFile(join(dir, name), files[name]);
    const fromCopy = musterSync(['ls', '-o', 'fold', `--from-local-copy=${dir}`, 'web'], { cwd: dir });
    const fromGit = musterSync(['ls', '-o', 'fold', '-i', fixturePath, 'web'], { cwd: dir });
    assert.equal(fromCopy.code, 0, fromCopy.stderr);
    assert.equal(fromCopy.stdout, fromGit.stdout);
    assert.match(fromCopy.stderr, /^muster: the local copy \(revision 4, published \S+Z by alice@ops1, confirmed (just now|\d+ s ago)\)$/m);
    assert.equal(musterSync(['ls', '-q', `--from-local-copy=${dir}`], { cwd: dir }).stderr, '', '-q: a fresh copy says nothing');
    if (!existsSync('/etc/muster/inventory.json')) {
      const bare = musterSync(['ls', '--from-local-copy', 'web'], { cwd: dir });
      assert.equal(bare.code, 2);
      assert.equal(bare.stderr, 'muster: /etc/muster/inventory.json does not exist: this host holds no copy (muster publish writes it)\n');
    }
    assertUsageFailure(musterSync(['ls', '-i', fixturePath, `--from-local-copy=${dir}`]), /^muster: Give -i\/--inventory or --from-local-copy, not both$/m);
    const set = musterSync(['set', `--from-local-copy=${dir}`, 'web', 'state=warn']);
    assert.equal(set.code, 2);
    assert.match(set.stderr, /^muster: set cannot write the local copy \(.*inventory\.json\): it is read-only; edit the git inventory and publish it\n$/);
    assertNoStack(set.stderr);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('the notice: which publish and how long ago, or STALE past the limit, the limit as it was set', () => {
  const header = { format: 1, revision: 7, digest: 'd', publishedAt: '2026-12-02T16:50:57.123Z', by: 'alice@ops1' };
  assert.equal(localCopyNotice({ header, ageMs: 125_000, maxAgeMs: 600_000, stale: false }), 'muster: the local copy (revision 7, published 2026-12-02T16:50:57Z by alice@ops1, confirmed 2 min ago)');
  assert.equal(localCopyNotice({ header, ageMs: 3 * 3600_000 + 5, maxAgeMs: 600_000, stale: true }), 'muster: STALE local copy: revision 7, last confirmed 3 h ago (older than 10 min): the brokers may be down');
  assert.equal(localCopyNotice({ header, ageMs: 100_000, maxAgeMs: 90_000, stale: true }), 'muster: STALE local copy: revision 7, last confirmed 1 min ago (older than 90 s): the brokers may be down');
  assert.deepEqual([ago(0), ago(40_500), ago(7200_000), ago(5 * 86_400_000)], ['just now', '40 s ago', '2 h ago', '5 days ago']);
});
