import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostKeyAlgorithms } from './hostKeyCheck.js';

test('hostKeyAlgorithms: the known key types first, each part in the default order, as OpenSSH orders them', () => {
  assert.deepEqual(hostKeyAlgorithms([]), [
    'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
  ]);
  // known_hosts order does not matter: ed25519 still comes before RSA.
  assert.deepEqual(hostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519']), [
    'ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  ]);
  // A type the client cannot ask for (DSA) changes nothing.
  assert.deepEqual(hostKeyAlgorithms(['ssh-dss', 'ecdsa-sha2-nistp384']).slice(0, 2), ['ecdsa-sha2-nistp384', 'ssh-ed25519']);
});
