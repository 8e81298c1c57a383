/**
 * `muster run` never loses or alters what a host printed (issue 17, items 9–11): output
 * from before a timeout or Ctrl-C is kept in every view, `--stream` cuts an overlong line
 * at the cap, `--json` carries output that is not UTF-8 as exact bytes, and the terminal
 * views still show control characters instead of obeying them. The real CLI on a real
 * 2-host lab; needs root and openssh-server, skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labUnavailableReason, labUp } from '../../lab/index.js';
import { pidsRunning } from '../../lab/procs.test-helper.js';
import type { HostRecord } from '../../report/jsonLines.js';
import { muster as runMuster, musterBin, type Ran, type RunHow } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();

/** The host records of a `--json` run (the summary left out). */
function hostRecords(stdout: string): HostRecord[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as HostRecord | { type: 'summary' })
    .filter((record): record is HostRecord => record.type === 'host');
}

/** Any character that would drive a terminal: C0 controls but \t and \n, DEL, C1 controls, a \r not before \n. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const terminalControl = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/;

describe('muster run keeps every byte of output, on a real 2-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-runout-${process.pid}`;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;

  function muster(args: string[], how: Omit<RunHow, 'env'> = {}): Promise<Ran> {
    return runMuster(args, { env, ...how });
  }

  /** Waits (polling /proc) until a process whose command line holds `text` runs on a lab host. */
  async function runningSoon(text: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await pidsRunning(text)).length > 0) return;
      await sleep(50);
    }
    assert.fail(`nothing ran "${text}" within 10 s`);
  }

  /** The id of the newest journal entry. */
  async function lastJournalId(): Promise<string> {
    const listed = await muster(['history', '--limit', '1']);
    const id = /^(\d+) /m.exec(listed.stdout)?.[1];
    assert.ok(id, listed.stdout);
    return id;
  }

  before(async () => {
    const lab = await labUp({ name, count: 2 });
    stateDir = await mkdtemp(join(tmpdir(), 'muster-runout-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: stateDir, NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(stateDir, { recursive: true, force: true });
  });

  test('--timeout: what the command printed before it was killed is in --json, the gathered view, --stream and the journal', async () => {
    const command = 'echo started; echo warming up >&2; printf no-newline; sleep 30';
    const json = await muster(['run', 'lab01', '--timeout', '2s', '--json', '--', command]);
    assert.equal(json.code, 1, json.stderr);
    const [record] = hostRecords(json.stdout);
    assert.deepEqual([record?.status, record?.exitCode, record?.stdout, record?.stderr, record?.message],
      ['timeout', null, 'started\nno-newline', 'warming up\n', 'timed out after 2.0s']);

    const gathered = await muster(['run', 'lab01', '--timeout', '2s', '--', command]);
    assert.equal(gathered.code, 1, gathered.stderr);
    assert.equal(gathered.stdout, [
      '---------------', 'lab01 (1) timeout: timed out after 2.0s', '---------------', 'started', 'no-newline', 'warming up', '',
    ].join('\n'));

    const streamed = await muster(['run', 'lab01', '--timeout', '2s', '--stream', '--', command]);
    assert.equal(streamed.code, 1, streamed.stderr);
    assert.equal(streamed.stdout, 'lab01: started\nlab01: no-newline\nlab01 (1) timeout: timed out after 2.0s\n');
    assert.match(streamed.stderr, /^lab01: warming up$/m);

    const [kept] = hostRecords((await muster(['history', await lastJournalId(), '--json'])).stdout);
    assert.deepEqual([kept?.status, kept?.stdout, kept?.stderr], ['timeout', 'started\nno-newline', 'warming up\n']);

    // The system ssh client keeps it too.
    const openssh = hostRecords((await muster(['run', 'lab01', '--transport', 'openssh', '--timeout', '2s', '--json', '--', command])).stdout)[0];
    assert.deepEqual([openssh?.status, openssh?.stdout, openssh?.stderr], ['timeout', 'started\nno-newline', 'warming up\n']);
  });

  test('Ctrl-C: the interrupted host keeps what it printed, in --json and in the journal', async () => {
    const seconds = 5000 + (process.pid % 900);
    // Only the remote sleep's command line reads `sleep N` (muster's own holds `sleep $n`).
    const marker = `sleep ${seconds}`;
    const child = spawn(process.execPath, [musterBin, 'run', 'lab02', '--json', '--', `echo started; echo err >&2; n=${seconds}; sleep $n`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    // --json prints nothing until the end: the remote sleep running says the echoes were sent.
    await runningSoon(marker);
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    const [record] = hostRecords(stdout);
    assert.deepEqual([record?.status, record?.message, record?.stdout, record?.stderr], ['failed', 'interrupted', 'started\n', 'err\n']);
    assert.deepEqual(await pidsRunning(marker), [], 'the remote command was stopped');
    const [kept] = hostRecords((await muster(['history', await lastJournalId(), '--json'])).stdout);
    assert.deepEqual([kept?.message, kept?.stdout, kept?.stderr], ['interrupted', 'started\n', 'err\n']);
  });

  test('--json: output that is not UTF-8 is carried exactly, as base64, in place of the text', async () => {
    // \377\376 is no UTF-8; stderr is valid UTF-8 (é) and stays text.
    const ran = await muster(['run', 'lab01', '--json', '--', "printf '\\377\\376ok\\200'; printf 'caf\\303\\251\\n' >&2"]);
    assert.equal(ran.code, 0, ran.stderr);
    const [record] = hostRecords(ran.stdout);
    assert.ok(record);
    assert.equal('stdout' in record, false, 'no lossy text beside the bytes');
    assert.deepEqual(Buffer.from(record.stdoutBase64 ?? '', 'base64'), Buffer.from([0xff, 0xfe, 0x6f, 0x6b, 0x80]));
    assert.equal(record.stderr, 'café\n');
    assert.equal('stderrBase64' in record, false);

    // Printed before a timeout, the bytes are still exact.
    const stopped = hostRecords((await muster(['run', 'lab01', '--timeout', '2s', '--json', '--', "printf 'x\\377\\n'; sleep 30"])).stdout)[0];
    assert.equal(stopped?.status, 'timeout');
    assert.deepEqual(Buffer.from(stopped?.stdoutBase64 ?? '', 'base64'), Buffer.from([0x78, 0xff, 0x0a]));
  });

  test('--json: output cut at the 1 MiB cap is cut between characters, so it stays text', async () => {
    // "abc" then é (2 bytes) and a newline: the 1 MiB boundary falls inside an é.
    const ran = await muster(['run', 'lab01', '--json', '--', "printf abc; yes é | head -c 2M"]);
    const [record] = hostRecords(ran.stdout);
    assert.equal(record?.truncated, 'stdout cut at 1 MiB');
    assert.equal(typeof record.stdout, 'string', 'text, not bytes');
    assert.ok(!(record.stdout ?? '').includes('\ufffd'), 'no replacement character at the cut');
    assert.equal(Buffer.byteLength(record.stdout ?? ''), 1024 * 1024 - 1);
  });

  test('terminal views show what a host sends as visible escapes, never as terminal controls', async () => {
    // OSC title, BEL, a clear screen, a lone \r, an encoded C1 CSI (U+009B), raw invalid bytes.
    const nasty = "printf '\\033]0;owned\\007\\033[2J fake\\rreal \\302\\233 \\377\\233\\n'; printf '\\033[31mred\\n' >&2";
    for (const view of [[], ['--stream']]) {
      const ran = await muster(['run', 'lab01', ...view, '--', nasty]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.doesNotMatch(ran.stdout, terminalControl, `${view.join('') || 'gathered'}: stdout`);
      assert.doesNotMatch(ran.stderr, terminalControl, `${view.join('') || 'gathered'}: stderr`);
      assert.match(ran.stdout, /\\x1b\]0;owned\\x07\\x1b\[2J fake\\x0dreal \\x9b \ufffd\ufffd/);
      assert.match(ran.stdout + ran.stderr, /\\x1b\[31mred/);
    }
  });

  test('--stream: a line longer than the 1 MiB cap is printed cut there, with a note, and the next line follows', async () => {
    const ran = await muster(['run', 'lab01', '--stream', '--', "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo after"]);
    assert.equal(ran.code, 0, ran.stderr);
    const lines = ran.stdout.split('\n');
    assert.equal(lines[0], `lab01: ${'a'.repeat(1024 * 1024)} … (line cut at 1 MiB)`);
    assert.deepEqual(lines.slice(1), ['lab01: after', '']);
  });
});
