/**
 * Rolling work on a real 3-host lab, through the real CLI: `--list-hosts` runs
 * nothing, `--pick` samples, `--batch-wait` settles between batches, `--watch`
 * runs again until Ctrl-C and journals none of its rounds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { assertUsageFailure, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

describe('rolling options on a real 3-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-roll-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const muster = (args: string[], how: Parameters<typeof runMuster>[1] = {}): Promise<Ran> => runMuster(args, { env, ...how });
  const journaled = async (): Promise<number> => (await muster(['history', '--json'])).stdout.split('\n').filter(Boolean).length;

  before(async () => {
    lab = await labUp({ name, count: 3 });
    dir = await mkdtemp(join(tmpdir(), 'muster-rolling-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: dir, NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(dir, { recursive: true, force: true });
  });

  test('--list-hosts prints the selection folded and runs nothing, on every fan-out command', async () => {
    const listed = await muster(['run', 'all', '-x', 'lab02', '--list-hosts', '--', 'touch', '/root/listed']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'lab[01,03]\n');
    assert.match(listed.stderr, /^2 hosts selected: nothing ran \(--list-hosts\)\n$/);
    const json = await muster(['push', 'all', lab.inventoryPath, '/root/inventory.yaml', '--list-hosts', '--json', '-q']);
    assert.deepEqual([json.code, JSON.parse(json.stdout), json.stderr], [0, ['lab01', 'lab02', 'lab03'], '']);
    assert.equal((await muster(['diff', 'all', '/etc/hostname', '--list-hosts'])).stdout, 'lab[01-03]\n');
    const checked = await muster(['run', 'all', '--', 'test', '!', '-e', '/root/listed', '-a', '!', '-e', '/root/inventory.yaml']);
    assert.equal(checked.code, 0, `nothing was run or pushed by --list-hosts:\n${checked.stdout}`);
  });

  test('--pick N takes a random N of the selection, each time another', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const picked = await muster(['run', 'all', '--pick', '2', '--list-hosts', '-q', '--json', '--', 'true']);
      const names = JSON.parse(picked.stdout) as string[];
      assert.equal(names.length, 2);
      assert.deepEqual(names, [...names].sort(), 'kept in selection order');
      for (const host of names) seen.add(host);
    }
    assert.equal(seen.size, 3, 'twelve picks of 2 in 3 reach every host');
    assert.equal(JSON.parse((await muster(['run', 'lab01', '--pick', '5', '--list-hosts', '--json', '--', 'true'])).stdout).length, 1);
    assertUsageFailure(await muster(['run', 'all', '--pick', '0', '--', 'true']), /Invalid --pick "0": give a whole number of at least 1/);
  });

  test('--batch-wait: the next batch starts that long after the last one ended', async () => {
    const ran = await muster(['run', 'lab01,lab02', '--batch', '1', '--batch-wait', '1.5s', '--json', '--', 'date', '+%s.%N']);
    assert.equal(ran.code, 0, ran.stderr);
    const at = new Map(ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host?: string; stdout?: string })
      .filter((record) => record.type === 'host').map((record) => [record.host, Number(record.stdout)]));
    const gap = (at.get('lab02') ?? 0) - (at.get('lab01') ?? 0);
    assert.ok(gap >= 1.5, `lab02 ran ${gap.toFixed(2)} s after lab01`);
    assertUsageFailure(await muster(['run', 'all', '--batch-wait', 'soon', '--', 'true']), /^muster: Invalid --batch-wait "soon": use a number of seconds/);
  });

  test('--watch runs again every interval until Ctrl-C, journals no round, exits with the last round\'s code', async () => {
    const before = await journaled();
    let rounds = 0;
    const ran = await muster(['run', 'lab01', '--watch', '300ms', '--', 'echo', 'round'], {
      onStdout: (stdout, child) => {
        rounds = stdout.split('Every 300ms: muster run lab01 --watch 300ms -- echo round').length - 1;
        if (rounds === 3 && /round\n[^]*round\n[^]*round\n/.test(stdout)) child.kill('SIGINT');
      },
    });
    assert.equal(ran.code, 0, ran.stderr);
    assert.ok(rounds >= 3, ran.stdout);
    assert.equal(await journaled(), before, 'no round is journaled');
  });
});
