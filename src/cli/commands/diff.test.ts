/**
 * `muster diff` and `muster fetch` end to end: the real CLI against a real lab
 * of 5 sshd hosts. Needs root and openssh-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

describe('muster diff / fetch on a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-diff-${process.pid}`;
  const hosts = ['lab01', 'lab02', 'lab03', 'lab04', 'lab05'];
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;

  function muster(args: string[]): Promise<Ran> {
    return runMuster(args, { env, cwd: work });
  }

  const on = (host: string, command: string) => labExec(lab, host, `cat >/dev/null; ${command}`);
  const config = 'worker_processes 2;\nevents { worker_connections 512; }\nhttp { server { listen 80; } }\n';

  before(async () => {
    lab = await labUp({ name, count: hosts.length });
    work = await mkdtemp(join(tmpdir(), 'muster-diff-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    await Promise.all(hosts.map((host) => on(host, `mkdir -p /etc/app && printf '%s' '${config}' > /etc/app/app.conf`)));
    await on('lab04', "sed -i 's/worker_connections 512/worker_connections 1024/' /etc/app/app.conf");
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('finds the one host whose file differs and shows the diff against the largest group; exit 1', async () => {
    const ran = await muster(['diff', 'all', '/etc/app/app.conf']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^\/etc\/app\/app\.conf: 2 versions across 5 hosts$/m);
    assert.match(ran.stdout, /^ {2}lab\[01-03,05\] \(4\) +sha256 \w{12} +\d+ bytes +<- reference \(largest group\)$/m);
    assert.match(ran.stdout, /^ {2}lab04 \(1\) +sha256 \w{12}/m);
    assert.match(ran.stdout, /^--- lab\[01-03,05\]:\/etc\/app\/app\.conf\n\+\+\+ lab04:\/etc\/app\/app\.conf\n@@ .* @@\n worker_processes 2;\n-events \{ worker_connections 512; \}\n\+events \{ worker_connections 1024; \}$/m);
    assert.match(ran.stderr, /5 hosts: 4 ok, 1 failed/);
  });

  test('exit 0 when identical; missing and unreadable files are groups of their own', async () => {
    const same = await muster(['diff', 'all', '/etc/hostname', '--against', 'lab01']);
    // Each host's /etc/hostname holds its own name: all differ from lab01's.
    assert.equal(same.code, 1);
    const identical = await muster(['diff', 'all', '/etc/os-release']);
    assert.equal(identical.code, 0, identical.stdout);
    assert.match(identical.stdout, /identical on 5 hosts/);

    await on('lab02', 'rm /etc/app/app.conf');
    await on('lab05', 'rm /etc/app/app.conf && mkdir /etc/app/app.conf');
    try {
      const ran = await muster(['diff', 'all', '/etc/app/app.conf', '--json']);
      assert.equal(ran.code, 1);
      const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host?: string; status?: string; message?: string });
      const byHost = new Map(records.filter((record) => record.host).map((record) => [record.host, record]));
      assert.equal(byHost.get('lab02')?.message, 'missing');
      assert.equal(byHost.get('lab05')?.message, 'not a file: a directory');
      assert.equal(byHost.get('lab01')?.status, 'ok');
    } finally {
      await on('lab02', `printf '%s' '${config}' > /etc/app/app.conf`);
      await on('lab05', `rmdir /etc/app/app.conf && printf '%s' '${config}' > /etc/app/app.conf`);
    }
  });

  test('--against a local file makes it the reference: every host that differs from it is shown', async () => {
    await writeFile(join(work, 'wanted.conf'), config.replace('worker_processes 2', 'worker_processes 4'));
    const ran = await muster(['diff', 'all', '/etc/app/app.conf', '--against', 'wanted.conf']);
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /^ {2}\(no host\) +sha256 \w+ +\d+ bytes +<- reference \(local file wanted\.conf\)$/m);
    assert.match(ran.stdout, /^--- wanted\.conf\n\+\+\+ lab\[01-03,05\]:\/etc\/app\/app\.conf$/m);
    assert.match(ran.stdout, /^--- wanted\.conf\n\+\+\+ lab04:\/etc\/app\/app\.conf$/m);
  });

  test('fetch stores LOCALDIR/HOST/NAME and never writes outside LOCALDIR, whatever the remote path', async () => {
    const out = join(work, 'collected');
    const ran = await muster(['fetch', 'all', '/etc/../etc/app/../app/app.conf', out]);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.deepEqual((await readdir(out)).sort(), hosts);
    assert.equal(await readFile(join(out, 'lab04', 'app.conf'), 'utf8'), config.replace('512', '1024'));

    const climbing = await muster(['fetch', 'lab01', '../../../../etc/hostname', join(work, 'up'), '--full-path']);
    assert.equal(climbing.code, 0, climbing.stdout + climbing.stderr);
    assert.equal(await readFile(join(work, 'up', 'lab01', '_..', '_..', '_..', '_..', 'etc', 'hostname'), 'utf8'), 'lab01\n');

    const root = await muster(['fetch', 'lab01', '/', join(work, 'root')]);
    assert.equal(root.code, 1);
    assert.match(root.stdout, /cannot read \//);
    const listing = (await readdir(work)).sort();
    assert.deepEqual(listing.filter((entry) => !['collected', 'up', 'root', 'state', 'wanted.conf'].includes(entry)), []);
  });
});
