/**
 * `--sudo` as real fleets have it, on a real lab host with a real sudoers entry: a user
 * `ops` whose sudo asks for a password, `--sudo-user`, `-K` on a real terminal (util-linux
 * `script` gives one), a refused password, and the password never in the command's
 * stdin, the host's process list, the journal or muster's output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp } from '../../lab/index.js';
import { assertUsageFailure, musterBin, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();
const password = 'c0rrect horse';

describe('sudo with a password on a real lab host', { skip: unavailable ?? false }, () => {
  const name = `test-sudo-${process.pid}`;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env });
  const asOps = (...args: string[]): Promise<Ran> => muster(['run', 'lab01', '-l', 'ops', '--sudo', ...args]);

  before(async () => {
    const lab = await labUp({ name, count: 1 });
    dir = await mkdtemp(join(tmpdir(), 'muster-sudo-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: dir, NO_COLOR: '1' };
    const made = await labExec(name, 'lab01', [
      'useradd -m -s /bin/bash ops && useradd -m deploy',
      `echo 'ops:${password}' | chpasswd`,
      'mkdir -p ~ops/.ssh && cp /root/.ssh/authorized_keys ~ops/.ssh/ && chown -R ops: ~ops/.ssh',
      'echo "ops ALL=(ALL) ALL" > /etc/sudoers.d/ops && chmod 0440 /etc/sudoers.d/ops',
    ].join(' && '));
    assert.equal(made.code, 0, made.stderr);
    await writeFile(join(dir, 'pw'), `${password}\n`);
    await writeFile(join(dir, 'bad'), 'not it\n');
    await writeFile(join(dir, 'data'), 'line one\nline two\n');
  });
  after(async () => {
    await labDown(name);
    await rm(dir, { recursive: true, force: true });
  });

  test('without a password sudo -n fails at once, and the outcome says which flag gives one', async () => {
    const ran = await asOps('--', 'id', '-un');
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /lab01 \(1\) failed, exit 1: sudo wants a password here: add -K \(or --sudo-password-file FILE\)\n/);
  });

  test('--sudo-password-file: root, or --sudo-user; the command\'s stdin is its own, the password seen nowhere', async () => {
    const root = await asOps('--sudo-password-file', join(dir, 'pw'), '--', 'id', '-un');
    assert.equal(root.code, 0, root.stdout + root.stderr);
    assert.match(root.stdout, /^root$/m);
    for (const transport of ['ssh', 'openssh']) {
      const deploy = await asOps('--sudo-user', 'deploy', '--sudo-password-file', join(dir, 'pw'), '--stdin', join(dir, 'data'), '--transport', transport,
        '--', 'id -un; cat; ps -eo args');
      assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
      assert.match(deploy.stdout, /^deploy\nline one\nline two\n/m, transport);
      assert.ok(!deploy.stdout.includes(password) && !deploy.stderr.includes(password), `${transport}: the password is in no process's arguments and not on the command's stdin`);
    }
    const history = await muster(['history', '--json']);
    assert.ok(!history.stdout.includes(password));
    assert.ok(!(await readFile(join(dir, 'history.db'))).includes(password), 'the journal never holds the password');
  });

  test('a wrong password: sudo refused it, said plainly', async () => {
    const ran = await asOps('--sudo-password-file', join(dir, 'bad'), '--', 'id', '-un');
    assert.equal(ran.code, 1);
    assert.match(ran.stdout, /lab01 \(1\) failed, exit 1: sudo refused the password\n/);
    assert.match((await asOps('--sudo-user', 'nobody9', '--sudo-password-file', join(dir, 'pw'), '--', 'true')).stdout, /failed, exit 1: sudo: no such --sudo-user on this host/);
  });

  test('-K asks once on the terminal, never echoing what is typed', async () => {
    // `script` runs muster on a pseudo-terminal; the password is typed once the prompt shows.
    const child = spawn('script', ['-qec', `${process.execPath} ${musterBin} run lab01 -l ops --sudo -K -- id -un`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const before = seen;
      seen += chunk.toString();
      if (!before.includes('sudo password: ') && seen.includes('sudo password: ')) child.stdin.write(`${password}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, seen);
    assert.match(seen, /sudo password: /);
    assert.match(seen, /^root\r?$/m);
    assert.ok(!seen.includes(password), 'the typed password is not echoed');
  });

  test('a timed-out command run with a password is killed, as root, with its children', async () => {
    const ran = await asOps('--sudo-password-file', join(dir, 'pw'), '--timeout', '1s', '--', 'sleep 41 & sleep 42');
    assert.match(ran.stdout, /lab01 \(1\) timeout/);
    const left = await labExec(name, 'lab01', 'pgrep -f "sleep 4[12]" || true');
    assert.equal(left.stdout.trim(), '', 'no sleep left behind');
  });

  test('bad combinations are usage errors before any host is asked', async () => {
    assertUsageFailure(await muster(['run', 'lab01', '--sudo-user', 'deploy', '--', 'true']), /--sudo-user is for commands run through sudo: add --sudo/);
    assertUsageFailure(await muster(['run', 'lab01', '--sudo', '-K', '--sudo-password-file', join(dir, 'pw'), '--', 'true']), /-K and --sudo-password-file both give the password/);
    assertUsageFailure(await muster(['run', 'lab01', '--sudo', '-K', '--', 'true']), /-K asks on a terminal and there is none: use --sudo-password-file FILE/);
    assertUsageFailure(await muster(['run', 'lab01', '--sudo', '--sudo-password-file', join(dir, 'pw'), '--transport', 'nats', '--', 'true']), /not over nats/);
  });
});
