/**
 * fetch never writes outside LOCALDIR, whatever the remote path or the host name:
 * hostile names (`..`, slashes, newlines, absolute paths) and a symlink planted
 * in LOCALDIR, through the real job on the local transport.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { localTransport } from '../transport/local.js';
import { fetchJob, fetchPlan, localName, safeSegment } from './fetch.js';

describe('fetch', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-fetch-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes any name one safe segment', () => {
    assert.equal(safeSegment('web01'), 'web01');
    assert.equal(safeSegment('..'), '_..');
    assert.equal(safeSegment('.'), '_.');
    assert.equal(safeSegment(''), '_');
    assert.equal(safeSegment('../../etc'), '.._.._etc');
    assert.equal(safeSegment('a\nb\\c\u0000d'), 'a_b_c_d');
  });

  it('keeps only the basename, or a full path that cannot climb', () => {
    assert.deepEqual(localName('/etc/nginx/nginx.conf'), ['nginx.conf']);
    assert.deepEqual(localName('../../etc/passwd'), ['passwd']);
    assert.deepEqual(localName('/'), ['_']);
    assert.deepEqual(localName('..'), ['_..']);
    assert.deepEqual(localName('/etc/../../../root/.ssh/id_ed25519', { fullPath: true }), ['root', '.ssh', 'id_ed25519']);
    assert.deepEqual(localName('../../x', { fullPath: true }), ['_..', '_..', 'x']);
  });

  it('plans every host inside LOCALDIR, and refuses two hosts that would share a folder', () => {
    const hostile = ['..', '../../tmp/evil', '/etc', 'a\nb', '.'];
    for (const remote of ['../../../etc/passwd', '/', '..', 'a/../../b']) {
      for (const fullPath of [false, true]) {
        for (const path of fetchPlan(dir, hostile, remote, { fullPath }).values()) {
          assert.ok(path.startsWith(resolve(dir) + sep), `${path} escapes ${dir}`);
        }
      }
    }
    assert.throws(() => fetchPlan(dir, ['a/b', 'a_b'], '/x'), UsageError);
  });

  it('stores each host\'s file under LOCALDIR/HOST, hostile names included, and replaces a planted symlink instead of following it', async () => {
    const source = join(dir, 'remote.conf');
    await writeFile(source, 'remote content\n');
    const outside = join(dir, 'outside');
    await mkdir(outside);
    const local = join(dir, 'out');
    const hosts = ['web01', '..', '../outside', 'x\ny'];
    const plan = fetchPlan(local, hosts, source);
    // A symlink where web01's copy will go, pointing out of LOCALDIR.
    await mkdir(join(local, 'web01'), { recursive: true });
    await symlink(join(outside, 'victim'), join(local, 'web01', 'remote.conf'));
    const job = fetchJob(source, local, plan);
    for (const name of hosts) {
      const target = { name, address: '127.0.0.1' };
      const session = await localTransport().connect(target);
      try {
        const outcome = await job(session, { target, signal: new AbortController().signal, output: { stdout: () => undefined, stderr: () => undefined } });
        assert.equal(outcome.status, 'ok', outcome.message);
      } finally {
        session.close();
      }
    }
    assert.deepEqual((await readdir(local)).sort(), ['.._outside', '_..', 'web01', 'x_y']);
    assert.equal(await readFile(join(local, 'web01', 'remote.conf'), 'utf8'), 'remote content\n');
    assert.deepEqual(await readdir(outside), [], 'nothing was written through the symlink');
  });

  it('keeps the remote file\'s permission bits: a 0600 secret is not stored readable by everyone', async () => {
    const secret = join(dir, 'secret.key');
    await writeFile(secret, 'k\n', { mode: 0o600 });
    await chmod(secret, 0o600);
    const local = join(dir, 'out3');
    const plan = fetchPlan(local, ['web01'], secret);
    const target = { name: 'web01', address: '127.0.0.1' };
    const session = await localTransport().connect(target);
    try {
      const outcome = await fetchJob(secret, local, plan)(session, { target, signal: new AbortController().signal, output: { stdout: () => undefined, stderr: () => undefined } });
      assert.equal(outcome.status, 'ok', outcome.message);
    } finally {
      session.close();
    }
    assert.equal((await stat(join(local, 'web01', 'secret.key'))).mode & 0o777, 0o600);
    assert.equal(await readFile(join(local, 'web01', 'secret.key'), 'utf8'), 'k\n');
  });

  it('fails a host whose file is missing or a directory, writing nothing for it', async () => {
    const local = join(dir, 'out2');
    for (const remote of [join(dir, 'nope'), dir]) {
      const plan = fetchPlan(local, ['web01'], remote);
      const target = { name: 'web01', address: '127.0.0.1' };
      const session = await localTransport().connect(target);
      try {
        const outcome = await fetchJob(remote, local, plan)(session, { target, signal: new AbortController().signal, output: { stdout: () => undefined, stderr: () => undefined } });
        assert.equal(outcome.status, 'failed');
        assert.match(outcome.message ?? '', /cannot read/);
      } finally {
        session.close();
      }
    }
    await assert.rejects(readdir(local), /ENOENT/);
  });
});
