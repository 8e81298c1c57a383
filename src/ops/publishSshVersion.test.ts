/** The local revision counter of `publish --via ssh`: one up per changed inventory, the same version for the same one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshPublishVersion } from './publishSshVersion.js';

test('a changed digest counts one up and is stamped now; the same digest gives the same version back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'muster-publish-version-'));
  const path = join(dir, 'state', 'publish-ssh.json');
  try {
    const first = await sshPublishVersion(path, 'aaa', 4, 'alice@ops1', new Date('2026-12-02T10:00:00Z'));
    assert.deepEqual(first, { revision: 1, digest: 'aaa', publishedAt: '2026-12-02T10:00:00.000Z', by: 'alice@ops1', hosts: 4 });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await sshPublishVersion(path, 'aaa', 4, 'bob@ops2', new Date('2026-12-02T11:00:00Z')), first);
    const second = await sshPublishVersion(path, 'bbb', 5, 'bob@ops2', new Date('2026-12-02T12:00:00Z'));
    assert.deepEqual(second, { revision: 2, digest: 'bbb', publishedAt: '2026-12-02T12:00:00.000Z', by: 'bob@ops2', hosts: 5 });
    // Two at once: one counts, the other finds its digest (the file lock orders them).
    const [a, b] = await Promise.all([sshPublishVersion(path, 'ccc', 5, 'x@y'), sshPublishVersion(path, 'ccc', 5, 'x@y')]);
    assert.equal(a.revision, 3);
    assert.deepEqual(a, b);
    await writeFile(path, '{"revis');
    assert.equal((await sshPublishVersion(path, 'ddd', 5, 'x@y')).revision, 1, 'a counter file cut short starts again');
  } finally {
    await rm(dir, { recursive: true });
  }
});
