import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SshConfigResolver } from './sshConfig.js';

let home: string;
let inventoryConfig: string;

before(() => {
  home = mkdtempSync(join(tmpdir(), 'muster-sshcfg-'));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), [
    'Host web*',
    '  User alice',
    '  Port 2200',
    '  IdentityFile ~/.ssh/web_key',
    '  ProxyJump bastion',
    'Host bastion',
    '  HostName 127.0.0.200',
    '  User jump',
    'Host *',
    '  ConnectTimeout 7',
    '  StrictHostKeyChecking accept-new',
    '',
  ].join('\n'));
  mkdirSync(join(home, 'inv'));
  inventoryConfig = join(home, 'inv', 'ssh_config');
  writeFileSync(inventoryConfig, [
    'Host web1',
    '  HostName 127.0.0.11',
    '  User root',
    '  IdentityFile keys/lab_ed25519',
    '  IdentitiesOnly yes',
    '  UserKnownHostsFile known_hosts /etc/extra_known',
    '  HostKeyAlias web1-alias',
    '',
  ].join('\n'));
});
after(() => rmSync(home, { recursive: true, force: true }));

describe('SshConfigResolver', () => {
  it('quotes %h, %r and %n in ProxyCommand, so a name cannot add shell syntax', () => {
    const config = join(home, 'inv', 'proxy_config');
    writeFileSync(config, 'Host *\n  ProxyCommand ssh -l %r -W %h:%p jump %n\n');
    const resolver = new SshConfigResolver({ home, userConfig: null, localUser: 'me' });
    const s = resolver.resolve({ name: 'x;id', address: '127.0.0.9', user: 'r$(id)', sshConfig: config });
    assert.equal(s.proxyCommand, "ssh -l 'r$(id)' -W 127.0.0.9:22 jump 'x;id'");
  });

  it('uses OpenSSH defaults when no file says anything', () => {
    const resolver = new SshConfigResolver({ home, userConfig: null, localUser: 'me' });
    const s = resolver.resolve({ name: 'db1', address: '127.0.0.3' });
    assert.equal(s.host, '127.0.0.3');
    assert.equal(s.port, 22);
    assert.equal(s.user, 'me');
    assert.equal(s.defaultIdentities, true);
    assert.deepEqual(s.identityFiles, ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(home, '.ssh', f)));
    assert.deepEqual(s.userKnownHostsFiles, [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]);
    assert.equal(s.strictHostKeyChecking, 'yes');
    assert.deepEqual(s.proxyJump, []);
  });

  it('takes the inventory ssh_config first, then ~/.ssh/config; identity files accumulate', () => {
    const resolver = new SshConfigResolver({ home, localUser: 'me' });
    const s = resolver.resolve({ name: 'web1', address: 'web1', sshConfig: inventoryConfig });
    assert.equal(s.host, '127.0.0.11', 'HostName applies when the address is just the name');
    assert.equal(s.user, 'root', 'the inventory file wins over ~/.ssh/config');
    assert.equal(s.port, 2200, 'what the inventory file leaves out comes from ~/.ssh/config');
    assert.deepEqual(s.identityFiles, [join(home, 'inv', 'keys', 'lab_ed25519'), join(home, '.ssh', 'web_key')]);
    assert.equal(s.identitiesOnly, true);
    assert.deepEqual(s.userKnownHostsFiles, [join(home, 'inv', 'known_hosts'), '/etc/extra_known']);
    assert.equal(s.hostKeyAlias, 'web1-alias');
    assert.equal(s.strictHostKeyChecking, 'accept-new');
    assert.equal(s.connectTimeoutMs, 7000);
    assert.deepEqual(s.proxyJump, ['bastion']);
  });

  it('lets the inventory address, user and port win over ssh_config', () => {
    const resolver = new SshConfigResolver({ home, localUser: 'me' });
    const s = resolver.resolve({ name: 'web1', address: '127.0.0.99', user: 'ops', port: 2022, sshConfig: inventoryConfig });
    assert.equal(s.host, '127.0.0.99');
    assert.equal(s.user, 'ops');
    assert.equal(s.port, 2022);
  });

  it('matches Host patterns as OpenSSH does: several per line, ?, *, and negation', () => {
    const file = join(home, 'patterns_config');
    writeFileSync(file, [
      'User top',
      'Host db? !db9',
      '  Port 2001',
      'Host *.lan web1',
      '  Port 2002',
      '  IdentityFile ~/one',
      'Host *',
      '  IdentityFile ~/two',
      '  Port 2003',
      '',
    ].join('\n'));
    const resolver = new SshConfigResolver({ home, userConfig: null, localUser: 'me' });
    const port = (name: string) => resolver.resolve({ name, address: '127.0.0.1', sshConfig: file }).port;
    assert.deepEqual([port('db1'), port('DB2'), port('db9'), port('db10'), port('x.lan'), port('web1'), port('web2')],
      [2001, 2001, 2003, 2003, 2002, 2002, 2003]);
    const s = resolver.resolve({ name: 'x.lan', address: '127.0.0.1', sshConfig: file });
    assert.equal(s.user, 'top', 'lines before any Host apply to every host');
    assert.deepEqual(s.identityFiles, [join(home, 'one'), join(home, 'two')]);
  });

  it('expands Include in place: relative to ~/.ssh, globs sorted, conditional inside a Host block', () => {
    const inc = mkdtempSync(join(tmpdir(), 'muster-include-'));
    mkdirSync(join(inc, '.ssh', 'config.d'), { recursive: true });
    writeFileSync(join(inc, '.ssh', 'config.d', '10-web'), 'Host web*\n  Port 2010\n  User from-include\n');
    writeFileSync(join(inc, '.ssh', 'config.d', '20-all'), 'Port 2020\n');
    writeFileSync(join(inc, '.ssh', 'db.conf'), 'User dbadmin\n');
    writeFileSync(join(inc, '.ssh', 'config'), [
      'Include config.d/*',
      'Host db*',
      '  Include db.conf',
      'Host *',
      '  User fallback',
      '',
    ].join('\n'));
    try {
      const resolver = new SshConfigResolver({ home: inc, localUser: 'me' });
      const web = resolver.resolve({ name: 'web3', address: '127.0.0.1' });
      assert.deepEqual([web.port, web.user], [2010, 'from-include']);
      const db = resolver.resolve({ name: 'db1', address: '127.0.0.1' });
      assert.deepEqual([db.port, db.user], [2020, 'dbadmin']);
      const other = resolver.resolve({ name: 'mail1', address: '127.0.0.1' });
      assert.deepEqual([other.port, other.user], [2020, 'fallback'], 'the db-only include does not leak to other hosts');
    } finally {
      rmSync(inc, { recursive: true, force: true });
    }
  });

  it('still honours files with Match blocks (through the ssh-config package)', () => {
    const file = join(home, 'match_config');
    writeFileSync(file, ['Match host web*', '  User matched', 'Host *', '  Port 2100', ''].join('\n'));
    const resolver = new SshConfigResolver({ home, userConfig: null, localUser: 'me' });
    const s = resolver.resolve({ name: 'web5', address: '127.0.0.1', sshConfig: file });
    assert.deepEqual([s.user, s.port], ['matched', 2100]);
  });

  it('resolves a ProxyJump hop through its own section', () => {
    const resolver = new SshConfigResolver({ home, localUser: 'me' });
    const hop = resolver.resolveHop('bastion', undefined);
    assert.equal(hop.host, '127.0.0.200');
    assert.equal(hop.user, 'jump');
    const explicit = resolver.resolveHop('ops@127.0.0.201:2201', undefined);
    assert.equal(explicit.host, '127.0.0.201');
    assert.equal(explicit.user, 'ops');
    assert.equal(explicit.port, 2201);
  });
});
