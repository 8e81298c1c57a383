/**
 * `muster push` as a cp/scp/clush user writes it (issue 15's traps): a DEST
 * ending in `/`, or a directory on the host, means "into this folder"; `-r` of a
 * tree onto a top-level folder is refused with the way to say "into"; an
 * undefined template variable is said once for all the hosts it concerns; and
 * `muster diff` of a path missing everywhere fails. Real CLI, real lab.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, type Lab, labUp } from '../../lab/index.js';
import { assertUsageFailure, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

describe('push into a folder, on a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-pushinto-${process.pid}`;
  const hosts = ['lab01', 'lab02', 'lab03'];
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;

  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  const on = async (host: string, command: string): Promise<string> => (await labExec(lab, host, `cat >/dev/null; ${command}`)).stdout;

  before(async () => {
    lab = await labUp({ name, count: hosts.length });
    work = await mkdtemp(join(tmpdir(), 'muster-pushinto-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    await writeFile(join(work, 'motd'), 'hello\n');
    await mkdir(join(work, 'site'));
    await writeFile(join(work, 'site', 'index.html'), 'v1\n');
    await Promise.all(hosts.map((host) => on(host, 'mkdir -p /srv/drop /srv/nested/motd')));
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('DEST/ puts the file in the folder, as cp does; again, it is unchanged', async () => {
    const ran = await muster(['push', 'all', 'motd', '/srv/drop/']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^lab\[01-03\] \(3\) changed: changed \/srv\/drop\/motd$/m);
    for (const host of hosts) assert.equal(await on(host, 'cat /srv/drop/motd'), 'hello\n');
    const again = await muster(['push', 'all', 'motd', '/srv/drop/']);
    assert.match(again.stdout, /^lab\[01-03\] \(3\) ok: unchanged$/m);
  });

  test('a DEST that is a directory on the host takes the file into it (push, --check and --backup agree)', async () => {
    await writeFile(join(work, 'motd'), 'hello again\n');
    const check = await muster(['push', 'all', 'motd', '/srv/drop', '--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /would change \/srv\/drop\/motd\n[\s\S]*-hello\n\+hello again\n/);
    const ran = await muster(['push', 'lab01', 'motd', '/srv/drop', '--backup', '--test', 'grep -q again /srv/drop/motd']);
    assert.equal(ran.code, 0, ran.stderr + ran.stdout);
    assert.match(ran.stdout, /^lab01 \(1\) changed: changed \/srv\/drop\/motd$/m);
    assert.match(await on('lab01', 'cat /srv/drop/motd; ls /srv/drop'), /^hello again\nmotd\nmotd\.muster-\d{8}T\d{6}\n$/);
    // Where even DEST/NAME is a directory, it is said plainly (no "use -r": SRC is a file).
    const nested = await muster(['push', 'lab02', 'motd', '/srv/nested']);
    assert.equal(nested.code, 1);
    assert.match(nested.stdout, /^lab02 \(1\) failed: \/srv\/nested\/motd is a directory$/m);
    assert.doesNotMatch(nested.stdout, /use -r/);
  });

  test('-r: DEST/ takes the tree in as DEST/NAME; a top-level DEST is refused before any host is touched; -r of a file goes in', async () => {
    const into = await muster(['push', 'all', '-r', 'site', '/srv/drop/']);
    assert.equal(into.code, 0, into.stderr + into.stdout);
    assert.match(into.stdout, /changed \/srv\/drop\/site$/m);
    assert.equal(await on('lab03', 'cat /srv/drop/site/index.html'), 'v1\n');
    const top = await muster(['push', 'all', '-r', 'site', '/srv']);
    assertUsageFailure(top, /^muster: Invalid DEST "\/srv" with -r: the tree is swapped in whole at DEST, and \/srv is a top-level folder; to push into it, end it with \/ \(\/srv\/ gives \/srv\/site\)\n/);
    assert.equal(await on('lab01', 'ls /srv | sort | tr "\\n" " "'), 'drop nested ');
    const file = await muster(['push', 'all', '-r', 'motd', '/tmp']);
    assert.equal(file.code, 0, file.stderr + file.stdout);
    assert.match(file.stdout, /changed: changed \/tmp\/motd$/m);
  });

  test('an undefined template variable is said once, with the hosts it concerns folded', async () => {
    await writeFile(join(work, 'bad.liquid'), '{% if host.name == "lab02" %}{{ only_here }}{% endif %}port {{ vars.nope }}\n');
    const ran = await muster(['push', 'all', 'bad.liquid', '/etc/bad.conf', '--template']);
    assert.equal(ran.code, 2);
    const lines = ran.stderr.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^muster: Cannot load template .*bad\.liquid: .*bad\.liquid:1:\d+: undefined variable: vars\.nope \(rendering for lab\[01,03\], 2 hosts\)$/);
    assert.match(lines[1] ?? '', /^ {2}.*bad\.liquid:1:\d+: undefined variable: only_here \(rendering for lab02\)$/);
    assert.equal(lines.filter((line) => /vars\.nope/.test(line)).length, 1);
    for (const host of hosts) assert.equal(await on(host, 'ls /etc/bad.conf 2>/dev/null | wc -l'), '0\n');
  });

  test('diff of a path missing on every host fails (exit 1), each host failed "missing"', async () => {
    const ran = await muster(['diff', 'all', '/nonexistent', '--json']);
    assert.equal(ran.code, 1, ran.stderr);
    const records = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; host?: string; status?: string; message?: string });
    assert.deepEqual(records.filter((record) => record.host).map((record) => [record.status, record.message]), Array(3).fill(['failed', 'missing']));
    const text = await muster(['diff', 'all', '/nonexistent']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^\/nonexistent: missing on all 3 hosts$/m);
    assert.match(text.stderr, /3 hosts: 3 failed/);
  });
});
