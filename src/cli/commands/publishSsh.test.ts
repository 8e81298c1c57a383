/**
 * `muster publish --via ssh` and reading the copy it writes, end to end: the real CLI against
 * a real lab of 4 sshd hosts, then the real CLI run ON a lab host (each host has its own /,
 * so its /etc/muster is its own, and sees this checkout at its /work path), where no
 * inventory is and only the copy is. Needs root and openssh-server; skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labStartHost, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import type { HostRecord } from '../../report/jsonLines.js';
import { assertNoStack, muster as runMuster, musterBin, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

describe('muster publish --via ssh, and the copy read on the hosts', { skip: unavailable ?? false }, () => {
  const name = `test-copyread-${process.pid}`;
  const hosts = ['lab01', 'lab02', 'lab03', 'lab04'];
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;

  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  /** A shell command on a host, as root, without SSH. */
  const on = async (host: string, command: string): Promise<{ code: number; stdout: string; stderr: string }> => labExec(lab, host, command);
  /** muster run ON a host, from / (no inventory anywhere up the tree). */
  const onHost = (host: string, args: string): Promise<{ code: number; stdout: string; stderr: string }> => on(host, `cd / && node ${musterBin} ${args}`);
  const records = (ran: Ran): (HostRecord & { type: string })[] => ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as HostRecord & { type: string });

  before(async () => {
    lab = await labUp({ name, count: hosts.length, roles: ['web:2', 'db:2'] });
    work = await mkdtemp(join(tmpdir(), 'muster-copyread-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE: join(work, 'state'), MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
  });

  after(async () => {
    if (lab) await labDown(name);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('publish writes the three files (folder 0755, files 0644); muster.sh sourced on a host gives what `muster export --format sh` does', async () => {
    await on('lab03', 'rm -rf /etc/muster');
    const ran = await muster(['publish', '--via', 'ssh']);
    assert.equal(ran.code, 0, ran.stderr + ran.stdout);
    assert.match(ran.stderr, /^muster: publishing revision 1 \(4 hosts, digest [0-9a-f]{12}\) to 4 hosts over ssh$/m);
    assert.match(ran.stdout, /^lab\[01-04\] \(4\) changed: changed \/etc\/muster\/host\.json, \/etc\/muster\/muster\.sh, \/etc\/muster\/inventory\.json$/m);
    const exported = await muster(['export', '--format', 'sh']);
    assert.equal(exported.code, 0, exported.stderr);
    await writeFile(join(work, 'export.sh'), exported.stdout);
    const vars = (sourced: string) => `sh -c '. ${sourced} && set' | grep '^MUSTER_'`;
    // Sourced here, on this machine (a lab host has a /tmp of its own).
    const here = { stdout: execFileSync('sh', ['-c', vars(join(work, 'export.sh'))], { encoding: 'utf8' }) };
    for (const host of hosts) {
      assert.equal((await on(host, 'stat -c "%a %n" /etc/muster /etc/muster/*')).stdout, '755 /etc/muster\n644 /etc/muster/host.json\n644 /etc/muster/inventory.json\n644 /etc/muster/muster.sh\n');
      const sourced = await on(host, vars('/etc/muster/muster.sh'));
      assert.ok(sourced.stdout.length > 100, sourced.stderr);
      assert.equal(sourced.stdout, here.stdout, `${host}: the copy's muster.sh sources as the export does`);
      const own = JSON.parse((await on(host, 'cat /etc/muster/host.json')).stdout) as { host: { name: string } };
      assert.equal(own.host.name, host);
    }
  });

  test('an unchanged publish rewrites nothing but confirms the copy (inventory.json touched)', async () => {
    await Promise.all(hosts.map((host) => on(host, "touch -d '2 hours ago' /etc/muster/inventory.json")));
    const sums = await on('lab02', 'stat -c %i /etc/muster/*; sha256sum /etc/muster/*');
    const ran = await muster(['publish', '--via', 'ssh']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^lab\[01-04\] \(4\) ok: unchanged$/m);
    assert.match(ran.stderr, /publishing revision 1 /);
    assert.equal((await on('lab02', 'stat -c %i /etc/muster/*; sha256sum /etc/muster/*')).stdout, sums.stdout, 'same inodes, same bytes: nothing rewritten');
    const age = await on('lab02', 'echo $(( $(date +%s) - $(stat -c %Y /etc/muster/inventory.json) ))');
    assert.ok(Number(age.stdout) < 60, age.stdout);
  });

  test('after an edit every host gets the new revision (host.json carries it too); only the edited host\'s own record changed', async () => {
    const set = await muster(['set', 'lab01', 'vars.motd=hello from the copy']);
    assert.equal(set.code, 0, set.stderr);
    const ran = await muster(['publish', '--via', 'ssh', '--json']);
    assert.equal(ran.code, 0, ran.stderr);
    const perHost = records(ran).filter((record) => record.type === 'host');
    assert.deepEqual(perHost.map((record) => [record.host, record.status, record.message]).sort(), hosts.map((host) => [host, 'changed', 'changed /etc/muster/host.json, /etc/muster/muster.sh, /etc/muster/inventory.json']));
    assert.match(ran.stderr, /publishing revision 2 /);
    const own = async (host: string) => JSON.parse((await on(host, 'cat /etc/muster/host.json')).stdout) as { muster: { revision: number }; host: { vars: Record<string, unknown> } };
    assert.deepEqual([(await own('lab01')).muster.revision, (await own('lab01')).host.vars['motd']], [2, 'hello from the copy']);
    assert.deepEqual([(await own('lab02')).muster.revision, (await own('lab02')).host.vars['motd']], [2, undefined]);
  });

  test('on a host with only the copy, ls, show and export read it and say how old it is; set refuses it', async () => {
    const ls = await onHost('lab02', 'ls role:web');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^lab01 +127\.\S+ +ok +web\nlab02 /m);
    assert.match(ls.stderr, /^muster: the local copy \(revision 2, published \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by \S+@\S+, confirmed (just now|\d+ s ago)\)$/m);
    assert.equal(ls.stderr.split('\n').filter((line) => line.includes('local copy')).length, 1, 'said once');
    const show = await onHost('lab03', 'show lab01');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /motd +"?hello from the copy"? +.*muster\.yaml:\d+:\d+ \(host\)/);
    const exported = await onHost('lab04', 'export --format sh');
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, (await muster(['export', '--format', 'sh'])).stdout);
    const set = await onHost('lab02', 'set lab01 state=warn');
    assert.equal(set.code, 2);
    assert.equal(set.stderr, 'muster: set cannot write the local copy (/etc/muster/inventory.json): it is read-only; edit the git inventory and publish it\n');
  });

  test('a copy not confirmed for 3 hours is marked STALE and still answers', async () => {
    await on('lab02', "touch -d '3 hours ago' /etc/muster/inventory.json");
    const ls = await onHost('lab02', 'ls -o names -q');
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, 'lab01\nlab02\nlab03\nlab04\n');
    assert.equal(ls.stderr, 'muster: STALE local copy: revision 2, last confirmed 3 h ago (older than 10 min): the brokers may be down\n');
    const longer = await on('lab02', `cd / && MUSTER_COPY_MAX_AGE=4h node ${musterBin} ls -o fold`);
    assert.match(longer.stderr, /^muster: the local copy \(revision 2, .*confirmed 3 h ago\)$/m);
  });

  test('a truncated or edited copy is refused with one line and never used; the next publish writes it again', async () => {
    await on('lab03', 'truncate -s 200 /etc/muster/inventory.json');
    const truncated = await onHost('lab03', 'ls');
    assert.equal(truncated.code, 2);
    assert.equal(truncated.stdout, '');
    assert.equal(truncated.stderr, 'muster: /etc/muster/inventory.json is corrupt (not valid JSON: truncated?): not used; muster publish writes it again\n');
    await on('lab04', "sed -i 's/hello from the copy/hello from an editor/' /etc/muster/inventory.json");
    const edited = await onHost('lab04', 'show lab01');
    assert.equal(edited.code, 2);
    assert.equal(edited.stderr, 'muster: /etc/muster/inventory.json is corrupt (digest mismatch): not used; muster publish writes it again\n');
    assertNoStack(edited.stderr);
    const ran = await muster(['publish', '--via', 'ssh', 'lab[03-04]']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^lab\[03-04\] \(2\) changed: changed \/etc\/muster\/inventory\.json$/m);
    assert.equal((await onHost('lab04', 'ls -o fold')).stdout, 'lab[01-04]\n');
  });

  test('a publish stopped half-way (--timeout) says what each host holds, and every host holds a whole copy, old or new, no temporary', async () => {
    let revision = (JSON.parse((await on('lab01', 'cat /etc/muster/host.json')).stdout) as { muster: { revision: number } }).muster.revision;
    for (const timeout of ['100ms', '150ms', '250ms']) {
      await muster(['set', 'lab03', `vars.stopped=${timeout}`]);
      revision += 1;
      const ran = await muster(['publish', '--via', 'ssh', '--timeout', timeout, '--json']);
      assert.ok(ran.code === 0 || ran.code === 1, ran.stderr);
      for (const record of records(ran).filter((one) => one.type === 'host')) {
        const host = record.host;
        assert.equal((await on(host, 'ls -a /etc/muster | grep -c muster-')).stdout, '0\n', `${host}: no .NAME.muster-* left`);
        const ls = await onHost(host, 'ls -o fold');
        assert.equal(ls.code, 0, `${host}: ${ls.stderr}`);
        const holds = Number(/revision (\d+)/.exec(ls.stderr)?.[1]);
        if (record.status === 'changed') assert.equal(holds, revision, `${host}: ${record.message ?? ''}`);
        else {
          assert.equal(record.status, 'timeout');
          // Stopped in the compare nothing was written; later, the message says what is where.
          assert.match(record.message ?? '', new RegExp(`^timed out after ${timeout}(; .*/etc/muster/inventory\\.json left as (it was|they were))?$`));
          assert.equal(holds, revision - 1, `${host}: ${record.message ?? ''}`);
        }
      }
      assert.equal((await muster(['publish', '--via', 'ssh'])).code, 0);
    }
  });

  test('a host where /etc/muster is not a folder fails saying so, and nothing is written there', async () => {
    await on('lab03', 'rm -rf /etc/muster && echo not a folder > /etc/muster');
    try {
      const ran = await muster(['publish', '--via', 'ssh', 'lab[02-03]']);
      assert.equal(ran.code, 1, ran.stderr);
      assert.match(ran.stdout, /^lab03 \(1\) failed: \/etc\/muster is not a folder$/m);
      assert.match(ran.stdout, /^lab02 \(1\) ok: unchanged$/m);
      assert.equal((await on('lab03', 'cat /etc/muster')).stdout, 'not a folder\n');
    } finally {
      await on('lab03', 'rm -f /etc/muster');
    }
    assert.equal((await muster(['publish', '--via', 'ssh', 'lab03'])).code, 0);
  });

  test('a host whose muster_transport is nats is still written over SSH; --transport nats is refused', async () => {
    assert.equal((await muster(['set', 'lab01', 'vars.muster_transport=nats'])).code, 0);
    try {
      const ran = await muster(['publish', '--via', 'ssh', 'lab[01-02]']);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^lab\[01-02\] \(2\) changed: /m);
      const refused = await muster(['publish', '--via', 'ssh', '--transport', 'nats']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /^muster: --via ssh writes the copy over SSH: --transport nats is the agents' way/m);
    } finally {
      await muster(['set', 'lab01', '--unset', 'vars.muster_transport']);
    }
  });

  test('an unreachable host is unreachable; the others carry on (exit 1)', async () => {
    await labStopHost(name, 'lab04');
    try {
      await muster(['set', 'lab02', 'vars.motd=second edit']);
      const ran = await muster(['publish', '--via', 'ssh', '--connect-timeout', '3s']);
      assert.equal(ran.code, 1, ran.stderr);
      assert.match(ran.stdout, /^lab04 \(1\) unreachable/m);
      assert.match(ran.stdout, /^lab\[01-03\] \(3\) changed: changed \/etc\/muster\/host\.json, \/etc\/muster\/muster\.sh, \/etc\/muster\/inventory\.json$/m);
      assert.match((await onHost('lab01', 'show lab02')).stdout, /second edit/);
    } finally {
      await labStartHost(name, 'lab04');
    }
  });
});
