/**
 * `muster adopt` end to end: the real CLI against a lab of 5 real sshd hosts
 * that disagree (3 with one nginx.conf, 2 with another, a cron file the same
 * everywhere, a 0600 secret missing on one host). Needs root and
 * openssh-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labDown, labExec, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { declaredFiles } from '../../inventory/managedFiles.js';
import { parseInventory } from '../../inventory/parse.js';
import { assertNoStack, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

const nginxA = 'worker_processes 2;\nevents { worker_connections 512; }\n';
const nginxB = 'worker_processes 4;\nevents { worker_connections 1024; }\n';
const cron = '0 3 * * * root /usr/local/bin/backup\n';

describe('muster adopt on a lab whose hosts disagree', { skip: unavailable ?? false }, () => {
  const name = `adopt-test-${process.pid}`;
  let lab: Lab;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  let yamlBefore: string;

  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: repo });
  const on = (host: string, command: string) => labExec(lab, host, `cat >/dev/null; ${command}`);
  const put = (path: string, content: string, mode = '644') => `mkdir -p $(dirname ${path}) && printf '%s' '${content}' > ${path} && chmod ${mode} ${path}`;
  const yaml = () => readFile(join(repo, 'muster.yaml'), 'utf8');
  const inventory = async () => parseInventory([{ path: join(repo, 'muster.yaml'), text: await yaml() }]);
  const srcOf = async (host: string, path: string) => {
    const inv = await inventory();
    return declaredFiles(inv, inv.hostsByName.get(host)!).files.find((file) => file.path === path)?.spec;
  };

  before(async () => {
    lab = await labUp({ name, count: 5, roles: ['web'] });
    // Not under /tmp: a checkout lives where people keep them (and lab hosts have their own /tmp).
    await mkdir('/work/tmp', { recursive: true });
    repo = await mkdtemp('/work/tmp/adopt-test-');
    await mkdir(join(repo, '.git'));
    const labYaml = await readFile(lab.inventoryPath, 'utf8');
    yamlBefore = labYaml
      .replace(/^ssh_config: ssh_config$/m, `ssh_config: ${lab.sshConfigPath}  # the lab's`)
      .replace(/^roles:$/m, 'roles:  # what each kind of host does')
      .replace(/^ {2}web: \{\}$/m, '  web: {}  # the front ends');
    await writeFile(join(repo, 'muster.yaml'), yamlBefore);
    env = { ...process.env, MUSTER_INVENTORY: '', MUSTER_NO_CACHE: '1', MUSTER_STATE_DIR: join(repo, '.state'), NO_COLOR: '1' };
    await Promise.all(['lab01', 'lab02', 'lab03', 'lab04', 'lab05'].map((host) => on(host, [
      put('/etc/nginx/nginx.conf', ['lab04', 'lab05'].includes(host) ? nginxB : nginxA),
      put('/etc/cron.d/backup', cron),
      host === 'lab04' ? 'true' : put('/etc/app/secret.key', host === 'lab05' ? 'key-five' : 'key-main', '600'),
    ].join(' && '))));
  });

  after(async () => {
    if (lab) await labDown(name);
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  test('3 + 2 variants: the role file and two host overrides, the cron file once, the secret never printed', async () => {
    const ran = await muster(['adopt', 'all', '/etc/nginx/nginx.conf', '/etc/cron.d/backup', '/etc/app/secret.key']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^\/etc\/nginx\/nginx\.conf: 2 variants across 5 hosts$/m);
    assert.match(ran.stdout, /^ {2}lab\[01-03\] \(3\) +sha256 \w{12} +55 bytes +0644 root:root +-> files\/web\/etc\/nginx\/nginx\.conf \(role web\)$/m);
    assert.match(ran.stdout, /^ {2}lab\[04-05\] \(2\) +sha256 \w{12} +56 bytes +0644 root:root +-> files\/host\/HOST\/etc\/nginx\/nginx\.conf \(host override of each of lab\[04-05\]\)$/m);
    assert.match(ran.stdout, /^-worker_processes 2;\n-events \{ worker_connections 512; \}\n\+worker_processes 4;$/m);
    assert.match(ran.stdout, /^\/etc\/cron\.d\/backup: 1 variant on 5 hosts\n {2}lab\[01-05\] \(5\) .* -> files\/web\/etc\/cron\.d\/backup \(role web\)$/m);
    assert.match(ran.stdout, /^\/etc\/app\/secret\.key: 2 variants across 4 hosts$/m);
    assert.match(ran.stdout, /^ {2}missing on lab04 \(1\): not adopted for it$/m);
    assert.match(ran.stdout, /^ {2}\(lab05: not readable by others \(mode 0600\): contents not shown\)$/m);
    assert.doesNotMatch(ran.stdout + ran.stderr, /key-main|key-five/);
    assert.match(ran.stdout, /^wrote 6 files under /m);

    // The files, with the hosts' bytes; the secret stays 0600 in the repository too.
    assert.equal(await readFile(join(repo, 'files/web/etc/nginx/nginx.conf'), 'utf8'), nginxA);
    assert.equal(await readFile(join(repo, 'files/host/lab04/etc/nginx/nginx.conf'), 'utf8'), nginxB);
    assert.equal(await readFile(join(repo, 'files/host/lab05/etc/nginx/nginx.conf'), 'utf8'), nginxB);
    assert.equal(await readFile(join(repo, 'files/web/etc/cron.d/backup'), 'utf8'), cron);
    assert.equal(await readFile(join(repo, 'files/web/etc/app/secret.key'), 'utf8'), 'key-main');
    assert.equal((await stat(join(repo, 'files/web/etc/app/secret.key'))).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(join(repo, 'files/host'))).sort(), ['lab04', 'lab05']);

    // The YAML, parsed back: every host gets the src of its variant; comments kept.
    for (const host of ['lab01', 'lab02', 'lab03']) assert.deepEqual(await srcOf(host, '/etc/nginx/nginx.conf'), { src: 'files/web/etc/nginx/nginx.conf', mode: '0644', owner: 'root:root' });
    for (const host of ['lab04', 'lab05']) assert.equal((await srcOf(host, '/etc/nginx/nginx.conf'))?.src, `files/host/${host}/etc/nginx/nginx.conf`);
    for (const host of ['lab01', 'lab05']) assert.equal((await srcOf(host, '/etc/cron.d/backup'))?.src, 'files/web/etc/cron.d/backup');
    assert.deepEqual(await srcOf('lab05', '/etc/app/secret.key'), { src: 'files/host/lab05/etc/app/secret.key', mode: '0600', owner: 'root:root' });
    const text = await yaml();
    for (const comment of ["# the lab's", '# what each kind of host does', '# the front ends', '# Lab "adopt-test-']) assert.ok(text.includes(comment), comment);
    assert.match(text, /^ {2}web: {2}# the front ends\n {4}files:\n {6}\/etc\/nginx\/nginx\.conf: \{ src: files\/web\/etc\/nginx\/nginx\.conf, mode: "0644", owner: "root:root" \}$/m);
    assert.equal((await inventory()).hostsByName.get('lab05')?.vars['dc'], 'dc2');
  });

  test('run again on the unchanged fleet: nothing is written', async () => {
    const before = await yaml();
    const ran = await muster(['adopt', 'all', '/etc/nginx/nginx.conf', '/etc/cron.d/backup', '/etc/app/secret.key']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^\/etc\/nginx\/nginx\.conf: 2 variants across 5 hosts \(already adopted, unchanged\)$/m);
    assert.match(ran.stdout, /^nothing to write: the repository already holds these files and entries$/m);
    assert.equal(await yaml(), before);
  });

  test('a managed path whose hosts changed is refused unless --force, naming where it is declared', async () => {
    await on('lab02', "echo '# by hand' >> /etc/cron.d/backup");
    const refused = await muster(['adopt', 'all', '/etc/cron.d/backup']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^muster: \/etc\/cron\.d\/backup is managed already \(declared in role web at .*muster\.yaml:\d+:\d+\); add --force to adopt it again from the hosts; nothing was adopted$/m);
    assertNoStack(refused.stderr);
    const forced = await muster(['adopt', 'all', '/etc/cron.d/backup', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^ {2}lab02 \(1\) .* -> files\/host\/lab02\/etc\/cron\.d\/backup \(host override\)$/m);
    assert.equal((await srcOf('lab02', '/etc/cron.d/backup'))?.src, 'files/host/lab02/etc/cron.d/backup');
    assert.equal((await srcOf('lab03', '/etc/cron.d/backup'))?.src, 'files/web/etc/cron.d/backup');

    // lab02 put back as the others: adopted again, its override goes and the role's file reaches it.
    await on('lab02', put('/etc/cron.d/backup', cron));
    const again = await muster(['adopt', 'all', '/etc/cron.d/backup', '--force']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^\/etc\/cron\.d\/backup: 1 variant on 5 hosts\n.*\n {2}lab02: its host override is removed, it has the role's file now \(files\/host\/lab02\/etc\/cron\.d\/backup is no longer named: git rm it\)$/m);
    assert.deepEqual(await srcOf('lab02', '/etc/cron.d/backup'), { src: 'files/web/etc/cron.d/backup', mode: '0644', owner: 'root:root' });
    assert.equal((await srcOf('lab02', '/etc/nginx/nginx.conf'))?.src, 'files/web/etc/nginx/nginx.conf');
  });

  test('bad input: one clear line, exit 2, nothing written', async () => {
    const before = await yaml();
    const cases: [string[], RegExp][] = [
      [['adopt', 'all', '/etc/nginx/nginx.conf', '--role', 'db'], /^muster: Unknown role "db" \(roles: web\)$/m],
      [['adopt', 'all', '/etc/no/such.conf'], /^muster: \/etc\/no\/such\.conf: no selected host has it as a file \(missing on lab\[01-05\]\); nothing was adopted$/m],
      [['adopt', 'all', 'etc/motd'], /^muster: Invalid path "etc\/motd": give the file's absolute path on the hosts/m],
      [['adopt', 'all', '/etc/nginx'], /^muster: \/etc\/nginx: no selected host has it as a file \(a directory \(adopt takes files\) on lab\[01-05\]\); nothing was adopted$/m],
      [['adopt', 'all', '/etc/motd', '--role', 'web', '--host'], /^muster: Give --role or --host, not both$/m],
    ];
    for (const [args, message] of cases) {
      const ran = await muster(args);
      assert.equal(ran.code, 2, `${args.join(' ')}: ${ran.stderr}`);
      assert.match(ran.stderr, message);
      assertNoStack(ran.stderr);
    }
    assert.equal(await yaml(), before);
    assert.deepEqual((await readdir(repo)).filter((entry) => entry.includes('muster-')), []);
  });

  test('--host: every host its own copy; --json says the same in one record', async () => {
    const ran = await muster(['adopt', 'lab0[1-2]', '/etc/hostname', '--host', '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; paths?: { variants: { hosts: string; as: string; src: string[] }[] }[] });
    const adopted = records.find((record) => record.type === 'adopt');
    assert.deepEqual(adopted?.paths?.[0]?.variants.map((variant) => [variant.hosts, variant.as, variant.src]), [['lab01', 'host', ['files/host/lab01/etc/hostname']], ['lab02', 'host', ['files/host/lab02/etc/hostname']]]);
    assert.equal(await readFile(join(repo, 'files/host/lab02/etc/hostname'), 'utf8'), 'lab02\n');
    assert.equal((await srcOf('lab01', '/etc/hostname'))?.src, 'files/host/lab01/etc/hostname');
    assert.equal(await srcOf('lab03', '/etc/hostname'), undefined);
  });

  test('--dry-run writes nothing; two adopts at once both land (the inventory is locked as muster set locks it)', async () => {
    const before = await yaml();
    const dry = await muster(['adopt', 'all', '/etc/issue', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would write 1 file under .*: files\/web\/etc\/issue$/m);
    assert.equal(await yaml(), before);
    assert.equal(existsSync(join(repo, 'files/web/etc/issue')), false);
    const both = await Promise.all([muster(['adopt', 'all', '/etc/issue']), muster(['adopt', 'all', '/etc/debian_version'])]);
    for (const ran of both) assert.equal(ran.code, 0, ran.stderr);
    assert.equal((await srcOf('lab04', '/etc/issue'))?.src, 'files/web/etc/issue');
    assert.equal((await srcOf('lab04', '/etc/debian_version'))?.src, 'files/web/etc/debian_version');
  });

  test('a host that cannot be reached is said and left out; the others are adopted; exit 1', async () => {
    await labStopHost(name, 'lab03');
    const ran = await muster(['adopt', 'all', '/etc/os-release']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^\/etc\/os-release: 1 variant on 4 hosts\n {2}lab\[01-02,04-05\] \(4\) .* -> files\/web\/etc\/os-release \(role web\)$/m);
    assert.match(ran.stdout, /^not read: lab03 \(1; see the summary\): nothing adopted for it$/m);
    assert.equal((await srcOf('lab01', '/etc/os-release'))?.src, 'files/web/etc/os-release');
  });
});
