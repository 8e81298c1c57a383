/**
 * The install script's own checks, on this machine through the local transport: a stream
 * cut short (what a lost connection does to the script's stdin) never lands, the owner
 * and mode of the file it replaces are kept, and what it compares decides `same`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localTransport } from '../transport/local.js';
import type { Session, Target } from '../transport/types.js';
import { sha256, type PushContent } from './push.js';
import { installPush, pushHandle } from './push-remote.js';

const target: Target = { name: 'local1', address: '127.0.0.1' };

/** A session whose every exec gets only the first half of its stdin, as when the connection drops mid-stream. */
function cutShort(session: Session): Session {
  const half = (stdin: string | Buffer): Buffer => Buffer.from(stdin).subarray(0, Buffer.byteLength(stdin) >> 1);
  return { ...session, exec: (command, options = {}) => session.exec(command, { ...options, ...(options.stdin === undefined ? {} : { stdin: half(options.stdin) }) }) };
}

describe('push install script (local transport)', () => {
  let dir: string;
  let session: Session;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-install-'));
    session = await localTransport().connect(target);
  });
  after(async () => {
    session.close();
    await rm(dir, { recursive: true, force: true });
  });
  const content = (text: string): PushContent & { kind: 'file' } => ({ kind: 'file', data: Buffer.from(text), sha256: sha256(text) });
  const install = (on: Session, dest: string, file: PushContent) =>
    installPush(on, pushHandle('file', file, { dest }, { hold: false, keep: '', then: [] }), { dest }, file, new AbortController().signal);

  it('fails a stream cut short and leaves the old file, with no temporary beside it', async () => {
    const dest = join(dir, 'cut.conf');
    await writeFile(dest, 'old\n');
    const answer = await install(cutShort(session), dest, content('new content, long enough to cut\n'));
    assert.ok('message' in answer, JSON.stringify(answer));
    assert.match(answer.message, /is not 32 bytes long/);
    assert.equal(await readFile(dest, 'utf8'), 'old\n');
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('cut')), ['cut.conf']);
  });

  it('keeps the owner of a file that belongs to someone else, and writes a whole stream', async () => {
    const dest = join(dir, 'owned.conf');
    await writeFile(dest, 'old\n');
    await chown(dest, 65534, 65534);
    const answer = await install(session, dest, content('new\n'));
    assert.deepEqual(answer, { kind: 'changed', clean: true });
    assert.equal(await readFile(dest, 'utf8'), 'new\n');
    const info = await stat(dest);
    assert.deepEqual([info.uid, info.gid], [65534, 65534]);
  });

  it('keeps the mode of the file it replaces, the shell default or not, and leaves nothing beside it', async () => {
    // 0644 is what the shell gives the temporary under root's umask (no chmod); the others need one.
    for (const mode of [0o644, 0o600, 0o4755, 0o640]) {
      const dest = join(dir, `mode-${mode.toString(8)}.conf`);
      await writeFile(dest, 'old\n');
      await chmod(dest, mode);
      assert.deepEqual(await install(session, dest, content('new\n')), { kind: 'changed', clean: true });
      assert.equal(await readFile(dest, 'utf8'), 'new\n');
      assert.equal((await stat(dest)).mode & 0o7777, mode, mode.toString(8));
      assert.deepEqual((await readdir(dir)).filter((name) => name.includes(`mode-${mode.toString(8)}`)), [`mode-${mode.toString(8)}.conf`]);
    }
  });

  it('tells same from changed by size, then by checksum', async () => {
    const dest = join(dir, 'same.conf');
    await writeFile(dest, 'abc\n');
    assert.deepEqual(await install(session, dest, content('abc\n')), { kind: 'same', pendingThen: undefined });
    assert.deepEqual(await install(session, dest, content('abd\n')), { kind: 'changed', clean: true });
    assert.equal(await readFile(dest, 'utf8'), 'abd\n');
    assert.deepEqual(await install(session, dest, content('a longer file\n')), { kind: 'changed', clean: true });
    assert.equal(await readFile(dest, 'utf8'), 'a longer file\n');
  });

  it('compares with sha256sum on a host whose coreutils has no b2sum', async () => {
    // Every command of this machine but b2sum, first on the PATH of the install's shell.
    const bin = join(dir, 'bin-without-b2sum');
    await mkdir(bin);
    for (const name of await readdir('/usr/bin')) if (name !== 'b2sum') await symlink(join('/usr/bin', name), join(bin, name));
    const withoutB2sum: Session = { ...session, exec: (command, options) => session.exec(`PATH=${bin}; export PATH; ${command}`, options) };
    const dest = join(dir, 'old-coreutils.conf');
    await writeFile(dest, 'abc\n');
    assert.deepEqual(await install(withoutB2sum, dest, content('abc\n')), { kind: 'same', pendingThen: undefined });
    assert.deepEqual(await install(withoutB2sum, dest, content('abd\n')), { kind: 'changed', clean: true });
    assert.equal(await readFile(dest, 'utf8'), 'abd\n');
  });
});
