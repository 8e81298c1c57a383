/**
 * `muster run` end to end: the real CLI (`node bin/muster.js`) against a real
 * lab of 20 sshd hosts, through the default in-process ssh transport.
 * Needs root and openssh-server; skipped with the reason otherwise.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labExec, labStartHost, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import type { HostRecord, SummaryRecord } from '../../report/jsonLines.js';
import { pidsRunning } from '../../lab/procs.test-helper.js';
import { muster as runMuster, musterBin, type Ran, type RunHow } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

/** The host records (sorted by host: they come as hosts finish) and the summary record of a `--json` run. */
function jsonLines(stdout: string): { hosts: HostRecord[]; summary: SummaryRecord } {
  const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as HostRecord | SummaryRecord);
  const summary = records.at(-1);
  assert.ok(summary && summary.type === 'summary', 'the last record is the summary');
  return { hosts: (records.slice(0, -1) as HostRecord[]).sort((a, b) => a.host.localeCompare(b.host)), summary };
}

describe('muster run on a real 20-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-run-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;

  /** Runs the CLI on the lab; `onStdout` sees output as it comes (and may signal the child). */
  function muster(args: string[], onStdout?: RunHow['onStdout']): Promise<Ran> {
    return runMuster(args, { env, ...(onStdout ? { onStdout } : {}) });
  }

  const hosts = Array.from({ length: 20 }, (_, i) => `lab${String(i + 1).padStart(2, '0')}`);

  before(async () => {
    lab = await labUp({ name, count: 20 });
    stateDir = await mkdtemp(join(tmpdir(), 'muster-run-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: stateDir, NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // `cat >/dev/null` reads the (empty) stdin labExec writes, so the shell never exits before it (EPIPE).
    await Promise.all(hosts.map((host) => labExec(lab, host, 'cat >/dev/null; rm -f /root/fail')));
  });

  test('gathers identical results: one block per distinct output, folded hosts, failures last, exit 1', async () => {
    await Promise.all(['lab03', 'lab17'].map((host) => labExec(lab, host, 'cat >/dev/null; echo broken > /root/fail')));
    // hostname cut to 4 characters: lab0…, lab1…, lab2… make three distinct outputs.
    const ran = await muster(['run', 'all', '--', 'hostname | cut -c1-4; if test -e /root/fail; then cat /root/fail >&2; exit 4; fi']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.equal(ran.stdout, [
      '---------------',
      'lab[10-16,18-19] (9) ok',
      '---------------',
      'lab1',
      '---------------',
      'lab[01-02,04-09] (8) ok',
      '---------------',
      'lab0',
      '---------------',
      'lab20 (1) ok',
      '---------------',
      'lab2',
      '---------------',
      'lab03 (1) failed, exit 4',
      '---------------',
      'lab0',
      'broken',
      '---------------',
      'lab17 (1) failed, exit 4',
      '---------------',
      'lab1',
      'broken',
      '',
    ].join('\n'));
    assert.match(ran.stderr, /^20 hosts: 18 ok, 2 failed in \d+(\.\d)?m?s$/m);
  });

  test('one host stopped → unreachable, the rest ok, exit 1', async () => {
    await labStopHost(name, 'lab07');
    try {
      const ran = await muster(['run', 'all', '--', 'uname -s']);
      assert.equal(ran.code, 1, ran.stderr);
      assert.match(ran.stdout, /^lab\[01-06,08-20\] \(19\) ok\n-+\nLinux$/m);
      assert.match(ran.stdout, /^lab07 \(1\) unreachable: .*refused/m);
      assert.match(ran.stderr, /^20 hosts: 19 ok, 1 unreachable in /m);
    } finally {
      await labStartHost(name, 'lab07');
    }
  });

  test('--timeout: a hanging command ends `timeout` and its remote process is gone', async () => {
    const marker = `sleep ${3000 + (process.pid % 900)}`;
    const ran = await muster(['run', 'lab[01-05]', '--json', '--timeout', '2s', '--', `${marker}; echo never`]);
    assert.equal(ran.code, 1, ran.stderr);
    const { hosts: records, summary } = jsonLines(ran.stdout);
    assert.deepEqual(records.map((r) => [r.host, r.status, r.message]), hosts.slice(0, 5).map((host) => [host, 'timeout', 'timed out after 2.0s']));
    assert.equal(summary.timeout, 5);
    assert.deepEqual(await pidsRunning(marker), []);
  });

  test('--max-fail with batches: failures EQUAL to the threshold → every batch runs', async () => {
    await Promise.all(['lab02', 'lab03'].map((host) => labExec(lab, host, 'cat >/dev/null; touch /root/fail')));
    const ran = await muster(['run', 'all', '--json', '--batch', '5', '--max-fail', '2', '--', 'test ! -e /root/fail']);
    assert.equal(ran.code, 1, ran.stderr);
    const { summary } = jsonLines(ran.stdout);
    assert.deepEqual([summary.ok, summary.failed, summary.skipped, summary.aborted], [18, 2, 0, false]);
  });

  test('--max-fail with batches: one failure MORE → the remaining batches are skipped, exit 3', async () => {
    await Promise.all(['lab02', 'lab03', 'lab04'].map((host) => labExec(lab, host, 'cat >/dev/null; touch /root/fail')));
    const ran = await muster(['run', 'all', '--json', '--batch', '5', '--max-fail', '10%', '--', 'test ! -e /root/fail']);
    assert.equal(ran.code, 3, ran.stderr);
    const { hosts: records, summary } = jsonLines(ran.stdout);
    // The first batch (lab01-05) runs whole; 3 failures > 10% of 20 = 2; lab06-20 never start.
    assert.deepEqual(records.slice(0, 5).map((r) => r.status), ['ok', 'failed', 'failed', 'failed', 'ok']);
    assert.ok(records.slice(5).every((r) => r.status === 'skipped' && r.message === 'not started: failure threshold exceeded (3 > 2)'));
    assert.deepEqual([summary.skipped, summary.aborted, summary.exitCode, summary.stopMessage], [15, true, 3, 'failure threshold exceeded (3 > 2)']);
  });

  test('Ctrl-C mid-run: running hosts are stopped, the summary prints, exit 130', async () => {
    const marker = `sleep ${4000 + (process.pid % 900)}`;
    let sent = false;
    const ran = await muster(['run', 'all', '--stream', '-f', '10', '--', `echo started; ${marker}`], (stdout, child) => {
      if (!sent && (stdout.match(/: started$/gm) ?? []).length === 10) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, 'ten hosts started');
    assert.equal(ran.code, 130, ran.stderr);
    assert.match(ran.stderr, /interrupted: starting no more hosts/);
    assert.match(ran.stderr, /^20 hosts: 10 skipped, 10 failed in .* \(interrupted\)$/m);
    assert.match(ran.stdout, /^lab\[\d\d-\d\d(,\d\d-\d\d)*\] \(10\) skipped: not started: interrupted$/m);
    assert.deepEqual(await pidsRunning(marker), []);
  });

  test('a second Ctrl-C ends muster at once, while the first is still stopping hosts', async () => {
    // The commands ignore TERM, so stopping them takes the transport's 2 s TERM→KILL grace.
    let phase = 0;
    const child = spawn(process.execPath, [musterBin, 'run', 'lab[01-02]', '--stream', '--', "trap '' TERM; echo started; sleep 20"], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (phase === 0 && (stdout.match(/: started$/gm) ?? []).length === 2) {
        phase = 1;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (phase === 1 && chunk.toString().includes('interrupted: starting no more hosts')) {
        phase = 2;
        child.kill('SIGINT');
      }
    });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
    assert.equal(phase, 2);
    assert.deepEqual([code, signal], [null, 'SIGINT'], 'ended by the second SIGINT, not by finishing');
  });

  test('--json: one record per host (each as it finishes), then the summary', async () => {
    const ran = await muster(['run', 'lab[01-03]', '--json', '--', 'hostname']);
    assert.equal(ran.code, 0, ran.stderr);
    const { hosts: records, summary } = jsonLines(ran.stdout);
    assert.deepEqual(records.map(({ durationMs, ...rest }) => {
      assert.ok(Number.isInteger(durationMs) && durationMs >= 0);
      return rest;
    }), ['lab01', 'lab02', 'lab03'].map((host) => ({ type: 'host', host, status: 'ok', exitCode: 0, stdout: `${host}\n`, stderr: '' })));
    assert.deepEqual({ ...summary, durationMs: 0 }, {
      type: 'summary', hosts: 3, ok: 3, changed: 0, failed: 0, unreachable: 0, timeout: 0, skipped: 0,
      durationMs: 0, aborted: false, interrupted: false, exitCode: 0,
    });
    assert.equal(ran.stderr, '');
  });

  test('--stdin FILE reaches every host; --stream prefixes lines with the host', async () => {
    const file = join(stateDir, 'input.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'one\ntwo\n'));
    const ran = await muster(['run', 'lab[01-02]', '--stream', '--stdin', file, '--', 'tac']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(ran.stdout.split('\n').filter(Boolean).sort(), ['lab01: one', 'lab01: two', 'lab02: one', 'lab02: two']);
    assert.ok(ran.stdout.indexOf('lab01: two') < ran.stdout.indexOf('lab01: one'));
  });

  test('usage errors are one line and exit 2', async () => {
    const ran = await muster(['run', 'all', '--max-fail', 'lots', '--', 'true']);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /^muster: Invalid --max-fail "lots"/m);
    const none = await muster(['run', 'nosuchrole']);
    assert.equal(none.code, 2);
  });
});
