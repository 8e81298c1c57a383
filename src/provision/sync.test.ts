import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidFileError } from '../core/errors.js';
import { fixtureInventory, outputFolders } from './fixture.test-helper.js';
import { ProvisionKeys } from './hostKey.js';
import { syncProvision } from './sync.js';
import { manifestName } from './manifest.js';

const { scratch, fresh: freshDir } = outputFolders('sync');
const url = 'http://10.0.0.1:8080';

/** Every file under `dir` (relative) with its inode, mtime and bytes. */
function snapshot(dir: string): Map<string, { ino: number; mtimeMs: number; text: string }> {
  const out = new Map<string, { ino: number; mtimeMs: number; text: string }>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const st = statSync(path);
        out.set(relative(dir, path), { ino: st.ino, mtimeMs: st.mtimeMs, text: st.size < 1_000_000 ? readFileSync(path, 'latin1') : String(st.size) });
      }
    }
  };
  walk(dir);
  return out;
}

function tool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('provision sync', () => {
  it('every generated file is accepted by its real consumer and names only files that exist in DIR', async (t) => {
    const dir = freshDir();
    const report = await syncProvision(fixtureInventory(), { dir, url });
    assert.equal(report.changed.length, 0);
    assert.ok(report.created.includes('dnsmasq.conf'));
    const tftp = join(dir, 'tftp');
    if (tool('dnsmasq')) assert.match(execFileSync('dnsmasq', ['--test', '-C', join(dir, 'dnsmasq.conf')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) + 'ok', /ok/);
    else t.diagnostic('dnsmasq not installed (apt install dnsmasq-base): its check skipped');
    execFileSync('debconf-set-selections', ['-c', join(dir, 'installer/web1.example.lan/preseed.cfg')]);
    // debconf-set-selections -c must be able to fail: a broken line is refused.
    writeFileSync(join(scratch, 'bad.cfg'), 'd-i netcfg/get_hostname\n');
    assert.throws(() => execFileSync('debconf-set-selections', ['-c', join(scratch, 'bad.cfg')], { stdio: 'pipe' }));
    if (tool('cloud-init')) execFileSync('cloud-init', ['schema', '--config-file', join(dir, 'installer/edge1.example.lan/user-data')], { stdio: 'pipe' });
    else t.diagnostic('cloud-init not installed: its schema check skipped');
    for (const file of readdirSync(join(tftp, 'grub'))) execFileSync('grub-script-check', [join(tftp, 'grub', file)]);
    // Each menu's kernel and initrd, and each dhcp-boot file, is in the TFTP root.
    const conf = readFileSync(join(dir, 'dnsmasq.conf'), 'utf8');
    for (const [, file] of conf.matchAll(/^dhcp-boot=.*,([^,\n]+)$/gm)) assert.ok(existsSync(join(tftp, file!)), file);
    const menus = [
      ...readdirSync(join(tftp, 'pxelinux.cfg')).map((f) => join(tftp, 'pxelinux.cfg', f)),
      ...readdirSync(join(tftp, 'grub')).map((f) => join(tftp, 'grub', f)),
      ...readdirSync(join(tftp, 'ipxe')).map((f) => join(tftp, 'ipxe', f)),
    ];
    let referenced = 0;
    for (const menu of menus) {
      for (const [, path] of readFileSync(menu, 'utf8').matchAll(/^\s*(?:KERNEL|INITRD|linux|initrd|kernel)\s+\/?(\S+)/gm)) {
        assert.ok(existsSync(join(tftp, path!)), `${menu} names ${path}`);
        referenced++;
      }
    }
    assert.equal(referenced, 3 * 3 * 2, 'three netboot hosts, three menus each, kernel and initrd');
    assert.ok(existsSync(join(tftp, 'ldlinux.c32')), 'pxelinux.0 loads ldlinux.c32 from its folder');
    assert.equal(statSync(join(tftp, 'debian-installer/amd64/initrd.gz')).size, statSync('/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz').size);
    // The installed host keeps its reservation, without the boot tag, and has no menu.
    const hosts = readFileSync(join(dir, 'dhcp-hosts'), 'utf8');
    assert.match(hosts, /^52:54:00:00:00:12,10\.0\.0\.12,web2$/m);
    assert.match(hosts, /^52:54:00:00:00:11,set:netboot,10\.0\.0\.11,web1$/m);
    assert.equal(existsSync(join(tftp, 'pxelinux.cfg/01-52-54-00-00-00-12')), false);
    assert.match(readFileSync(join(tftp, 'pxelinux.cfg/01-52-54-00-00-00-11'), 'utf8'), /APPEND auto=true priority=critical url=http:\/\/10\.0\.0\.1:8080\/v1\/provision\/web1\.example\.lan\/preseed\.cfg hostname=web1 domain=example\.lan vga=788 --- quiet console=ttyS0\n/);
  });

  it('with agents, every kind of answer file enrolls the agent before its callback, and its consumer still accepts it; with keys, every URL carries its host\'s', async (t) => {
    const dir = freshDir();
    const withAgents = (text: string): string => `agents:\n  servers: [tls://10.0.0.1:4222]\n${text}`;
    const keys = new ProvisionKeys('s3cret');
    await syncProvision(fixtureInventory(withAgents), { dir, url, keys });
    const folder = (host: string): string => `${url}/v1/provision/${host}/${keys.of(host)}/`;
    const enrollUrl = (host: string): string => `${folder(host)}enroll.sh`;
    assert.match(readFileSync(join(dir, 'tftp/pxelinux.cfg/01-52-54-00-00-01-21'), 'utf8'), new RegExp(` inst\\.ks=${folder('db1.example.lan')}ks\\.cfg`));
    assert.ok(readFileSync(join(dir, 'tftp/pxelinux.cfg/01-52-54-00-00-00-31'), 'utf8').includes(` ds=nocloud-net;s=${folder('edge1.example.lan')}`));
    const preseed = readFileSync(join(dir, 'installer/web1.example.lan/preseed.cfg'), 'utf8');
    execFileSync('debconf-set-selections', ['-c', join(dir, 'installer/web1.example.lan/preseed.cfg')]);
    assert.ok(preseed.indexOf(enrollUrl('web1.example.lan')) < preseed.indexOf('/installed'), 'preseed: enroll, then installed');
    // The kickstart's %post is a shell script run in the installed system: it must parse, enroll first, call back with the key.
    const kickstart = readFileSync(join(dir, 'installer/db1.example.lan/ks.cfg'), 'utf8');
    const post = /%post\n([^]*?)%end/.exec(kickstart)?.[1] ?? assert.fail('no %post');
    execFileSync('sh', ['-n', '-c', post]);
    assert.ok(post.indexOf(enrollUrl('db1.example.lan')) < post.indexOf('/installed'), 'kickstart: enroll, then installed');
    assert.ok(post.includes(`curl -fsS -X POST ${folder('db1.example.lan')}installed`), post);
    assert.doesNotMatch(kickstart, /s3cret|Authorization/, 'the token itself is in no answer file');
    assert.match(kickstart, /^openssl$/m, 'enroll.sh needs openssl in the installed system');
    const userData = join(dir, 'installer/edge1.example.lan/user-data');
    if (tool('cloud-init')) execFileSync('cloud-init', ['schema', '--config-file', userData], { stdio: 'pipe' });
    else t.diagnostic('cloud-init not installed: its schema check skipped');
    const lateCommands = readFileSync(userData, 'utf8').split('late-commands:')[1] ?? assert.fail('no late-commands');
    const commands = lateCommands.split('\n').filter((line) => line.startsWith('    - ')).map((line) => JSON.parse(line.slice(6)) as string);
    assert.equal(commands.length, 2);
    assert.match(commands[0] ?? '', /^curtin in-target --target=\/target -- sh -c '/);
    execFileSync('sh', ['-n', '-c', commands[0] ?? '']);
    assert.ok((commands[0] ?? '').includes(enrollUrl('edge1.example.lan')));
    assert.equal(commands[1], `curl -fsS -X POST ${folder('edge1.example.lan')}installed`);
    // Another token is other keys: every host's files are made again.
    const rekeyed = await syncProvision(fixtureInventory(withAgents), { dir, url, keys: new ProvisionKeys('other') });
    assert.ok(['tftp/pxelinux.cfg/01-52-54-00-00-01-21', 'installer/db1.example.lan/ks.cfg'].every((path) => rekeyed.changed.includes(path)), rekeyed.changed.join(' '));
    // No agents, no enroll: the answer files are as before.
    await syncProvision(fixtureInventory(), { dir, url });
    assert.doesNotMatch(readFileSync(join(dir, 'installer/db1.example.lan/ks.cfg'), 'utf8'), /enroll/);
  });

  it('an unchanged sync writes nothing (same inodes, same mtimes); one host changed rewrites only its files', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    const before = snapshot(dir);
    const again = await syncProvision(fixtureInventory(), { dir, url });
    assert.deepEqual([again.created, again.changed, again.removed], [[], [], []]);
    assert.deepEqual(snapshot(dir), before);
    const edited = await syncProvision(fixtureInventory((t) => t.replace('ip: 10.0.0.11,', 'ip: 10.0.0.15,')), { dir, url });
    assert.deepEqual(edited.changed.sort(), ['dhcp-hosts', 'installer/web1.example.lan/preseed.cfg']);
    const now = snapshot(dir);
    for (const [path, was] of before) if (!edited.changed.includes(path) && path !== manifestName) assert.deepEqual(now.get(path), was, path);
  });

  it('a host that leaves or stops netbooting loses its files; files sync did not write are kept', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    writeFileSync(join(dir, 'tftp/local-note.txt'), 'mine\n');
    const report = await syncProvision(fixtureInventory((t) => t.replace(/ {2}edge1\.example\.lan:[\s\S]*?(?= {2}plain)/, '')), { dir, url });
    assert.deepEqual(report.removed.sort(), ['installer/edge1.example.lan/meta-data', 'installer/edge1.example.lan/user-data', 'tftp/grub/grub.cfg-01-52-54-00-00-00-31', 'tftp/ipxe/52-54-00-00-00-31.ipxe', 'tftp/pxelinux.cfg/01-52-54-00-00-00-31']);
    assert.equal(existsSync(join(dir, 'installer/edge1.example.lan')), false, 'the emptied folder is gone');
    assert.equal(readFileSync(join(dir, 'tftp/local-note.txt'), 'utf8'), 'mine\n');
  });

  it('a sync interrupted once everything is staged leaves the old tree intact, and the next one completes', async () => {
    const dir = freshDir();
    await syncProvision(fixtureInventory(), { dir, url });
    const before = snapshot(dir);
    const moved = (t: string): string => t.replace('ip: 10.0.0.11,', 'ip: 10.0.0.16,').replace('ip: 10.0.0.31,', 'ip: 10.0.0.36,');
    await assert.rejects(syncProvision(fixtureInventory(moved), { dir, url, onStaged: (staged) => { assert.equal(staged, 3); throw new Error('killed'); } }), /killed/);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.staging')), []);
    const done = await syncProvision(fixtureInventory(moved), { dir, url });
    assert.equal(done.changed.length, 3);
  });

  it('--check reports what would change and writes nothing; a problem writes nothing at all', async () => {
    const dir = freshDir();
    const check = await syncProvision(fixtureInventory(), { dir, url, check: true });
    assert.ok(check.created.length > 20);
    assert.equal(existsSync(dir), false);
    await assert.rejects(syncProvision(fixtureInventory((t) => t.replace('profile: ubuntu24', 'profile: nope')), { dir, url }), (error: unknown) => error instanceof InvalidFileError && /unknown profile "nope"/.test(error.message));
    await assert.rejects(syncProvision(fixtureInventory((t) => t.replace('template: templates/provision/kickstart.cfg.liquid', 'template: src/provision/testdata/broken.liquid')), { dir, url }), (error: unknown) => error instanceof InvalidFileError && /broken\.liquid:2:\d+: .*undefined variable: provision\.nope/.test(error.message));
    assert.equal(existsSync(dir), false);
  });

  it('SIGHUPs dnsmasq (by its pid file) when only the reservations changed, and says a restart is needed when its config did', async () => {
    const dir = freshDir();
    const pidFile = join(scratch, 'dnsmasq.pid');
    await syncProvision(fixtureInventory(), { dir, url });
    // A stand-in that counts SIGHUPs: what is tested is that sync signals the pid in the file.
    const child = spawn(process.execPath, ['-e', 'let n=0;process.on("SIGHUP",()=>{n++;console.log("hup",n)});setInterval(()=>{},1000);console.log("ready")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      await new Promise<void>((resolve) => { const wait = setInterval(() => { if (out.includes('ready')) { clearInterval(wait); resolve(); } }, 10); });
      writeFileSync(pidFile, `${child.pid}\n`);
      const hup = await syncProvision(fixtureInventory((t) => t.replace('netboot: false', 'netboot: true')), { dir, url, pidFile });
      assert.equal(hup.dnsmasq, 'reloaded');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.match(out, /hup 1/);
      const conf = await syncProvision(fixtureInventory((t) => t.replace(/gateway: 10\.0\.0\.1/g, 'gateway: 10.0.0.254')), { dir, url, pidFile });
      assert.equal(conf.dnsmasq, 'restart needed');
      const none = await syncProvision(fixtureInventory((t) => t.replace(/gateway: 10\.0\.0\.1/g, 'gateway: 10.0.0.254')), { dir, url, pidFile });
      assert.equal(none.dnsmasq, 'none');
    } finally {
      child.kill();
    }
  });
});
