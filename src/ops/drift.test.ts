/**
 * The drift probe and comparison on this machine through the local transport:
 * every state a managed path can be in (in sync, content, mode, missing, parent
 * folder missing, unexpected, not a file, unreadable, a tree) answered by ONE
 * exec, and the contents of differing files read by one more.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTransport } from '../transport/local.js';
import type { Session } from '../transport/types.js';
import { compare, manifestChanges } from './drift.js';
import { probe, readContents, type ProbeItem } from './driftProbe.js';
import type { ManagedFile } from './managedSources.js';
import { sha256, type PushContent } from './push.js';
import { localManifest } from './push-source.js';

describe('drift probe (local transport)', () => {
  let dir: string;
  let session: Session;
  let real: Session;
  let execs = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-drift-'));
    real = await localTransport().connect({ name: 'local1', address: '127.0.0.1' });
    // Counts the execs: the point of the probe is one per host.
    session = { target: real.target, exec: (command, options) => { execs += 1; return real.exec(command, options); }, close: () => real.close() };
  });
  after(async () => {
    session.close();
    await rm(dir, { recursive: true, force: true });
  });

  const file = (path: string, spec: ManagedFile['spec'], kind: ManagedFile['kind'] = 'file'): ManagedFile =>
    ({ path, spec, kind, src: '', declared: { path, spec, layer: 'role:web', at: { file: 'x.yaml', line: 1, col: 1 } } });
  const content = (text: string): PushContent => ({ kind: 'file', data: Buffer.from(text), sha256: sha256(text) });

  it('answers every kind of state in one exec, and compares each', async () => {
    await writeFile(join(dir, 'same'), 'a\n');
    await writeFile(join(dir, 'content'), 'old\n');
    await writeFile(join(dir, 'mode'), 'a\n');
    await chmod(join(dir, 'mode'), 0o600);
    await writeFile(join(dir, 'there'), 'x\n');
    await mkdir(join(dir, 'folder'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
    await mkdir(join(dir, 'tree/sub'), { recursive: true });
    await writeFile(join(dir, 'tree/a'), 'a\n');
    await writeFile(join(dir, 'tree/sub/b'), 'b\n');
    await writeFile(join(dir, 'name with spaces'), 'a\n');
    const items: ProbeItem[] = [
      { path: join(dir, 'same'), kind: 'file' },
      { path: join(dir, 'content'), kind: 'file' },
      { path: join(dir, 'mode'), kind: 'file' },
      { path: join(dir, 'missing'), kind: 'file' },
      { path: join(dir, 'no/such/parent'), kind: 'file' },
      { path: join(dir, 'there'), kind: 'absent' },
      { path: join(dir, 'gone'), kind: 'absent' },
      { path: join(dir, 'folder'), kind: 'file' },
      { path: join(dir, 'dangling'), kind: 'file' },
      { path: join(dir, 'tree'), kind: 'dir' },
      { path: join(dir, 'name with spaces'), kind: 'file' },
    ];
    const before = execs;
    const states = await probe(session, items, { signal: new AbortController().signal });
    assert.equal(execs - before, 1, 'one exec for every path');
    const checks = items.map((item, index) => compare(file(item.path, item.path.endsWith('mode') ? { mode: '0644' } : {}, item.kind), content('a\n'), states[index]!));
    assert.deepEqual(checks.map((check) => [check.verdict, ...check.details]), [
      ['in sync'],
      ['drifted', 'content'],
      ['drifted', 'mode 600, wanted 644'],
      ['missing'],
      ['parent folder missing'],
      ['unexpected', 'a file'],
      ['in sync'],
      ['not a file', 'a directory'],
      ['not a file', 'a dangling symlink'],
      ['not a file', 'a directory'],
      ['in sync'],
    ]);
    assert.equal(checks[2]?.secret, true, 'a 0600 file on the host is a secret');
    assert.equal(checks[1]?.secret, false);

    const tree = states[9];
    assert.equal(tree?.kind, 'dir');
    if (tree?.kind !== 'dir') return;
    await mkdir(join(dir, 'repo/sub'), { recursive: true });
    await writeFile(join(dir, 'repo/a'), 'A\n');
    await writeFile(join(dir, 'repo/c'), 'c\n');
    await chmod(join(dir, 'repo'), tree.manifest.mode === '' ? 0o755 : Number.parseInt(tree.manifest.mode, 8));
    await chmod(join(dir, 'repo/sub'), Number.parseInt(tree.manifest.entries.find((entry) => entry.path === 'sub')?.mode ?? '755', 8));
    assert.deepEqual(manifestChanges(tree.manifest, await localManifest(join(dir, 'repo')), undefined), [
      '~ a content differs',
      '+ c (missing on the host)',
      '- sub/b (not in the repository)',
    ]);
  });

  it('reads the contents of differing files in one exec, cut by size, and refuses a content that changed', async () => {
    await writeFile(join(dir, 'r1'), 'one\n');
    await writeFile(join(dir, 'r2'), 'two two\n');
    const before = execs;
    const read = await readContents(session, [
      { path: join(dir, 'r1'), size: 4, sha256: sha256('one\n') },
      { path: join(dir, 'r2'), size: 8, sha256: sha256('changed!') },
    ], { signal: new AbortController().signal });
    assert.equal(execs - before, 1);
    assert.equal(read[0]?.toString(), 'one\n');
    assert.equal(read[1], null);
  });

  it('an unreadable file is said so (not as root, where every file is readable)', { skip: process.getuid?.() === 0 ? 'running as root' : false }, async () => {
    await writeFile(join(dir, 'locked'), 'x\n');
    await chmod(join(dir, 'locked'), 0);
    const [state] = await probe(session, [{ path: join(dir, 'locked'), kind: 'file' }], { signal: new AbortController().signal });
    assert.equal(state?.kind, 'unreadable');
  });
});
