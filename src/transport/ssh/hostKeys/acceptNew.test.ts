/**
 * Recording unknown host keys through the real CLI (`muster run --accept-new`) against a throwaway
 * sshd: several muster processes at once write each key once (the flock of known_hosts.lock and
 * the re-read under it), and the refusal of an unknown key names the flag in the CLI and the
 * option (`acceptNew`) in the library.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoStack, muster } from '../../../cli/commands/cli.test-helper.js';
import { ConnectError } from '../../types.js';
import { sshTransport } from '../transport.js';
import { keygen, type Sshd, sshdUnavailableReason, startSshd } from './throwawaySshd.test-helper.js';

const unavailable = sshdUnavailableReason();

describe('--accept-new through the CLI', { skip: unavailable ?? false }, () => {
  let dir: string;
  let sshd: Sshd;
  /** Three loopback addresses of one sshd: three keys to record. */
  const base = `127.${100 + (process.pid % 100)}.${process.pid % 250}`;
  const addresses = [1, 2, 3].map((n) => `${base}.${n}`);
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muster-accept-'));
    keygen(dir, 'host_ed25519', 'ed25519');
    keygen(dir, 'client', 'ed25519');
    copyFileSync(join(dir, 'client.pub'), join(dir, 'authorized_keys'));
    sshd = await startSshd(dir, 'accept', { hostKeys: [join(dir, 'host_ed25519')], authorizedKeys: join(dir, 'authorized_keys'), addresses });
    // h4 has no address of its own: ssh_config's HostName sends it to h1's address, so one
    // process records the same key for two hosts at once, and must write it once.
    writeFileSync(join(dir, 'muster.yaml'), [
      'version: 1', 'defaults:', '  user: root', `  port: ${sshd.port}`, 'ssh_config: ssh_config', 'hosts:',
      ...addresses.flatMap((address, index) => [`  h${index + 1}:`, `    address: ${address}`]), '  h4: {}', '',
    ].join('\n'));
    writeFileSync(join(dir, 'ssh_config'), [
      'Host h4', `  HostName ${addresses[0]}`,
      'Host *', `  IdentityFile ${join(dir, 'client')}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null', '  StrictHostKeyChecking yes', '',
    ].join('\n'));
    // A home of its own: no ~/.ssh/config, no agent.
    env = { ...process.env, HOME: dir, MUSTER_INVENTORY: join(dir, 'muster.yaml'), SSH_AUTH_SOCK: '' };
  });
  after(async () => {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses unknown keys naming --accept-new; the library names its acceptNew option', async () => {
    const ran = await muster(['run', 'all', '--', 'true'], { cwd: dir, env });
    assert.equal(ran.code, 1, ran.stderr);
    assertNoStack(ran.stderr);
    assert.match(ran.stdout, /unreachable: host key for \[127\.[0-9.]+\]:\d+ \(ssh-ed25519 SHA256:\S+\) is not in known_hosts \(.*known_hosts\); verify it and add it, or rerun with --accept-new to record it/);
    assert.equal(existsSync(join(dir, 'known_hosts')), false, 'nothing was recorded');
    const library = sshTransport({ sshConfig: { userConfig: join(dir, 'ssh_config'), home: dir }, agent: null });
    await assert.rejects(library.connect({ name: 'h2', address: addresses[1] as string, port: sshd.port, user: 'root' }), (error: unknown) => {
      assert.ok(error instanceof ConnectError && error.reason === 'hostkey', String(error));
      assert.match(error.message, /verify it and add it, or rerun with acceptNew to record it$/);
      return true;
    });
  });

  it('records each key once when five muster processes accept at once', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => muster(['run', 'all', '--accept-new', '--', 'true'], { cwd: dir, env })));
    for (const ran of runs) assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    const lines = readFileSync(join(dir, 'known_hosts'), 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(lines.map((line) => line.split(' ')[0]).sort(), addresses.map((address) => `[${address}]:${sshd.port}`).sort());
    // What was written is what OpenSSH reads: a strict ssh accepts every host.
    for (const address of addresses) {
      execFileSync('ssh', ['-F', join(dir, 'ssh_config'), '-o', 'BatchMode=yes', '-o', 'KexAlgorithms=curve25519-sha256', '-p', String(sshd.port), `root@${address}`, 'true'], { stdio: 'ignore' });
    }
    // And the next run, without --accept-new, knows them all.
    const again = await muster(['run', 'all', '--', 'true'], { cwd: dir, env });
    assert.equal(again.code, 0, again.stdout);
  });
});
