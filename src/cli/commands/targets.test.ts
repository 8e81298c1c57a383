/**
 * Ad-hoc targets, `@failed` and the run traps of issue 15, end to end: the real CLI on a
 * real 4-host lab. `-o` is checked against what `ssh -G` resolves for the same options.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { labDown, labStartHost, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { assertUsageFailure, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();
const exec = promisify(execFile);

describe('fan-out targets on a real 4-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-tg-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env });

  before(async () => {
    lab = await labUp({ name, count: 4 });
    dir = await mkdtemp(join(tmpdir(), 'muster-targets-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: dir, NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(dir, { recursive: true, force: true });
  });

  test('words before -- are selectors (a union); without -- muster says where to put it', async () => {
    const ran = await muster(['run', 'lab01', 'lab02', '--', 'hostname']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /lab01 \(1\) ok\n-+\nlab01\n/);
    assert.match(ran.stdout, /lab02 \(1\) ok\n-+\nlab02\n/);
    assertUsageFailure(await muster(['run', 'lab01', 'lab02', 'echo', 'hi']), /put the remote command after --.*: muster run lab01 -- lab02 echo hi\n/);
    assertUsageFailure(await muster(['run', 'lab01', 'uname', '-r']), /put the remote command after --.*: muster run lab01 -- uname -r\n/);
    assertUsageFailure(await muster(['run', '-f', '2', 'lab01', 'uname', '-r']), /muster run -f 2 lab01 -- uname -r\n/);
  });

  test('a selection of no host says so and exits 1, unless --allow-empty', async () => {
    const empty = await muster(['run', 'dc=dc9', '--', 'true']);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^muster: no host matched "dc=dc9": nothing ran \(add --allow-empty/);
    const diff = await muster(['diff', 'lab01&dc=dc2', '/etc/hostname']);
    assert.equal(diff.code, 1);
    assert.match(diff.stderr, /no host matched "lab01&dc=dc2"/);
    assert.equal((await muster(['run', 'dc=dc9', '--allow-empty', '--', 'true'])).code, 0);
  });

  test('-w names hosts the inventory lacks, --hostfile adds [user@]host[:port] lines, -x leaves hosts out', async () => {
    const ran = await muster(['run', '-w', 'lab01,127.193.255.254', '-w', lab.hosts[2]?.address ?? '', '-x', 'lab01', '--connect-timeout', '2s', '--', 'hostname']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, new RegExp(`${lab.hosts[2]?.address} \\(1\\) ok\\n-+\\nlab03\\n`));
    assert.match(ran.stdout, /127\.193\.255\.254 \(1\) unreachable/);
    assert.doesNotMatch(ran.stdout, /lab01/);
    const file = join(dir, 'hosts.txt');
    await writeFile(file, `# the pssh format\nroot@${lab.hosts[1]?.address}:22\n  lab04   # a comment\n\n`);
    const fromFile = await muster(['run', '--hostfile', file, 'lab01', '--', 'hostname']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.match(fromFile.stderr, /3 hosts: 3 ok/);
    await writeFile(file, 'lab04:99999\n');
    assertUsageFailure(await muster(['run', '--hostfile', file, '--', 'true']), /Invalid --hostfile .*hosts\.txt:1: "lab04:99999" is not \[user@\]host\[:port\]/);
    const diff = await muster(['diff', '-w', 'lab[01-02]', '/etc/hostname']);
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /2 versions across 2 hosts/);
  });

  test('-l and -p set every login; -o wins over them and the inventory, as ssh -G has it', async () => {
    const user = await muster(['run', 'lab01', '-l', 'nobody', '--', 'true']);
    assert.match(user.stdout, /unreachable: permission denied for nobody@/);
    const port = await muster(['run', 'lab01', '-p', '2', '--', 'true']);
    assert.match(port.stdout, /refused/);
    assert.match(port.stdout, /:2 refused/);
    const { stdout } = await exec('ssh', ['-G', '-F', lab.sshConfigPath, '-o', 'User=root', '-l', 'nobody', 'lab01']);
    assert.match(stdout, /^user root$/m, 'ssh: the first obtained wins');
    const ran = await muster(['run', 'lab01', '-l', 'nobody', '-o', 'User=root', '--', 'id -un']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /\nroot\n/);
    assertUsageFailure(await muster(['run', 'lab01', '-o', 'Match all', '--', 'true']), /Invalid -o "Match all": match directive not supported as a command-line option/);
    assertUsageFailure(await muster(['run', 'lab01', '-o', 'Port=x', '--', 'true']), /Invalid -o "Port=x"/);
  });

  test('@failed is the last run\'s failed hosts; history --hosts failed -o fold lists them; --retry connects again', async () => {
    const first = await muster(['run', 'all', '--', 'case $(hostname) in lab0[24]) exit 3;; esac']);
    assert.equal(first.code, 1);
    const list = await muster(['history', '--json', '-n', '1']);
    const id = (JSON.parse(list.stdout.trim()) as { id: number }).id;
    const folded = await muster(['history', String(id), '--hosts', 'failed', '-o', 'fold']);
    assert.equal(folded.stdout, 'lab[02,04]\n');
    const again = await muster(['run', '@failed', '--', 'hostname']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`@failed is run #${id} \\(run\\): lab\\[02,04\\] \\(2\\)`));
    assert.match(again.stdout, /lab02\n[\s\S]*lab04\n/);
    const byId = await muster(['run', `@failed:${id}&dc=dc2`, '--', 'hostname']);
    assert.match(byId.stderr, /1 host: 1 ok/);
    await labStopHost(name, 'lab03');
    try {
      const retried = await muster(['run', 'lab03', '--retry', '2', '--retry-delay', '100ms', '--', 'true']);
      assert.match(retried.stdout, /unreachable: .*refused.* \(3 attempts\)/);
    } finally {
      await labStartHost(name, 'lab03');
    }
  });
});

describe('-w and -x pick the hosts clush picks, with no inventory at all', () => {
  test('muster run -w … -x … --transport local and clush -R exec -w … -x … name the same hosts', async (t) => {
    const clush = await exec('clush', ['-R', 'exec', '-w', 'n[1-3],m1,web[08-10]', '-x', 'n2,web09', '-L', 'echo', '%h']).catch(() => undefined);
    if (!clush) return t.skip('clush is not installed (scripts/setup.sh installs it)');
    const theirs = clush.stdout.trim().split('\n').map((line) => line.split(':')[0]).sort();
    const empty = await mkdtemp(join(tmpdir(), 'muster-no-inventory-'));
    try {
      const ran = await runMuster(['run', '-w', 'n[1-3],m1,web[08-10]', '-x', 'n2,web09', '--transport', 'local', '--json', '--', 'true'], { cwd: empty });
      assert.equal(ran.code, 0, ran.stderr);
      const ours = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host?: string })
        .filter((record) => record.type === 'host').map((record) => record.host).sort();
      assert.deepEqual(ours, theirs);
      assert.deepEqual(ours, ['m1', 'n1', 'n3', 'web08', 'web10']);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
