/**
 * The lab on the real thing: namespaces, overlay, sshd, OpenSSH as the client.
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readdir, readFile } from 'node:fs/promises';
import { EnvironmentError, OptionError } from '../core/errors.js';
import { probeSsh } from './host.js';
import { labDown, labExec, labStartHost, labStatus, labStopHost, labUnavailableReason, labUp, type Lab } from './index.js';
import { claimDir } from './state.js';
import { pidsRunning } from './procs.test-helper.js';

const unavailable = await labUnavailableReason();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the OpenSSH client through the lab's ssh_config. */
function ssh(lab: Lab, host: string, command: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ssh', ['-F', lab.sshConfigPath, host, command], (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Pids (as the machine sees them) whose command line contains `text`. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((line) => line.split(' ')[4] ?? '').filter((point) => point === dir || point.startsWith(`${dir}/`));
}

describe('muster lab on real namespaces and sshd', { skip: unavailable ?? false }, () => {
  const name = `test-lab-${process.pid}`;
  let lab: Lab;

  before(async () => {
    lab = await labUp({ name, count: 4, roles: ['web', 'db'] });
  });
  after(async () => {
    await labDown(name);
  });

  test('every host answers OpenSSH (strict host keys) with its own hostname, by name and by address', async () => {
    assert.equal(lab.hosts.length, 4);
    const byName = await Promise.all(lab.hosts.map((host) => ssh(lab, host.name, 'hostname')));
    assert.deepEqual(byName.map((ran) => [ran.code, ran.stdout.trim()]), lab.hosts.map((host) => [0, host.name]));
    const [first] = lab.hosts;
    assert.ok(first);
    const byAddress = await ssh(lab, first.address, 'hostname');
    assert.deepEqual([byAddress.code, byAddress.stdout.trim(), byAddress.stderr], [0, first.name, '']);
  });

  test('a file written on one host is absent on the others and on the machine', async () => {
    const path = `/etc/muster-lab-marker-${process.pid}`;
    const written = await ssh(lab, 'lab01', `echo hello > ${path} && echo tmp > /tmp/marker-${process.pid} && cat ${path}`);
    assert.deepEqual([written.code, written.stdout], [0, 'hello\n']);
    const elsewhere = await ssh(lab, 'lab02', `test -e ${path} || echo absent; test -e /tmp/marker-${process.pid} || echo absent`);
    assert.equal(elsewhere.stdout, 'absent\nabsent\n');
    assert.equal(await exists(path), false);
    assert.equal(await exists(`/tmp/marker-${process.pid}`), false);
  });

  test('each host runs its own process tree with sshd as PID 1, and a plain root profile', async () => {
    const ran = await labExec(lab, 'lab03', 'cat /proc/1/comm; ps -e -o pid= | wc -l; hostname');
    assert.equal(ran.code, 0, ran.stderr);
    const [comm, processes, hostname] = ran.stdout.trim().split('\n');
    assert.equal(comm, 'sshd');
    assert.ok(Number(processes) < 10, `the host sees only its own processes, not the machine's (${processes})`);
    assert.equal(hostname, 'lab03');
    const profile = await ssh(lab, 'lab03', 'echo "[${PYENV_ROOT:-}]"; cat ~/.bashrc | head -1');
    assert.equal(profile.stdout, '[]\n# ~/.bashrc of a muster lab host: plain, as on a fresh server.\n');
  });

  test('labExec returns exit code, stdout and stderr as values', async () => {
    const ran = await labExec(lab, 'lab02', 'echo out; echo err >&2; exit 3');
    assert.deepEqual(ran, { code: 3, stdout: 'out\n', stderr: 'err\n' });
    // Input the command never reads is not an error.
    const unread = await labExec(lab, 'lab02', 'exit 0', { input: 'x'.repeat(1 << 20) });
    assert.equal(unread.code, 0);
    const input = await labExec(lab, 'lab02', 'cat', { input: 'fed\n' });
    assert.equal(input.stdout, 'fed\n');
  });

  test('stop refuses connections and ends every process of the host; start brings it back with its files', async () => {
    const marker = `31337.${process.pid}`;
    const started = await labExec(lab, 'lab04', `echo kept > /root/kept; setsid sleep ${marker} </dev/null >/dev/null 2>&1 & echo started`);
    assert.equal(started.stdout, 'started\n');
    const [sleeper] = await pidsRunning(`sleep ${marker}`);
    assert.ok(sleeper, 'the sleep started in the host is visible from the machine');

    assert.equal(await labStopHost(name, 'lab04'), true);
    const refused = await ssh(lab, 'lab04', 'hostname');
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /Connection refused/);
    assert.equal(await exists(`/proc/${sleeper}`), false, 'the process started in the host died with it');
    const status = await labStatus(name);
    assert.deepEqual(status.hosts.map((host) => host.running), [true, true, true, false]);
    await assert.rejects(labExec(lab, 'lab04', 'true'), EnvironmentError);
    assert.equal(await labStopHost(name, 'lab04'), false, 'stopping a stopped host says so');

    assert.equal(await labStartHost(name, 'lab04'), true);
    const back = await ssh(lab, 'lab04', 'hostname; cat /root/kept');
    assert.deepEqual([back.code, back.stdout], [0, 'lab04\nkept\n']);
    assert.equal(await labStartHost(name, 'lab04'), false, 'starting a running host says so');
  });

  test('up again with the same shape leaves the lab as it is', async () => {
    const again = await labUp({ name, count: 4, roles: ['web', 'db'] });
    assert.equal(again.created, false);
    assert.deepEqual(again.hosts, lab.hosts);
  });

  test('a second lab runs at once on its own address block; down removes its processes, mounts, files and claim', async () => {
    const other = `test-lab-${process.pid}-b`;
    let second: Lab | undefined;
    try {
      second = await labUp({ name: other, count: 2, prefix: 'node' });
      const [a, b] = [lab.hosts[0]?.address.split('.')[1], second.hosts[0]?.address.split('.')[1]];
      assert.notEqual(a, b, 'the two labs use different 127.N.0.0/16 blocks');
      const ran = await ssh(second, 'node02', 'hostname');
      assert.deepEqual([ran.code, ran.stdout], [0, 'node02\n']);
      const claims = (await readdir(claimDir)).filter((entry) => entry === `net-${b}.claim`);
      assert.equal(claims.length, 1);
      assert.ok((await pidsRunning(`${second.dir}/boot.sh`)).length === 2);
      assert.ok((await mountsUnder(second.dir)).length > 0);
    } finally {
      assert.equal(await labDown(other), true);
    }
    assert.ok(second);
    assert.deepEqual(await pidsRunning(`${second.dir}/`), []);
    assert.deepEqual(await mountsUnder(second.dir), []);
    assert.equal(await exists(second.dir), false);
    assert.equal(await exists(`${claimDir}/net-${second.hosts[0]?.address.split('.')[1]}.claim`), false);
    for (const host of second.hosts) assert.equal(await probeSsh(host.address), 'refused');
    assert.equal(await labDown(other), false, 'a second down finds nothing');
    // The first lab is untouched.
    const still = await ssh(lab, 'lab01', 'hostname');
    assert.equal(still.stdout, 'lab01\n');
  });
});

test('labUp names its own option for a bad parallel, before anything is made', async () => {
  const name = `test-lab-parallel-${process.pid}`;
  await assert.rejects(labUp({ name, count: 1, parallel: 0 }), (error: unknown) =>
    error instanceof OptionError && error.option === 'parallel' && error.message === 'Invalid parallel 0: give a whole number of at least 1');
  assert.equal((await labStatus(name).then(() => 'made', () => 'absent')), 'absent');
});

test('without root, labUp says why in one line', { skip: unavailable === undefined ? 'running as root: the refusal cannot be seen' : false }, async () => {
  await assert.rejects(labUp({ name: 'never', count: 1 }), (error: unknown) => error instanceof EnvironmentError && /needs root/.test(error.message));
});
