/**
 * `muster push`, `apply` and `history` end to end: the real CLI against a real
 * lab of 6 sshd hosts, each running a real nginx that listens on its own address
 * (the hosts share one network namespace). Needs root, openssh-server and nginx;
 * skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import type { HostRecord } from '../../report/jsonLines.js';
import { assertUsageFailure, muster as runMuster, musterSync, type Ran } from './cli.test-helper.js';

const unavailable = (await labUnavailableReason()) ?? ((await commandExists('nginx')) ? undefined : 'nginx is not installed');

async function commandExists(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    spawn('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).once('close', (code) => resolve(code === 0));
  });
}

/** The nginx config the tests deploy, rendered per host: it listens on the host's own address. */
function siteTemplate(extra = ''): string {
  return [
    'user root;',
    'worker_processes 1;',
    'pid /run/nginx-site.pid;',
    'error_log /var/log/nginx/site-error.log;',
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    '  server {',
    '    listen {{ address }}:8080;',
    '    root /srv/www;',
    `    add_header X-Served-By {{ name }};${extra}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

describe('muster push / apply / history on a real lab running nginx', { skip: unavailable ?? false }, () => {
  const name = `test-push-${process.pid}`;
  const hosts = ['lab01', 'lab02', 'lab03', 'lab04', 'lab05', 'lab06'];
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;

  function muster(args: string[]): Promise<Ran> {
    return runMuster(args, { env, cwd: work });
  }

  function address(host: string): string {
    const found = lab.hosts.find((candidate) => candidate.name === host);
    assert.ok(found, host);
    return found.address;
  }

  /** GET / from a host's nginx; the reload is asynchronous, so poll until `want` answers or 5 s pass. */
  async function served(host: string, want?: RegExp): Promise<string> {
    const deadline = Date.now() + 5000;
    let last = '';
    for (;;) {
      try {
        const response = await fetch(`http://${address(host)}:8080/`, { signal: AbortSignal.timeout(1000) });
        last = `${response.headers.get('x-served-by') ?? ''} ${await response.text()}`;
      } catch (error) {
        last = `error: ${(error as Error).message}`;
      }
      if (!want || want.test(last) || Date.now() > deadline) return last;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async function on(host: string, command: string): Promise<string> {
    const result = await labExec(lab, host, `cat >/dev/null; ${command}`);
    return result.stdout;
  }

  before(async () => {
    lab = await labUp({ name, count: hosts.length });
    work = await mkdtemp(join(tmpdir(), 'muster-push-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    await writeFile(join(work, 'site.conf'), siteTemplate());
    // Every host: content v1 and nginx running our config.
    await Promise.all(hosts.map(async (host) => {
      await on(host, `mkdir -p /srv/www /var/log/nginx && echo "v1 from ${host}" > /srv/www/index.html`);
    }));
    const first = await muster(['push', 'all', 'site.conf', '/etc/nginx/site.conf', '--template', '--test', 'nginx -t -c /etc/nginx/site.conf']);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    await Promise.all(hosts.map((host) => on(host, 'nginx -c /etc/nginx/site.conf')));
    for (const host of hosts) assert.match(await served(host), new RegExp(`^${host} v1 from ${host}`));
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a broken nginx.conf fails `nginx -t` and is rolled back on every host; nginx keeps serving the old config', async () => {
    await writeFile(join(work, 'broken.conf'), siteTemplate('\n    this_is_not_a_directive on;'));
    const before = await on('lab01', 'sha256sum /etc/nginx/site.conf');
    const ran = await muster(['push', 'all', 'broken.conf', '/etc/nginx/site.conf', '--template', '--test', 'nginx -t -c /etc/nginx/site.conf', '--then', 'nginx -c /etc/nginx/site.conf -s reload', '--json']);
    assert.equal(ran.code, 1);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as HostRecord & { type: string });
    const perHost = records.filter((record) => record.type === 'host');
    assert.equal(perHost.length, hosts.length);
    for (const record of perHost) {
      assert.equal(record.status, 'failed');
      assert.equal(record.rollback, 'done');
      assert.equal(record.message, 'rolled back');
      assert.match(record.stderr ?? '', /unknown directive "this_is_not_a_directive"/);
    }
    assert.equal(await on('lab01', 'sha256sum /etc/nginx/site.conf'), before);
    for (const host of hosts) {
      assert.equal(await on(host, 'grep -c this_is_not /etc/nginx/site.conf; ls -a /etc/nginx | grep -c muster'), '0\n0\n', `${host}: no trace of the broken file`);
      assert.match(await served(host), new RegExp(`^${host} v1 from ${host}`));
    }
  });

  test('a good change passes its test, is reloaded, and the new content is served', async () => {
    await Promise.all(hosts.map((host) => on(host, `echo "v2 from ${host}" > /srv/www/v2.html`)));
    await writeFile(join(work, 'site.conf'), siteTemplate().replace('root /srv/www;', 'root /srv/www; index v2.html;'));
    const ran = await muster(['push', 'all', 'site.conf', '/etc/nginx/site.conf', '--template', '--test', 'nginx -t -c /etc/nginx/site.conf', '--then', 'nginx -c /etc/nginx/site.conf -s reload']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^changed: lab\[01-06\] \(6\)$/m);
    for (const host of hosts) assert.match(await served(host, /v2 from/), new RegExp(`^${host} v2 from ${host}`));
  });

  test('an unchanged push writes nothing and does not run --then', async () => {
    const mtime = await on('lab02', 'stat -c %Y.%y /etc/nginx/site.conf');
    const ran = await muster(['push', 'all', 'site.conf', '/etc/nginx/site.conf', '--template', '--test', 'touch /root/tested', '--then', 'touch /root/reloaded']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^lab\[01-06\] \(6\) ok: unchanged$/m);
    assert.equal(await on('lab02', 'stat -c %Y.%y /etc/nginx/site.conf'), mtime);
    for (const host of hosts) assert.equal(await on(host, 'ls /root/tested /root/reloaded 2>/dev/null | wc -l'), '0\n');
  });

  test('--check changes nothing and shows one diff block for the hosts that would get the same change', async () => {
    await writeFile(join(work, 'motd'), 'welcome\n');
    await Promise.all(hosts.map((host) => on(host, host === 'lab06' ? 'echo different > /etc/motd' : 'echo hello > /etc/motd')));
    const ran = await muster(['push', 'all', 'motd', '/etc/motd', '--check', '--test', 'false']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^lab\[01-05\] \(5\) changed: would change \/etc\/motd\n-+\n--- a\/etc\/motd\n\+\+\+ b\/etc\/motd\n@@ -1(,1)? \+1(,1)? @@\n-hello\n\+welcome$/m);
    assert.match(ran.stdout, /^lab06 \(1\) changed: would change \/etc\/motd\n-+\n--- a\/etc\/motd\n\+\+\+ b\/etc\/motd\n@@ -1(,1)? \+1(,1)? @@\n-different\n\+welcome$/m);
    for (const host of hosts) assert.equal(await on(host, 'cat /etc/motd'), host === 'lab06' ? 'different\n' : 'hello\n');
  });

  test('a failing canary stops the rolling deploy: the rest are not started', async () => {
    await on('lab01', 'touch /root/canary-fails');
    try {
      await writeFile(join(work, 'app.conf'), 'version=3\n');
      const ran = await muster(['push', 'all', 'app.conf', '/etc/app.conf', '--test', 'test ! -e /root/canary-fails', '--batch', '1,50%', '--max-fail', '0']);
      assert.equal(ran.code, 3, ran.stderr);
      assert.match(ran.stdout, /^rolled back: +lab01 \(1\)$/m);
      assert.match(ran.stdout, /^not started: +lab\[02-06\] \(5\)$/m);
      assert.match(ran.stderr, /6 hosts: 1 failed, 5 skipped|6 hosts: 5 skipped, 1 failed/);
      for (const host of hosts) assert.equal(await on(host, 'ls /etc/app.conf 2>/dev/null | wc -l'), '0\n');
    } finally {
      await on('lab01', 'rm -f /root/canary-fails');
    }
  });

  test('a full disk leaves the old file intact and no temporary behind', async () => {
    await on('lab03', 'mkdir -p /mnt/small && mount -t tmpfs -o size=256k tmpfs /mnt/small && echo old > /mnt/small/app.conf && (dd if=/dev/zero of=/mnt/small/fill bs=4k 2>/dev/null; true)');
    await writeFile(join(work, 'big.conf'), 'x'.repeat(200 * 1024));
    const ran = await muster(['push', 'lab03', 'big.conf', '/mnt/small/app.conf']);
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /lab03 \(1\) failed.*cannot (write|install)/);
    assert.equal(await on('lab03', 'cat /mnt/small/app.conf; ls -a /mnt/small'), 'old\n.\n..\napp.conf\nfill\n');
  });

  test('a folder that cannot be written (read-only filesystem) fails the host and leaves DEST untouched', async () => {
    await on('lab04', 'mkdir -p /mnt/ro && mount -t tmpfs -o size=64k tmpfs /mnt/ro && echo old > /mnt/ro/app.conf && mount -o remount,ro /mnt/ro');
    await writeFile(join(work, 'ro.conf'), 'new\n');
    const ran = await muster(['push', 'lab04', 'ro.conf', '/mnt/ro/app.conf']);
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /lab04 \(1\) failed.*cannot install \/mnt\/ro\/app\.conf: cannot create a temporary file in \/mnt\/ro/);
    assert.equal(await on('lab04', 'cat /mnt/ro/app.conf; ls -a /mnt/ro | wc -l'), 'old\n3\n');
  });

  test('a --timeout while the test runs kills it and puts the previous file back', async () => {
    await on('lab02', 'echo old > /root/slow.conf');
    await writeFile(join(work, 'slow.conf'), 'new\n');
    const ran = await muster(['push', 'lab02', 'slow.conf', '/root/slow.conf', '--test', 'sleep 30', '--timeout', '1s']);
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /^lab02 \(1\) timeout: timed out after 1\.0s; rolled back$/m);
    assert.match(ran.stdout, /^rolled back: lab02 \(1\)$/m);
    assert.equal(await on('lab02', 'cat /root/slow.conf; ls -a /root | grep -c muster; pgrep -c -x sleep'), 'old\n0\n0\n');
  });

  test('push --save writes a task file that apply replays, honouring --limit and --check', async () => {
    await writeFile(join(work, 'banner'), 'banner v1\n');
    const saved = await muster(['push', 'all', 'banner', '/etc/banner', '--mode', '0640', '--then', 'touch /root/banner-reloaded', '--batch', '2', '--save', 'banner.yaml', '--check']);
    assert.equal(saved.code, 0, saved.stderr);
    const task = await readFile(join(work, 'banner.yaml'), 'utf8');
    assert.match(task, /^target: all$/m);
    assert.match(task, /^ {2}- push: banner$/m);
    assert.match(task, /^ {4}mode: "0640"$/m);
    assert.match(task, /^ {2}- then: touch \/root\/banner-reloaded$/m);
    assert.match(task, /^batch: "2"$/m);
    for (const host of hosts) assert.equal(await on(host, 'ls /etc/banner 2>/dev/null | wc -l'), '0\n', '--check wrote nothing');

    const limited = await muster(['apply', 'banner.yaml', '--limit', 'lab[01-02]']);
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stdout, /^changed: lab\[01-02\] \(2\)$/m);
    assert.equal(await on('lab01', 'stat -c %a /etc/banner; cat /etc/banner; ls /root/banner-reloaded'), '640\nbanner v1\n/root/banner-reloaded\n');
    assert.equal(await on('lab03', 'ls /etc/banner 2>/dev/null | wc -l'), '0\n');

    const check = await muster(['apply', 'banner.yaml', '--check']);
    assert.match(check.stdout, /^would change: lab\[03-06\] \(4\)$/m);
    const all = await muster(['apply', 'banner.yaml']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^lab\[01-02\] \(2\) ok: unchanged$/m);
    assert.match(all.stdout, /^changed: lab\[03-06\] \(4\)$/m);
  });

  test('a directory is pushed whole with -r and rolled back whole', async () => {
    const tree = join(work, 'site');
    await rm(tree, { recursive: true, force: true });
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(join(tree, 'css'), { recursive: true });
      await fs.writeFile(join(tree, 'index.html'), 'tree v1\n');
      await fs.writeFile(join(tree, 'css', 'a.css'), 'body{}\n');
    });
    const first = await muster(['push', 'lab[04-05]', 'site', '/srv/site', '-r']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(await on('lab04', 'cat /srv/site/index.html /srv/site/css/a.css'), 'tree v1\nbody{}\n');
    await writeFile(join(tree, 'index.html'), 'tree v2\n');
    const failed = await muster(['push', 'lab[04-05]', 'site', '/srv/site', '-r', '--test', 'grep -q v1 /srv/site/index.html']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /^rolled back: lab\[04-05\] \(2\)$/m);
    assert.equal(await on('lab05', 'cat /srv/site/index.html; ls -a /srv | grep -c muster'), 'tree v1\n0\n');
  });

  test('history lists the pushes and shows one again, rollback included; --json too', async () => {
    const list = await muster(['history', '--command', 'push']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID +WHEN +WHO +COMMAND +SUMMARY$/m);
    const failedRow = list.stdout.split('\n').find((line) => line.includes('broken.conf'));
    assert.ok(failedRow, list.stdout);
    const id = failedRow.trim().split(/\s+/)[0] ?? '';
    const shown = await muster(['history', id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^#${id} .* by root.*: muster push all broken\\.conf /etc/nginx/site\\.conf`, 'm'));
    assert.match(shown.stdout, /failed, exit 1: rolled back/);
    assert.match(shown.stdout, /unknown directive "this_is_not_a_directive"/);
    assert.match(shown.stdout, /^6 hosts: 6 failed in /m);
    const json = await muster(['history', id, '--json']);
    const records = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; rollback?: string; command?: string });
    assert.equal(records[0]?.type, 'run');
    assert.equal(records[0]?.command, 'push');
    assert.equal(records.filter((record) => record.type === 'host' && record.rollback === 'done').length, hosts.length);
  });

  test('an undefined template variable stops the push before any host is touched', async () => {
    await writeFile(join(work, 'bad.liquid'), 'listen {{ address }}:{{ no_such_port }};\n');
    const ran = await muster(['push', 'all', 'bad.liquid', '/etc/bad.conf', '--template']);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /bad\.liquid:1:\d+: .*no_such_port/);
    for (const host of hosts) assert.equal(await on(host, 'ls /etc/bad.conf 2>/dev/null | wc -l'), '0\n');
  });
});

test('push: bad DEST, --mode and --owner are usage errors (exit 2, one line) before any host is touched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'muster-push-usage-'));
  try {
    await writeFile(join(dir, 'muster.yaml'), 'hosts:\n  web01: { address: 192.0.2.1 }\n');
    await writeFile(join(dir, 'src.conf'), 'x\n');
    const cases: [string[], RegExp][] = [
      [['relative/path'], /^muster: Invalid DEST "relative\/path"/],
      [['etc/app/'], /^muster: Invalid DEST "etc\/app\/": give an absolute remote path/],
      [['/etc/app.conf', '--mode', 'u+rwx'], /^muster: Invalid --mode "u\+rwx"/],
      [['/etc/app.conf', '--owner', 'a b'], /^muster: Invalid --owner "a b"/],
      [['/etc/app.conf', '--owner', 'root:'], /^muster: Invalid --owner "root:"/],
    ];
    for (const [args, message] of cases) {
      const ran = musterSync(['push', 'web01', 'src.conf', ...args], { cwd: dir, env: { ...process.env, MUSTER_INVENTORY: '', MUSTER_STATE_DIR: join(dir, 'state') } });
      assertUsageFailure(ran, message);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
