import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ModuleError, type ActionContext } from '../module.js';
import { fileModule, maxReadBytes, previousPath } from './file.js';
import { tempDir } from '../tempDir.test-helper.js';


const context: ActionContext = { host: 'h1', signal: new AbortController().signal, log: () => undefined };
const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function refused(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ModuleError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('write is atomic: the new file replaces the old in one rename, no temporary file is left', async () => {
  const dir = tempDir('muster-file-');
  const path = join(dir, 'app.conf');
  writeFileSync(path, 'old\n', { mode: 0o640 });
  const before = statSync(path).ino;
  const value = await fileModule.actions.write({ path, data: b64('new\n') }, context) as Record<string, unknown>;
  assert.equal(readFileSync(path, 'utf8'), 'new\n');
  assert.notEqual(statSync(path).ino, before, 'written in place instead of renamed over');
  assert.equal(statSync(path).mode & 0o7777, 0o640, 'the old mode is kept');
  assert.deepEqual(Object.keys(value).sort(), ['changed', 'path', 'previous', 'sha256', 'size']);
  assert.equal(value['changed'], true);
  assert.equal(value['previous'], null);
  assert.deepEqual(readdirSync(dir), ['app.conf']);
  const again = await fileModule.actions.write({ path, data: b64('new\n') }, context) as Record<string, unknown>;
  assert.equal(again['changed'], false);
});

test('keepOld keeps the old file beside the new one, and restore puts it back', async () => {
  const dir = tempDir('muster-file-');
  const path = join(dir, 'app.conf');
  writeFileSync(path, 'v1\n');
  const written = await fileModule.actions.write({ path, data: b64('v2\n'), keepOld: true }, context) as Record<string, unknown>;
  assert.equal(written['previous'], join(dir, '.app.conf.muster-prev'));
  assert.equal(readFileSync(previousPath(path), 'utf8'), 'v1\n');
  assert.equal(readFileSync(path, 'utf8'), 'v2\n');
  const restored = await fileModule.actions.restore({ path }, context) as Record<string, unknown>;
  assert.equal(restored['restored'], previousPath(path));
  assert.equal(readFileSync(path, 'utf8'), 'v1\n');
  assert.equal(existsSync(previousPath(path)), false);
  await refused(fileModule.actions.restore({ path }, context), 'failed', /no kept old file/);
});

test('write sets mode, owner and group; a new file is created', async () => {
  const dir = tempDir('muster-file-');
  const path = join(dir, 'new.txt');
  await fileModule.actions.write({ path, data: b64('x'), mode: '0600', owner: 'nobody', group: 'nogroup' }, context);
  const stats = statSync(path);
  assert.equal(stats.mode & 0o7777, 0o600);
  const described = await fileModule.actions.stat({ path }, context) as Record<string, unknown>;
  assert.equal(described['owner'], 'nobody');
  assert.equal(described['group'], 'nogroup');
  assert.equal(described['mode'], '0600');
  assert.equal(described['type'], 'file');
  assert.equal(described['size'], 1);
  await fileModule.actions.write({ path, data: b64('y'), mode: 0o4755 }, context);
  assert.equal(statSync(path).mode & 0o7777, 0o4755, 'the set-uid bit survives the chown');
  await refused(fileModule.actions.write({ path, data: b64('z'), owner: 'no-such-user-here' }, context), 'bad-request', /no user named no-such-user-here/);
  await refused(fileModule.actions.write({ path, data: b64('z'), mode: '999' }, context), 'bad-request', /mode: /);
});

test('stat, sha256 and read', async () => {
  const dir = tempDir('muster-file-');
  const path = join(dir, 'data');
  writeFileSync(path, 'abc');
  assert.deepEqual(await fileModule.actions.stat({ path: join(dir, 'absent') }, context), { path: join(dir, 'absent'), exists: false });
  assert.deepEqual(await fileModule.actions.sha256({ path }, context), { path, size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  assert.deepEqual(await fileModule.actions.read({ path }, context), { path, size: 3, data: b64('abc') });
  writeFileSync(path, Buffer.alloc(maxReadBytes + 1));
  await refused(fileModule.actions.read({ path }, context), 'too-large', /more than the 524288 file\.read returns/);
  await refused(fileModule.actions.read({ path: dir }, context), 'failed', /is a directory/);
  await refused(fileModule.actions.sha256({ path: join(dir, 'absent') }, context), 'failed', /cannot hash .*ENOENT/);
});

test('write refuses a symlink at the last component unless followLinks, and never touches what it names', async () => {
  const dir = tempDir('muster-file-link-');
  const secret = join(dir, 'sudoers');
  writeFileSync(secret, 'root ALL=(ALL) ALL\n', { mode: 0o440 });
  const planted = join(dir, '.profile');
  symlinkSync(secret, planted);
  await refused(fileModule.actions.write({ path: planted, data: b64('bob ALL=(ALL) NOPASSWD: ALL\n'), owner: 'root' }, context), 'failed', /is a symlink \(pass followLinks: true/);
  assert.equal(readFileSync(secret, 'utf8'), 'root ALL=(ALL) ALL\n');
  assert.ok(lstatSync(planted).isSymbolicLink());
  await fileModule.actions.write({ path: planted, data: b64('through\n'), followLinks: true }, context);
  assert.equal(readFileSync(secret, 'utf8'), 'through\n');
  assert.ok(lstatSync(planted).isSymbolicLink(), 'followLinks replaces the file the link names, not the link');
});

test('read and sha256 refuse a FIFO and a device at once (the handle is checked, nothing blocks)', async () => {
  const dir = tempDir('muster-file-fifo-');
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  for (const path of [fifo, '/dev/zero']) {
    await refused(fileModule.actions.read({ path }, context), 'failed', /not a file/);
    await refused(fileModule.actions.sha256({ path }, context), 'failed', /not a file/);
  }
});
