/**
 * `muster fetch` streams each file to disk (issue 17, item 12): memory does not grow with
 * the file, the bytes go to a temporary file beside the destination, renamed only when the
 * whole file came, and removed when the run is interrupted, times out or the file is too
 * big. The real CLI on a real 2-host lab; needs root and openssh-server, skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labExec, labUnavailableReason, labUp } from '../../lab/index.js';
import { muster as runMuster, musterBin, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();
const hosts = ['lab01', 'lab02'];
const MiB = 1024 * 1024;

/** Every file under `dir`, as paths relative to it (nothing when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1)).sort();
}

describe('muster fetch streams files to disk, on a real 2-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-fetch-${process.pid}`;
  let env: NodeJS.ProcessEnv;
  let work: string;
  /** Sums of /root/big.bin on each host. */
  const sums = new Map<string, string>();

  const muster = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> => runMuster(args, { env: { ...env, ...extraEnv } });

  /** muster's peak resident memory (bytes) for one command, written by a preload at exit. */
  async function peakRss(args: string[]): Promise<{ ran: Ran; rss: number }> {
    const file = join(work, `rss-${Math.random().toString(36).slice(2)}`);
    const ran = await muster(args, { NODE_OPTIONS: `--import=${join(work, 'rss.mjs')}`, RSS_FILE: file });
    return { ran, rss: Number(await readFile(file, 'utf8')) * 1024 };
  }

  /**
   * A FIFO at `path` on every host fed 1 MiB then nothing for a minute: a file whose
   * transfer has started and does not end by itself.
   */
  async function slowFile(path: string): Promise<void> {
    await Promise.all(hosts.map((host) => labExec(name, host,
      // The outer redirections come first: the writer blocks opening the FIFO, and must not
      // hold labExec's pipes meanwhile.
      `mkfifo ${path} && ( (head -c ${MiB} /dev/urandom; sleep 60) > ${path} ) </dev/null >/dev/null 2>&1 &`)));
  }

  /** Waits until a temporary file shows up under `dir` (a transfer is under way); returns it. */
  async function tempFileSoon(dir: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const temp = (await filesUnder(dir)).find((file) => file.includes('.muster-'));
      if (temp !== undefined) return temp;
      await sleep(50);
    }
    return assert.fail(`no temporary file under ${dir} within 10 s`);
  }

  before(async () => {
    const lab = await labUp({ name, count: hosts.length });
    work = await mkdtemp(join(tmpdir(), 'muster-fetch-test-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: work, NO_COLOR: '1' };
    await writeFile(join(work, 'rss.mjs'),
      "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
    await Promise.all(hosts.map(async (host) => {
      const made = await labExec(name, host, `head -c ${128 * MiB} /dev/urandom > /root/big.bin && chmod 600 /root/big.bin && echo small > /root/small.txt && sha256sum /root/big.bin`);
      sums.set(host, made.stdout.split(' ')[0] ?? '');
    }));
  });
  after(async () => {
    await labDown(name);
    await rm(work, { recursive: true, force: true });
  });

  test('2 × 128 MiB: each file arrives whole, mode kept, and memory stays what a tiny fetch takes', async () => {
    const small = await peakRss(['fetch', 'all', '/root/small.txt', join(work, 'small')]);
    assert.equal(small.ran.code, 0, small.ran.stderr);
    const big = await peakRss(['fetch', 'all', '/root/big.bin', join(work, 'big')]);
    assert.equal(big.ran.code, 0, big.ran.stderr);
    assert.deepEqual(await filesUnder(join(work, 'big')), ['lab01/big.bin', 'lab02/big.bin'], 'no temporary file left');
    for (const host of hosts) {
      const path = join(work, 'big', host, 'big.bin');
      assert.equal(createHash('sha256').update(await readFile(path)).digest('hex'), sums.get(host), `${host}: the same bytes`);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    }
    // Holding the files in memory (as before: 2 × 128 MiB, and a copy to concatenate) would add 256 MiB or more.
    const grown = big.rss - small.rss;
    assert.ok(grown < 64 * MiB, `fetching 256 MiB grew muster by ${Math.round(grown / MiB)} MiB (${Math.round(small.rss / MiB)} → ${Math.round(big.rss / MiB)} MiB)`);
  });

  test('through the system ssh client too (its pipe is held back the same way), the file arrives whole', async () => {
    const out = join(work, 'openssh');
    const ran = await muster(['fetch', 'lab01', '/root/big.bin', out, '--transport', 'openssh']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(createHash('sha256').update(await readFile(join(out, 'lab01', 'big.bin'))).digest('hex'), sums.get('lab01'));
    assert.deepEqual(await filesUnder(out), ['lab01/big.bin']);
  });

  test('Ctrl-C mid-transfer: the temporary file beside the destination is removed, nothing is stored, exit 130', async () => {
    await slowFile('/root/slow-int');
    const out = join(work, 'interrupted');
    const child = spawn(process.execPath, [musterBin, 'fetch', 'all', '/root/slow-int', out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    const temp = await tempFileSoon(out);
    assert.match(temp, /^lab0[12]\/slow-int\.muster-[0-9a-f]{12}$/, 'the bytes go to a temporary file beside the destination');
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    assert.match(stderr, /2 hosts: 2 failed in .* \(interrupted\)/);
    assert.deepEqual(await filesUnder(out), []);
  });

  test('--timeout mid-transfer: the host is `timeout` and leaves no file, temporary or not', async () => {
    await slowFile('/root/slow-timeout');
    const out = join(work, 'timed-out');
    const ran = await muster(['fetch', 'all', '/root/slow-timeout', out, '--timeout', '2s', '--json']);
    assert.equal(ran.code, 1, ran.stderr);
    const statuses = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; status?: string }).filter((record) => record.type === 'host').map((record) => record.status);
    assert.deepEqual(statuses, ['timeout', 'timeout']);
    assert.deepEqual(await filesUnder(out), []);
  });

  test('a file over the 256 MiB limit fails that host as soon as it is reached, and leaves nothing', async () => {
    const out = join(work, 'endless');
    const ran = await muster(['fetch', 'lab01', '/dev/zero', out]);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^lab01 \(1\) failed: cannot store \/dev\/zero: it is larger than 256 MiB$/m);
    assert.deepEqual(await filesUnder(out), []);
  });
});
