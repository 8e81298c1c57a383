/**
 * What the conformance corpus cannot say alone: how muster combines its two files and the
 * inventory's own values (checked against `ssh -G` given the same through Include and -o),
 * and where muster deliberately differs from `ssh`, each pinned (docs/ssh-config.md).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidFileError } from '../../../core/errors.js';
import { SshConfigResolver } from './sshConfig.js';

const run = promisify(execFile);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'muster-sshcfg-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function sshG(args: string[]): Promise<Map<string, string>> {
  const { stdout } = await run('ssh', ['-G', ...args], { cwd: dir });
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [key = '', ...value] = line.split(' ');
    if (!fields.has(key)) fields.set(key, value.join(' '));
  }
  return fields;
}

const resolver = (options: ConstructorParameters<typeof SshConfigResolver>[0] = {}): SshConfigResolver =>
  new SshConfigResolver({ userConfig: null, home: userInfo().homedir, includeHome: dir, cwd: dir, ...options });

describe('SshConfigResolver', () => {
  it('reads the inventory file, then ~/.ssh/config, as ssh reads two files Included one after the other', async () => {
    const inventory = write('inventory_config', ['Host web*', '  User root', '  IdentityFile /keys/inventory', 'Match host *.lan', '  Port 2201']);
    const user = write('user_config', ['Host web1', '  HostName web1.lan', '  User alice', '  IdentityFile /keys/user', 'Host *', '  ConnectTimeout 7']);
    const both = write('both_config', [`Include ${inventory}`, `Include ${user}`]);
    const ours = resolver({ userConfig: user }).resolve({ name: 'web1', address: 'web1', sshConfig: inventory });
    const theirs = await sshG(['-F', both, 'web1']);
    assert.deepEqual(
      [ours.host, ours.user, String(ours.port), String((ours.connectTimeoutMs ?? 0) / 1000)],
      [theirs.get('hostname'), theirs.get('user'), theirs.get('port'), theirs.get('connecttimeout')],
    );
    assert.deepEqual(ours.identityFiles, ['/keys/inventory', '/keys/user']);
  });

  it('gives the inventory address, user and port as `ssh -o HostName= -l -p` does: Match sees them', async () => {
    const file = write('preset_config', [
      'Match host 127.0.0.99 user ops', '  IdentityFile /keys/seen-by-match', 'Host web1', '  HostName ignored.lan', '  User ignored', '  Port 1',
    ]);
    const ours = resolver().resolve({ name: 'web1', address: '127.0.0.99', user: 'ops', port: 2022, sshConfig: file });
    const theirs = await sshG(['-F', file, '-o', 'HostName=127.0.0.99', '-l', 'ops', '-p', '2022', 'web1']);
    assert.deepEqual([ours.host, ours.user, String(ours.port)], [theirs.get('hostname'), theirs.get('user'), theirs.get('port')]);
    assert.deepEqual(ours.identityFiles, ['/keys/seen-by-match']);
    // An address that is just the name leaves HostName to ssh_config.
    assert.equal(resolver().resolve({ name: 'web1', address: 'web1', sshConfig: file }).host, 'ignored.lan');
  });

  it('differs from ssh: a name or user with shell syntax is refused where ssh would paste it into a command', () => {
    const proxy = write('proxy_config', ['Host *', '  ProxyCommand sh -c "exec nc %h %p" # %r']);
    const safe = resolver().resolve({ name: 'web1', address: '127.0.0.9', user: 'deploy', sshConfig: proxy });
    assert.equal(safe.proxyCommand, 'sh -c "exec nc 127.0.0.9 22" # deploy', 'pasted as ssh pastes it, quotes and comment kept');
    const refused = (target: { name: string; address: string; user?: string }, file: string, line: number): void => {
      assert.throws(() => resolver().resolve({ ...target, sshConfig: file }), (error: unknown) => {
        assert.ok(error instanceof InvalidFileError);
        assert.match(error.message, new RegExp(`${file}:${line}:\\d+: %[hr] is ".*", which has characters a shell command cannot safely be given$`));
        return true;
      });
    };
    refused({ name: 'web1', address: '127.0.0.9', user: 'r"; id; "' }, write('proxy_user_config', ['ProxyCommand false %r']), 1);
    refused({ name: 'x$(id)', address: 'x$(id)' }, write('exec_config', ['Host *', '  User u', 'Match exec "test %h = x"', '  Port 2']), 3);
  });

  it('differs from ssh: only the values of keywords muster uses are checked (ssh also refuses a bad Ciphers)', async () => {
    const file = write('ciphers_config', ['Ciphers no-such-cipher', 'Host web1', '  User u']);
    await assert.rejects(sshG(['-F', file, 'web1']), /Bad SSH2 cipher spec/);
    assert.equal(resolver().resolve({ name: 'web1', address: 'web1', sshConfig: file }).user, 'u');
  });

  it('differs from ssh: a Match exec command runs once per resolver (one operation), not once per host', () => {
    const counter = join(dir, 'exec_count');
    const file = write('exec_once_config', [`Match exec "echo run >> ${counter}"`, '  User matched']);
    const once = resolver();
    const users = ['a', 'b', 'c'].map((name) => once.resolve({ name, address: name, sshConfig: file }).user);
    assert.deepEqual(users, ['matched', 'matched', 'matched']);
    assert.equal(readFileSync(counter, 'utf8'), 'run\n');
  });

  it('differs from ssh: a ProxyJump list with a space is refused (ssh takes its first word)', async () => {
    const file = write('jump_space_config', ['Host web1', '  ProxyJump a b']);
    assert.equal((await sshG(['-F', file, 'web1'])).get('proxyjump'), 'a');
    assert.throws(() => resolver().resolve({ name: 'web1', address: 'web1', sshConfig: file }), /jump_space_config:2:\d+: Invalid ProxyJump "a b"/);
  });

  it('differs from ssh: CanonicalizeHostname runs the final pass but never asks DNS to rewrite the name', () => {
    const file = write('canonical_config', ['CanonicalizeHostname yes', 'CanonicalDomains example.com', 'Match canonical', '  User second-pass']);
    const s = resolver().resolve({ name: 'web1', address: 'web1', sshConfig: file });
    assert.deepEqual([s.host, s.user], ['web1', 'second-pass']);
  });

  it('refuses an included file others can write, as ssh does', async () => {
    const open = write('open_include.conf', ['User from-open-file']);
    chmodSync(open, 0o666);
    const file = write('include_open_config', [`Include ${open}`]);
    await assert.rejects(sshG(['-F', file, 'web1']), /Bad owner or permissions/);
    assert.throws(() => resolver().resolve({ name: 'web1', address: 'web1', sshConfig: file }), /Bad owner or permissions on .*open_include\.conf/);
  });

  it('resolves a ProxyJump hop through its own section, [user@]host[:port] and ssh:// alike', () => {
    const file = write('hop_config', ['Host bastion', '  HostName 127.0.0.200', '  User jump', 'Host web1', '  ProxyJump bastion,ssh://ops@127.0.0.201:2201']);
    const r = resolver();
    const target = r.resolve({ name: 'web1', address: 'web1', sshConfig: file });
    assert.deepEqual(target.proxyJump, ['bastion', 'ssh://ops@127.0.0.201:2201']);
    const [first, second] = target.proxyJump.map((hop) => r.resolveHop(hop, file));
    assert.deepEqual([first?.host, first?.user, first?.port], ['127.0.0.200', 'jump', 22]);
    assert.deepEqual([second?.host, second?.user, second?.port], ['127.0.0.201', 'ops', 2201]);
  });

  it('takes ~ from the password database (as ssh does), and Include\'s ~ from $HOME (as glob(3) does)', () => {
    const home = join(dir, 'fake-home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'included.conf'), 'User included\n');
    const file = write('tilde_config', ['Include included.conf', 'IdentityFile ~/.ssh/key', 'UserKnownHostsFile ~/kh %d/kh2']);
    const s = resolver({ home: '/pw/home', includeHome: home }).resolve({ name: 'web1', address: 'web1', sshConfig: file });
    assert.equal(s.user, 'included');
    assert.deepEqual(s.identityFiles, ['/pw/home/.ssh/key']);
    assert.deepEqual(s.userKnownHostsFiles, ['/pw/home/kh', '/pw/home/kh2']);
  });
});
