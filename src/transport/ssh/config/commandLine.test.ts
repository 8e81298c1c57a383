/**
 * `-o` as `ssh -o`: the resolver, given command-line options, an ssh_config file and the
 * inventory's address/user/port, must agree with what `ssh -G -o … -l … -p … -o HostName=…`
 * says, on the real OpenSSH, for the fields muster uses.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../core/errors.js';
import { commandLineLines } from './commandLine.js';
import { SshConfigResolver } from './sshConfig.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'muster-ssh-o-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'config');
writeFileSync(file, 'Host web1\n  HostName 10.1.1.1\n  User fromfile\n  Port 2200\n  StrictHostKeyChecking accept-new\n  ConnectTimeout 7\n');

const cases: { options: string[]; user?: string; port?: number; address?: string }[] = [
  { options: ['User=admin'] },
  { options: ['User=admin', 'User=second'], user: 'inventory' },
  { options: ['Port=2022', 'HostName=10.9.9.9'], port: 2300, address: '10.2.2.2' },
  { options: ['StrictHostKeyChecking=no', 'ConnectTimeout=3', 'Compression=yes'] },
  { options: ['HostName %h.example'] },
  { options: [] , user: 'inventory', port: 2300 },
];

for (const { options, user, port, address } of cases) {
  test(`-o ${options.join(' -o ') || '(none)'}${user ? ` -l ${user}` : ''}${port ? ` -p ${port}` : ''} agrees with ssh -G`, async () => {
    const args = ['-G', '-F', file, ...options.flatMap((option) => ['-o', option])];
    if (user !== undefined) args.push('-l', user);
    if (port !== undefined) args.push('-p', String(port));
    if (address !== undefined) args.push('-o', `HostName=${address}`);
    const { stdout } = await run('ssh', [...args, 'web1']);
    const field = (key: string): string => new RegExp(`^${key} (.*)$`, 'm').exec(stdout)?.[1] ?? '';
    const ours = new SshConfigResolver({ userConfig: null, home: userInfo().homedir, cwd: dir, commandLine: options })
      .resolve({ name: 'web1', address: address ?? 'web1', sshConfig: file, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) });
    assert.equal(ours.user, field('user'));
    assert.equal(String(ours.port), field('port'));
    assert.equal(ours.host, field('hostname'));
    assert.equal(ours.strictHostKeyChecking, field('stricthostkeychecking') === 'false' ? 'no' : field('stricthostkeychecking'));
    assert.equal(String((ours.connectTimeoutMs ?? 0) / 1000), field('connecttimeout'));
  });
}

test('-o refuses what ssh refuses on its command line', async () => {
  for (const word of ['Host web1', 'Match all', 'Include x', 'Bogus yes', 'Port=abc', '']) {
    assert.throws(() => commandLineLines([word]), UsageError, word);
    const refused = await run('ssh', ['-G', '-F', 'none', '-o', word, 'web1']).then(() => false, () => true);
    if (word !== '') assert.ok(refused, `ssh -G refuses -o "${word}" too`);
  }
});
