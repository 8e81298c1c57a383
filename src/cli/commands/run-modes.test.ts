/**
 * `muster run`'s output modes (issue 15, items 4–7) through the real CLI on a real 3-host
 * lab: -L matches real `clush -L` line for line, -N, --diff, --output-dir, --max-output
 * cutting at a line end with multibyte output at the cap. Needs root and openssh-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

describe('muster run output modes, on a real 3-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-runmodes-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env });
  // lab02 differs and fails; a control sequence on lab03's stderr.
  const command = 'echo a; [ $(hostname) = lab02 ] && { echo other; exit 3; }; echo c; [ $(hostname) = lab03 ] && printf "\\033[2J\\n" >&2; true';

  before(async () => {
    lab = await labUp({ name, count: 3 });
    dir = await mkdtemp(join(tmpdir(), 'muster-runmodes-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: dir, NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(dir, { recursive: true, force: true });
  });

  test('-L: host: line, sorted by host, the same lines as clush -L; the failure on stderr', async () => {
    const ran = await muster(['run', 'all', '-L', '--', command]);
    assert.equal(ran.code, 1, ran.stderr);
    // The lines, then the footer of the hosts that did not end ok (as --stream's).
    const lines = 'lab01: a\nlab01: c\nlab02: a\nlab02: other\nlab03: a\nlab03: c\n';
    assert.equal(ran.stdout, `${lines}lab02 (1) failed, exit 3\n`);
    assert.match(ran.stderr, /^lab03: \\x1b\[2J$/m);
    const sshConfig = join(lab.inventoryPath, '..', 'ssh_config');
    const clush = spawnSync('clush', ['-o', `-F${sshConfig}`, '-w', 'lab[01-03]', '-L', command], { encoding: 'utf8' });
    if (clush.error === undefined) {
      // clush -L orders by return code, then host: the same lines, sorted, are the comparison.
      assert.deepEqual(lines.split('\n').sort(), clush.stdout.split('\n').sort(), clush.stderr);
    }
  });

  test('-N: only what hosts printed on stdout, hosts sorted; --diff against the largest group', async () => {
    const bare = await muster(['run', 'all', '-N', '--', 'hostname']);
    assert.equal(bare.stdout, 'lab01\nlab02\nlab03\n');
    const diff = await muster(['run', 'all', '--diff', '--', command]);
    assert.equal(diff.code, 1, diff.stderr);
    assert.equal(diff.stdout.split('---------------\nlab02 (1) failed')[0], [
      'stdout: 2 versions across 3 hosts', '  lab[01,03] (2)  <- reference (largest group)', '  lab02 (1)', '---------------',
      '--- lab[01,03] (2)', '+++ lab02 (1)', '@@ -1,2 +1,2 @@', ' a', '-c', '+other', '',
    ].join('\n'));
  });

  test('--output-dir: raw bytes per host and stream, summary.json, no temporary file left', async () => {
    const out = join(dir, 'out');
    const ran = await muster(['run', 'all', '--output-dir', out, '--', command]);
    assert.equal(ran.code, 1, ran.stderr);
    assert.deepEqual((await readdir(out)).sort(), ['lab01.stderr', 'lab01.stdout', 'lab02.stderr', 'lab02.stdout', 'lab03.stderr', 'lab03.stdout', 'summary.json']);
    assert.equal(await readFile(join(out, 'lab02.stdout'), 'utf8'), 'a\nother\n');
    assert.equal(await readFile(join(out, 'lab03.stderr'), 'utf8'), '\u001b[2J\n', 'the exact bytes, not escaped');
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { ok: number; failed: number; exitCode: number; results: { host: string; status: string; stdoutFile: string }[] };
    assert.deepEqual([summary.ok, summary.failed, summary.exitCode], [2, 1, 1]);
    assert.deepEqual(summary.results.map((r) => [r.host, r.status, r.stdoutFile]), [['lab01', 'ok', 'lab01.stdout'], ['lab02', 'failed', 'lab02.stdout'], ['lab03', 'ok', 'lab03.stdout']]);
  });

  test('--max-output: a cut ends at a line end, never inside a UTF-8 character; --json --stream chunks', async () => {
    // Lines of "ééé\n" (7 bytes); a 20-byte cap falls inside the third line's second é.
    const ran = await muster(['run', 'lab01', '--json', '--max-output', '20', '--', 'for i in 1 2 3 4; do echo ééé; done']);
    const [record] = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { stdout?: string; truncated?: string });
    assert.deepEqual([record?.stdout, record?.truncated], ['ééé\nééé\n', 'stdout cut at 20 bytes']);
    const chunks = await muster(['run', 'lab01', '--json', '--stream', '--', 'printf "x\\n"; printf "\\377\\n"']);
    const records = chunks.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; data?: string; dataBase64?: string });
    const output = records.filter((r) => r.type === 'output');
    assert.equal(Buffer.concat(output.map((r) => (r.data !== undefined ? Buffer.from(r.data) : Buffer.from(r.dataBase64 ?? '', 'base64')))).toString('latin1'), 'x\n\xff\n');
    assert.deepEqual(records.map((r) => r.type).slice(-2), ['host', 'summary']);
    const bad = await muster(['run', 'lab01', '--max-output', '10X', '--', 'true']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.split('\n')[0], 'muster: Invalid --max-output "10X": give a size of at least 1 byte, e.g. 64K, 10M or 1G');
  });
});
