/**
 * `muster push` under faults, end to end: the real CLI against a lab of 6 real
 * sshd hosts, stopped by Ctrl-C (SIGINT), by `--timeout`, killed outright, and
 * racing another push of the same DEST. After each, every host must hold the old
 * file or the new one, say which, and keep no `.NAME.muster-*` file or process.
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import type { HostRecord } from '../../report/jsonLines.js';
import { muster as runMuster, musterBin, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();
const hosts = ['lab01', 'lab02', 'lab03', 'lab04', 'lab05', 'lab06'];

describe('muster push under faults on a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-pushfaults-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;

  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  const on = async (host: string, command: string): Promise<string> => (await labExec(lab, host, `cat >/dev/null; ${command}`)).stdout;
  const onAll = (command: string): Promise<string[]> => Promise.all(hosts.map((host) => on(host, command)));
  const records = (ran: Ran): (HostRecord & { type: string })[] => ran.stdout.trim().split('\n').filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as HostRecord & { type: string }).filter((record) => record.type === 'host');
  const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

  /** Starts muster and, once `ready` says so (polled), sends it `signal`; resolves when it has ended. */
  function musterStoppedWhen(args: string[], ready: () => Promise<boolean>, signal: NodeJS.Signals): Promise<Ran> {
    const child: ChildProcess = spawn(process.execPath, [musterBin, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const ended = new Promise<Ran>((resolve) => child.once('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr })));
    let running = true;
    void ended.then(() => { running = false; });
    void (async () => {
      const deadline = Date.now() + 60_000;
      while (running && Date.now() < deadline) {
        if (await ready()) {
          child.kill(signal);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return ended;
  }

  /** Every host holds `old` or `new` at `dest` and its record says which; no muster file or process is left. */
  async function assertOldOrNew(ran: Ran, dest: string, old: string, fresh: string, stoppedBy: RegExp): Promise<{ old: number; fresh: number }> {
    const byHost = new Map(records(ran).map((record) => [record.host, record]));
    const dir = dest.slice(0, dest.lastIndexOf('/')) || '/';
    const counts = { old: 0, fresh: 0 };
    for (const host of hosts) {
      const record = byHost.get(host);
      assert.ok(record, `${host}: a record\n${ran.stdout}`);
      const [held = '', leftovers = '', procs = ''] = (await on(host, `sha256sum < ${dest} | cut -c1-64; ls -a ${dir} | grep -c muster; pgrep -c -f '[M]USTER_PUSH' || true`)).trim().split('\n');
      assert.equal(leftovers, '0', `${host}: no .NAME.muster-* file left in ${dir}`);
      assert.equal(procs, '0', `${host}: no muster script still running`);
      if (held === fresh) {
        counts.fresh += 1;
        assert.equal(record.status, 'changed', `${host} holds the new file, so it says changed: ${JSON.stringify(record)}`);
      } else {
        assert.equal(held, old, `${host} holds the old file or the new one`);
        counts.old += 1;
        assert.notEqual(record.status, 'changed', `${host} holds the old file: ${JSON.stringify(record)}`);
        assert.match(record.message ?? '', stoppedBy, `${host}: says it was stopped`);
        assert.match(record.message ?? '', /rolled back|left as it was|nothing ran/, `${host}: says the old file is there: ${record.message ?? ''}`);
      }
    }
    return counts;
  }

  before(async () => {
    lab = await labUp({ name, count: hosts.length });
    work = await mkdtemp(join(tmpdir(), 'muster-pushfaults-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('Ctrl-C in the middle of a 48 MB push: each host has the old file or the new one, says which, and keeps no temporary', async () => {
    const big = randomBytes(48 * 1024 * 1024);
    await writeFile(join(work, 'big.bin'), big);
    await onAll('echo old > /root/big.bin');
    const old = sha('old\n');
    // Interrupted once the first host has a temporary being written: the transfer is under way.
    const ran = await musterStoppedWhen(['push', 'all', 'big.bin', '/root/big.bin', '--json'],
      async () => (await on('lab01', 'ls -a /root | grep -c "^.big.bin.muster-" || true')).trim() !== '0', 'SIGINT');
    assert.equal(ran.code, 130, ran.stderr);
    const counts = await assertOldOrNew(ran, '/root/big.bin', old, sha(big), /interrupted/);
    assert.ok(counts.old > 0, 'the interrupt came while the file was being written');
  });

  test('a --timeout in the middle of a -r push of a tree leaves each host with the old tree or the new one, and no temporary', async () => {
    const tree = join(work, 'tree');
    await mkdir(tree, { recursive: true });
    // Big enough that writing it to every host takes well over the 1 s timeout on a fast, quiet machine
    // too (40 MiB to 3 hosts once finished inside it).
    await writeFile(join(tree, 'data.bin'), randomBytes(160 * 1024 * 1024));
    await writeFile(join(tree, 'version'), 'new\n');
    await onAll('rm -rf /srv/tree && mkdir -p /srv/tree && echo old > /srv/tree/version');
    const ran = await muster(['push', 'all', 'tree', '/srv/tree', '-r', '--timeout', '1s', '--json']);
    assert.equal(ran.code, 1, ran.stderr);
    const byHost = new Map(records(ran).map((record) => [record.host, record]));
    let old = 0;
    for (const host of hosts) {
      const record = byHost.get(host);
      const [version = '', leftovers = ''] = (await on(host, 'cat /srv/tree/version; ls -a /srv | grep -c muster')).trim().split('\n');
      assert.equal(leftovers, '0', `${host}: no .tree.muster-* left in /srv`);
      if (version === 'new') assert.equal(record?.status, 'changed', `${host}: ${JSON.stringify(record)}`);
      else {
        old += 1;
        assert.equal(version, 'old', `${host}: the old tree, whole`);
        assert.equal(record?.status, 'timeout', JSON.stringify(record));
        assert.match(record?.message ?? '', /^timed out after 1\.0s; (rolled back|\/srv\/tree left as it was)$/);
      }
    }
    assert.ok(old > 0, 'the timeout came while the tree was being written');
  });

  test('a push killed outright while its --test runs is put back by the host itself', async () => {
    await onAll('echo old > /root/killed.conf');
    await writeFile(join(work, 'killed.conf'), 'new\n');
    const ran = await musterStoppedWhen(['push', 'all', 'killed.conf', '/root/killed.conf', '--test', 'touch /root/testing; sleep 30'],
      async () => (await onAll('ls /root/testing 2>/dev/null | wc -l')).every((count) => count.trim() === '1'), 'SIGKILL');
    assert.equal(ran.signal, 'SIGKILL');
    // The connection is gone: the holder of each host's lock sees its sshd go and puts the old file back.
    const deadline = Date.now() + 10_000;
    let state: string[] = [];
    while (Date.now() < deadline) {
      state = await onAll('cat /root/killed.conf; ls -a /root | grep -c muster');
      if (state.every((text) => text === 'old\n0\n')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(state, hosts.map(() => 'old\n0\n'));
    await onAll('pkill -x sleep; rm -f /root/testing');
  });

  test('two pushes of one DEST at once: A fails its test, B starts 0.3 s later and passes; every host ends with B, both told the truth', async () => {
    await onAll('echo old > /root/race.conf');
    await writeFile(join(work, 'a.conf'), 'A\n');
    await writeFile(join(work, 'b.conf'), 'B\n');
    const pushA = muster(['push', 'all', 'a.conf', '/root/race.conf', '--test', 'sleep 1; false', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pushB = muster(['push', 'all', 'b.conf', '/root/race.conf', '--test', 'true', '--json']);
    const [a, b] = await Promise.all([pushA, pushB]);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    for (const record of records(b)) assert.equal(record.status, 'changed', JSON.stringify(record));
    assert.equal(a.code, 1, a.stdout + a.stderr);
    for (const record of records(a)) assert.deepEqual([record.status, record.rollback], ['failed', 'done'], JSON.stringify(record));
    assert.deepEqual(await onAll('cat /root/race.conf; ls -a /root | grep -c muster'), hosts.map(() => 'B\n0\n'));
  });

  test('a failed --then is said, and the next push of the same file runs it again', async () => {
    await onAll('rm -f /root/app.conf /root/reloaded');
    await writeFile(join(work, 'app.conf'), 'v1\n');
    const first = await muster(['push', 'lab[01-02]', 'app.conf', '/root/app.conf', '--then', 'false']);
    assert.equal(first.code, 1);
    assert.match(first.stdout, /failed, exit 1: then failed \(exit 1\): false; \/root\/app\.conf in place but --then has not succeeded: the next push runs it again/);
    const unchangedNoThen = await muster(['push', 'lab[01-02]', 'app.conf', '/root/app.conf']);
    assert.equal(unchangedNoThen.code, 0, unchangedNoThen.stderr);
    assert.match(unchangedNoThen.stdout, /ok: unchanged; \/root\/app\.conf in place but --then has not succeeded/);
    const retried = await muster(['push', 'lab[01-02]', 'app.conf', '/root/app.conf', '--then', 'touch /root/reloaded']);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /changed: unchanged; ran the --then an earlier push left pending for \/root\/app\.conf/);
    assert.deepEqual(await Promise.all(['lab01', 'lab02'].map((host) => on(host, 'ls /root/reloaded; ls -a /root | grep -c muster'))), ['/root/reloaded\n0\n', '/root/reloaded\n0\n']);
    const settled = await muster(['push', 'lab[01-02]', 'app.conf', '/root/app.conf', '--then', 'rm /root/reloaded']);
    assert.match(settled.stdout, /ok: unchanged$/m);
    assert.equal(await on('lab01', 'ls /root/reloaded'), '/root/reloaded\n', 'a --then that succeeded is not run again');
  });

  test('a timed-out --test has no exit code in --json (it never exited), and its push is rolled back', async () => {
    await onAll('echo v1 > /root/app.conf');
    await writeFile(join(work, 'app.conf'), 'v2\n');
    const timedOut = await muster(['push', 'lab01', 'app.conf', '/root/app.conf', '--test', 'sleep 30', '--timeout', '1s', '--json']);
    const [record] = records(timedOut);
    assert.deepEqual([record?.status, record?.exitCode, record?.rollback], ['timeout', null, 'done']);
  });
});
