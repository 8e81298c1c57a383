/**
 * `muster drift` and `muster converge` end to end: the real CLI against a real
 * lab of 6 sshd hosts, 4 web hosts each running a real nginx on its own address
 * (config and page managed by the role, `nginx -t` as the test, a reload as the
 * then) and 2 cron hosts with cron files. Needs root, openssh-server and nginx;
 * skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { assertNoStack, muster as runMuster, type Ran } from './cli.test-helper.js';

const nginx = spawnSync('sh', ['-c', 'command -v nginx']).status === 0;
const unavailable = (await labUnavailableReason()) ?? (nginx ? undefined : 'nginx is not installed');

/** The site config, rendered per host (it listens on the host's own address). */
function site(version: string, extra = ''): string {
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
    `    add_header X-Version ${version};${extra}`,
    '    add_header X-Served-By {{ name }};',
    '  }',
    '}',
    '',
  ].join('\n');
}

const reload = '(nginx -c /etc/nginx/site.conf -s reload 2>/dev/null || nginx -c /etc/nginx/site.conf) && touch /root/then-ran';

/** The inventory: the lab's hosts, and roles owning files. `extra` adds lines to the web role's files. */
function inventory(lab: Lab, extra = ''): string {
  const text = spawnSync('cat', [lab.inventoryPath], { encoding: 'utf8' }).stdout;
  const hosts = text.slice(text.indexOf('\nhosts:\n') + 1);
  return [
    'version: 1',
    'defaults: { user: root }',
    `ssh_config: ${join(lab.dir, 'ssh_config')}`,
    'roles:',
    '  web:',
    '    files:',
    `      /etc/nginx/site.conf: { src: files/web/site.conf, template: true, test: "nginx -t -c {}", then: "${reload}" }`,
    `      /srv/www/index.html: { src: files/web/index.html, then: "${reload}" }`,
    '      /etc/app/secret.key: { src: files/web/secret.key, mode: "0600" }',
    extra,
    '  cron:',
    '    files:',
    '      /etc/cron.d/backup: { src: files/cron/backup, mode: "0644", owner: root:root }',
    '      /etc/cron.d/old-job: { absent: true, then: "touch /root/cron-reloaded" }',
    '      /srv/scripts: { src: files/cron/scripts }',
    hosts,
  ].filter((line) => line !== '').join('\n');
}

describe('muster drift / converge on a real lab running nginx and cron files', { skip: unavailable ?? false }, () => {
  const name = `files-test-${process.pid}`;
  const web = ['lab01', 'lab02', 'lab03', 'lab04'];
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  const on = async (host: string, command: string): Promise<string> => (await labExec(lab, host, `cat >/dev/null; ${command}`)).stdout;
  const address = (host: string): string => lab.hosts.find((candidate) => candidate.name === host)?.address ?? '';

  /** GET / from a web host's nginx; a reload is asynchronous, so poll until `want` matches or 5 s pass. */
  async function served(host: string, want: RegExp): Promise<string> {
    const deadline = Date.now() + 5000;
    for (;;) {
      let last: string;
      try {
        const response = await fetch(`http://${address(host)}:8080/`, { signal: AbortSignal.timeout(1000) });
        last = `${response.headers.get('x-version') ?? ''} ${response.headers.get('x-served-by') ?? ''} ${await response.text()}`;
      } catch (error) {
        last = `error: ${(error as Error).message}`;
      }
      if (want.test(last) || Date.now() > deadline) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    lab = await labUp({ name, roles: ['web:4', 'cron:2'] });
    // Not under /tmp: the tests' files stay on this machine, but the rule is simple to keep.
    await mkdir('/work/scratch', { recursive: true });
    work = await mkdtemp('/work/scratch/files-test-');
    env = { ...process.env, MUSTER_INVENTORY: join(work, 'muster.yaml'), MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    await mkdir(join(work, 'files/web'), { recursive: true });
    await mkdir(join(work, 'files/cron'), { recursive: true });
    await writeFile(join(work, 'files/web/site.conf'), site('v1'));
    await writeFile(join(work, 'files/web/index.html'), 'hello v1\n');
    await writeFile(join(work, 'files/web/secret.key'), 'the-real-secret\n');
    await chmod(join(work, 'files/web/secret.key'), 0o600);
    await writeFile(join(work, 'files/cron/backup'), '0 3 * * * root /usr/local/bin/backup\n');
    await mkdir(join(work, 'files/cron/scripts/lib'), { recursive: true });
    await writeFile(join(work, 'files/cron/scripts/run.sh'), '#!/bin/sh\n. ./lib/common.sh\n');
    await writeFile(join(work, 'files/cron/scripts/lib/common.sh'), 'x=1\n');
    await writeFile(join(work, 'muster.yaml'), inventory(lab));
    await Promise.all(web.map((host) => on(host, 'mkdir -p /srv/www /var/log/nginx /etc/app')));
    const first = await muster(['converge']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /^changed: +lab\[01-06\] \(6\)$/m);
    for (const host of web) assert.match(await served(host, /^v1 /), new RegExp(`^v1 ${host} hello v1`));
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('an in-sync fleet: drift exits 0; converge writes nothing and runs no then', async () => {
    const drift = await muster(['drift']);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
    assert.match(drift.stdout, /^all 6 managed paths in sync$/m);
    await Promise.all(web.map((host) => on(host, 'rm -f /root/then-ran')));
    const mtime = await on('lab02', 'stat -c %y /etc/nginx/site.conf /srv/www/index.html');
    const ran = await muster(['converge']);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.match(ran.stdout, /^lab\[01-06\] \(6\) ok: unchanged$/m);
    assert.equal(await on('lab02', 'stat -c %y /etc/nginx/site.conf /srv/www/index.html'), mtime);
    for (const host of web) assert.equal(await on(host, 'ls /root/then-ran 2>/dev/null | wc -l'), '0\n', `${host}: no then`);
  });

  test('drift finds the planted differences and groups them exactly; a 0600 file is not printed', async () => {
    await Promise.all([
      on('lab01', "sed -i '1i # local tweak' /etc/nginx/site.conf"),
      on('lab02', "sed -i '1i # local tweak' /etc/nginx/site.conf"),
      on('lab03', 'rm -rf /etc/app'),
      on('lab04', 'echo leaked-value > /etc/app/secret.key && rm /srv/www/index.html'),
      on('lab05', 'chmod 600 /etc/cron.d/backup && echo x >> /srv/scripts/run.sh && touch /srv/scripts/stray'),
      on('lab06', 'echo "* * * * * root true" > /etc/cron.d/old-job'),
    ]);
    const ran = await muster(['drift']);
    assert.equal(ran.code, 1, ran.stderr);
    const out = ran.stdout;
    assert.match(out, /^\/etc\/nginx\/site\.conf: 2 in sync, 2 not, of 4 hosts\n {2}lab\[03-04\] \(2\) +in sync\n {2}lab\[01-02\] \(2\) +drifted: content\n/m);
    // The two hosts' diffs are one (the template renders their addresses differently, far from the change).
    assert.equal(out.split('--------------- lab[01-02]\n').length, 2);
    assert.equal(out.match(/^-# local tweak$/gm)?.length, 1);
    assert.match(out, /^\/srv\/www\/index\.html: 3 in sync, 1 not, of 4 hosts\n {2}lab\[01-03\] \(3\) +in sync\n {2}lab04 \(1\) +missing$/m);
    assert.match(out, /^\/etc\/app\/secret\.key: 2 in sync, 2 not, of 4 hosts\n {2}lab\[01-02\] \(2\) +in sync\n {2}lab03 \(1\) +parent folder missing\n {2}lab04 \(1\) +drifted: content$/m);
    assert.match(out, /^\(content differs; not shown: \/etc\/app\/secret\.key is a secret \(mode 600\); --show-secrets shows it\)$/m);
    assert.doesNotMatch(out, /leaked-value|the-real-secret/);
    assert.match(out, /^\/etc\/cron\.d\/backup: 1 in sync, 1 not, of 2 hosts\n {2}lab06 \(1\) +in sync\n {2}lab05 \(1\) +drifted: mode 600, wanted 644$/m);
    assert.match(out, /^\/etc\/cron\.d\/old-job: 1 in sync, 1 not, of 2 hosts\n {2}lab05 \(1\) +in sync\n {2}lab06 \(1\) +unexpected: a file$/m);
    assert.match(out, /^\/srv\/scripts: 1 in sync, 1 not, of 2 hosts\n {2}lab06 \(1\) +in sync\n {2}lab05 \(1\) +drifted: 2 entries of the tree\n-+ lab05\n~ run\.sh content differs\n- stray \(not in the repository\)$/m);
    assert.match(out, /^6 of 6 managed paths drifted$/m);
    // The journal keeps each host's part of the view, so history (and the web view) gather it too.
    const kept = await muster(['history', '--json', '-n', '1']);
    const id = (JSON.parse(kept.stdout.trim().split('\n')[0] ?? '{}') as { id?: number }).id;
    const again = await muster(['history', String(id)]);
    assert.match(again.stdout, /^lab\[01-02\] \(2\) failed, exit 1: drifted: \/etc\/nginx\/site\.conf\n-+\n\/etc\/nginx\/site\.conf: drifted \(content\)\n--- host:/m);
    assert.doesNotMatch(again.stdout, /leaked-value|the-real-secret/);
    const shown = await muster(['drift', 'lab04', '--show-secrets']);
    assert.match(shown.stdout, /^-leaked-value\n\+the-real-secret$/m);
  });

  test('converge fixes the drift with one reload per host; a missing parent folder fails only that host, rolled back', async () => {
    await writeFile(join(work, 'files/web/site.conf'), site('v2'));
    await Promise.all(web.map((host) => on(host, 'rm -f /root/then-ran')));
    const ran = await muster(['converge']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^lab03 \(1\) failed, exit 10: cannot install \/etc\/app\/secret\.key: cannot create a temporary file in \/etc\/app; rolled back$/m);
    assert.match(ran.stdout, /^lab06 \(1\) changed: removed \/etc\/cron\.d\/old-job$/m);
    assert.equal(await on('lab06', 'test -e /root/cron-reloaded && echo reloaded'), 'reloaded\n', 'a removal runs its then too');
    assert.match(await served('lab03', /^v1 /), /^v1 lab03/, 'lab03 kept its old config');
    await on('lab03', 'mkdir /etc/app');
    const again = await muster(['converge']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /^changed: +lab03 \(1\)$/m);
    for (const host of web) {
      assert.match(await served(host, /^v2 /), new RegExp(`^v2 ${host} hello v1`));
      assert.equal(await on(host, 'ls /root/then-ran | wc -l; ls -a /etc/nginx /srv/www /etc/app | grep -c muster'), '1\n0\n');
    }
    const drift = await muster(['drift']);
    assert.equal(drift.code, 0, drift.stdout);
    const history = await muster(['history']);
    assert.match(history.stdout, /converge/);
  });

  test('a broken nginx config fails nginx -t and is rolled back on every web host; nginx keeps serving', async () => {
    await writeFile(join(work, 'files/web/site.conf'), site('v3', '\n    this_is_not_a_directive on;'));
    await writeFile(join(work, 'files/web/index.html'), 'hello v3\n');
    const check = await muster(['converge', '--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^\+ {4}this_is_not_a_directive on;$/m);
    assert.match(check.stdout, /^would change: lab\[01-04\] \(4\)$/m);
    const canary = await muster(['converge', '--batch', '1,50%', '--max-fail', '0']);
    assert.equal(canary.code, 3, canary.stdout + canary.stderr);
    assert.match(canary.stdout, /^rolled back: +lab01 \(1\)$/m);
    assert.match(canary.stdout, /^not started: +lab\[02-06\] \(5\)$/m);
    const ran = await muster(['converge', '--json']);
    assert.equal(ran.code, 1);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host: string; status: string; rollback?: string; stderr?: string });
    for (const record of records.filter((one) => one.type === 'host')) {
      if (web.includes(record.host)) {
        assert.equal(record.status, 'failed', record.host);
        assert.equal(record.rollback, 'done', record.host);
        assert.match(record.stderr ?? '', /unknown directive "this_is_not_a_directive"/);
      } else assert.equal(record.status, 'ok', record.host);
    }
    for (const host of web) {
      assert.match(await served(host, /^v2 /), new RegExp(`^v2 ${host} hello v1`), `${host} serves the old config and page`);
      assert.equal(await on(host, 'grep -c this_is_not /etc/nginx/site.conf; cat /srv/www/index.html; ls -a /etc/nginx /srv/www | grep -c muster'), '0\nhello v1\n0\n');
    }
    await writeFile(join(work, 'files/web/site.conf'), site('v2'));
    await writeFile(join(work, 'files/web/index.html'), 'hello v1\n');
  });

  test('a host stopped while a test runs (--timeout) is put back: the old files, no temporary, no test left running', async () => {
    await writeFile(join(work, 'slow.yaml'), inventory(lab, '      /etc/slow.conf: { src: files/web/index.html, test: "sleep 30" }'));
    const before = await on('lab01', 'sha256sum /etc/nginx/site.conf');
    await writeFile(join(work, 'files/web/site.conf'), site('v9'));
    try {
      const ran = await muster(['-i', join(work, 'slow.yaml'), 'converge', 'lab01', '--timeout', '1s']);
      assert.equal(ran.code, 1, ran.stdout + ran.stderr);
      assert.match(ran.stdout, /^lab01 \(1\) timeout: timed out after 1\.0s; rolled back$/m);
      assert.equal(await on('lab01', 'sha256sum /etc/nginx/site.conf'), before);
      assert.equal(await on('lab01', 'ls /etc/slow.conf 2>/dev/null | wc -l; ls -a /etc /etc/nginx | grep -c muster; pgrep -c -x sleep'), '0\n0\n0\n');
      assert.match(await served('lab01', /^v2 /), /^v2 lab01/);
    } finally {
      await writeFile(join(work, 'files/web/site.conf'), site('v2'));
    }
  });

  test('a missing src stops drift, converge and check before any host is touched, at its file:line:col', async () => {
    await writeFile(join(work, 'bad.yaml'), inventory(lab, '      /etc/never: { src: files/web/nope }\n      /etc/written-anyway: { src: files/web/index.html }'));
    const text = await readFile(join(work, 'bad.yaml'), 'utf8');
    const rows = text.split('\n');
    const line = rows.findIndex((row) => row.includes('/etc/never')) + 1;
    const col = (rows[line - 1] ?? '').indexOf('src: files/web/nope') + 1;
    for (const args of [['converge'], ['drift'], ['check']]) {
      const ran = await muster(['-i', join(work, 'bad.yaml'), ...args]);
      assert.equal(ran.code, 2, ran.stdout);
      assert.match(ran.stderr, new RegExp(`bad\\.yaml:${line}:${col}: cannot read src files/web/nope of /etc/never: no such file`));
      assertNoStack(ran.stderr);
      assert.equal(ran.stdout, '');
    }
    for (const host of web) assert.equal(await on(host, 'ls /etc/written-anyway 2>/dev/null | wc -l'), '0\n');
  });
});
