/**
 * A file ssh would refuse, through the real CLI: every host is unreachable with one line naming
 * file:line:col (gathered, since it is the same for all), no stack trace, nothing connected to.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoStack, muster } from './cli.test-helper.js';

test('muster run with an ssh_config that has a bad Port: each host unreachable, one line naming file:line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-cli-sshconfig-'));
  try {
    writeFileSync(join(dir, 'muster.yaml'), 'version: 1\nssh_config: ssh_config\nhosts:\n  web1:\n    address: 127.0.0.1\n  web2:\n    address: 127.0.0.2\n');
    // The bad line is in a block that applies to no host: ssh refuses the whole file all the same.
    writeFileSync(join(dir, 'ssh_config'), 'Host web*\n  User root\nHost db*\n  Port twenty-two\n');
    const ran = await muster(['run', 'all', '--', 'true'], { cwd: dir, env: { ...process.env, HOME: dir, MUSTER_INVENTORY: '' } });
    assert.equal(ran.code, 1, ran.stderr);
    const lines = ran.stdout.split('\n').filter((line) => line.includes('Bad port'));
    assert.deepEqual(lines, [`web[1-2] (2) unreachable: Cannot load ssh_config: ${join(dir, 'ssh_config')}:4:8: Bad port 'twenty-two'`]);
    assert.match(ran.stderr, /^2 hosts: 2 unreachable in /m);
    assertNoStack(ran.stderr + ran.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
