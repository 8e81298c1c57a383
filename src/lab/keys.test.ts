import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { ed25519KeyPair } from './keys.js';

const run = promisify(execFile);

test('ssh2 reads the private key and derives the same public key', () => {
  const pair = ed25519KeyPair('someone@somewhere');
  const parsed = ssh2.utils.parseKey(pair.privateKey);
  assert.ok(!(parsed instanceof Error), String(parsed));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  assert.equal(key?.type, 'ssh-ed25519');
  assert.equal(key?.comment, 'someone@somewhere');
  assert.equal(key?.getPublicSSH().toString('base64'), pair.publicBlob);
  assert.equal(pair.publicKey, `ssh-ed25519 ${pair.publicBlob} someone@somewhere`);
  // The key signs, and the signature verifies with the public half.
  const data = Buffer.from('muster');
  assert.equal(key?.verify(data, key.sign(data)), true);
});

test('OpenSSH\'s ssh-keygen reads the private key and prints the same public key', async (t) => {
  try {
    await access('/usr/bin/ssh-keygen');
  } catch {
    t.skip('ssh-keygen is not installed (package openssh-client)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'muster-keys-'));
  try {
    const pair = ed25519KeyPair('lab');
    const path = join(dir, 'id');
    await writeFile(path, pair.privateKey, { mode: 0o600 });
    const { stdout } = await run('ssh-keygen', ['-y', '-f', path]);
    assert.equal(stdout.trim(), pair.publicKey);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('two key pairs differ', () => {
  assert.notEqual(ed25519KeyPair('a').publicBlob, ed25519KeyPair('a').publicBlob);
});
