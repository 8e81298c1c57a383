import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertNoStack, musterSync } from '../cli/commands/cli.test-helper.js';
import { tempDir } from './tempDir.test-helper.js';


test('muster agent enroll makes a 0600 P-256 key and a CSR naming the host, writes agent.json, prints the CSR', () => {
  const dir = join(tempDir('muster-enroll-'), 'agent');
  const ran = musterSync(['agent', 'enroll', '--name', 'web01.dc1', '--dir', dir, '--servers', 'tls://127.0.0.1:4222,tls://127.0.0.2:4222', '--roles', 'web,edge']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+-----END CERTIFICATE REQUEST-----\n$/);
  assert.equal(readFileSync(join(dir, 'agent.csr'), 'utf8'), ran.stdout);
  assert.equal(statSync(join(dir, 'agent.key')).mode & 0o777, 0o600);
  const key = readFileSync(join(dir, 'agent.key'), 'utf8');
  assert.ok(!ran.stdout.includes(key) && !ran.stderr.includes('PRIVATE'));
  const text = execFileSync('openssl', ['req', '-in', join(dir, 'agent.csr'), '-noout', '-subject', '-text'], { encoding: 'utf8' });
  assert.match(text, /subject=O = muster, OU = agent, CN = web01\.dc1/);
  assert.match(text, /prime256v1|P-256/);
  execFileSync('openssl', ['req', '-in', join(dir, 'agent.csr'), '-noout', '-verify'], { stdio: 'ignore' });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')), { name: 'web01.dc1', servers: ['tls://127.0.0.1:4222', 'tls://127.0.0.2:4222'], roles: ['web', 'edge'] });

  // Again: the key is kept (a renewal), servers and roles too when not given.
  const again = musterSync(['agent', 'enroll', '--name', 'web01.dc1', '--dir', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(join(dir, 'agent.key'), 'utf8'), key);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')).roles, ['web', 'edge']);
  // The CSR signs with the same key: a certificate made from either verifies against agent.key.
  const pub = (csr: string): string => execFileSync('openssl', ['req', '-noout', '-pubkey'], { input: csr, encoding: 'utf8' });
  assert.equal(pub(again.stdout), pub(ran.stdout));
});

test('enroll refuses a name that is no host name, and a first enroll without servers', () => {
  const dir = tempDir('muster-enroll-');
  const bad = musterSync(['agent', 'enroll', '--name', 'web/01,CN=x', '--dir', dir, '--servers', 'tls://127.0.0.1:4222']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid agent name "web\/01,CN=x"/);
  assertNoStack(bad.stderr);
  const noServers = musterSync(['agent', 'enroll', '--name', 'web01', '--dir', dir]);
  assert.equal(noServers.code, 2);
  assert.match(noServers.stderr, /No broker given: add --servers/);
});

test('a folder that cannot be made (under /proc) is one line, not a hang', () => {
  // Node's recursive mkdir used to spin forever on such a path (found by the lab suite).
  const started = Date.now();
  const ran = musterSync(['agent', 'enroll', '--name', 'web01', '--dir', '/proc/no-such/agent', '--servers', 'tls://127.0.0.1:4222']);
  assert.equal(ran.code, 2);
  assert.match(ran.stderr, /^muster: Cannot make the agent folder \/proc\/no-such: ENOENT/m);
  assertNoStack(ran.stderr);
  assert.ok(Date.now() - started < 10_000);
});
