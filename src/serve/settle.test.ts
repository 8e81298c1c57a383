// Issue 17 item 6: a file written in place in chunks (each prefix valid YAML) was served chunk by chunk,
// each prefix a version that woke every watcher. Real files, a real server, real HTTP; and the real
// `muster serve` for a FIFO at the inventory path (the reload must fail clearly, never wedge, and
// SIGTERM must still stop the server).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { musterBin } from '../cli/commands/cli.test-helper.js';
import { get, serverFor, tempInventory } from './server.test-helper.js';
import { changed, look, waitForQuiet } from './settle.js';

const header = 'version: 1\nroles:\n  web: {}\nhosts:\n  seed: {}\n';
/** Chunk `c` of an inventory: `size` more hosts; the file so far is valid YAML after every chunk. */
const chunk = (c: number, size = 100): string => Array.from({ length: size }, (_, i) => `  web${c}x${i}: { roles: [web] }\n`).join('');

interface Status {
  status: string;
  index: number;
  hosts: number;
  reload?: { settle_ms: number; max_wait_ms: number; waiting_for?: string; waiting_since?: string };
  last_reload: { ok: boolean; error?: string; waited_ms?: number };
}

async function status(server: { port: number }): Promise<Status> {
  return JSON.parse((await get(server, '/v1/status')).body) as Status;
}

/** Asks `/v1/status` until `ready` (at most `ms`): the server's own account decides, not a clock. */
async function untilStatus(server: { port: number }, ready: (status: Status) => boolean, ms = 30_000): Promise<Status> {
  const deadline = Date.now() + ms;
  for (;;) {
    const now = await status(server);
    if (ready(now)) return now;
    if (Date.now() > deadline) throw new Error(`status never became ready: ${JSON.stringify(now)}`);
    await sleep(10);
  }
}

describe('serve reloads only quiet files (issue 17 item 6)', () => {
  it('an inventory written in place in 15 chunks wakes a watcher once, with the whole inventory; /v1/status says what it waits for', async () => {
    const { dir, file } = tempInventory(header);
    const server = await serverFor(file, { settleMs: 1000 });
    try {
      const start = server.index;
      const watcher = get(server, `/v1/roles/web/count?index=${start}&wait=60s`);
      const fd = openSync(file, 'w');
      const waits: string[] = [];
      try {
        writeSync(fd, header);
        for (let c = 0; c < 15; c++) {
          writeSync(fd, chunk(c));
          // A pause longer than the file watch's debounce, so that the reload has begun (the old code
          // then served this prefix); then until the server says it waits, or has served a version.
          await sleep(60);
          const now = await untilStatus(server, (s) => s.reload?.waiting_for !== undefined || s.index !== start);
          if (now.reload?.waiting_for !== undefined) waits.push(now.reload.waiting_for);
        }
      } finally {
        closeSync(fd);
      }
      const reply = await watcher;
      assert.equal(reply.headers['x-muster-index'], String(start + 1));
      assert.equal(reply.body.trim(), '1500', 'the watcher woke with the whole inventory, not a prefix');
      assert.ok(waits.length > 0 && waits.every((text) => text === `${file} to settle`), JSON.stringify(waits));
      const after = await untilStatus(server, (s) => s.reload?.waiting_for === undefined);
      assert.equal(after.index, start + 1, 'one version for the whole write');
      assert.equal(after.hosts, 1501);
      assert.deepEqual([after.reload?.settle_ms, after.reload?.max_wait_ms], [1000, 10_000]);
      assert.ok((after.last_reload.waited_ms ?? 0) >= 1000, JSON.stringify(after.last_reload));
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file that never settles is a failed reload after the maximum wait (the last good version serves); once quiet it is served', async () => {
    const { dir, file } = tempInventory(header);
    const server = await serverFor(file, { settleMs: 300, maxSettleMs: 1500 });
    try {
      const start = server.index;
      const fd = openSync(file, 'w');
      let failed: Status | undefined;
      try {
        writeSync(fd, header);
        const began = Date.now();
        for (let c = 0; !failed; c++) {
          writeSync(fd, chunk(c, 10));
          await sleep(20);
          const now = await status(server);
          if (now.status === 'error') failed = now;
          assert.ok(Date.now() - began < 20_000, 'the reload never gave up');
        }
      } finally {
        closeSync(fd);
      }
      assert.ok(failed);
      assert.equal(failed.index, start);
      assert.equal(failed.last_reload.ok, false);
      assert.match(failed.last_reload.error ?? '', new RegExp(`^Cannot load inventory: ${file} kept changing for \\d+\\.\\d s \\(no two looks 300 ms apart agreed on its size and times\\)$`));
      assert.equal((await get(server, '/v1/roles/web/count')).body.trim(), '0');
      // Quiet now: the next reload (the last write's event, or one queued behind the failed wait) serves it whole.
      const served = await untilStatus(server, (s) => s.status === 'ok' && s.index > start);
      assert.equal(served.index, start + 1);
      assert.equal(served.hosts - 1, Number((await get(server, '/v1/roles/web/count')).body.trim()));
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks compare size, times and inode: a rewrite that restores the mtime (cp -p) is still a change', async () => {
    const { dir, file } = tempInventory('hosts:\n  a1: {}\n');
    try {
      const before = await look([file]);
      const { atime, mtime } = statSync(file);
      writeFileSync(file, 'hosts:\n  b1: {}\n');
      utimesSync(file, atime, mtime);
      assert.deepEqual(changed(before, await look([file])), [file]);
      assert.deepEqual(changed(before, before), []);
      // Settling 0 ms is one look; a quiet file settles after one interval.
      const began = performance.now();
      await waitForQuiet([file], { settleMs: 0, maxWaitMs: 0 });
      await waitForQuiet([file], { settleMs: 50, maxWaitMs: 1000 });
      assert.ok(performance.now() - began >= 49);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('muster serve with a FIFO at the inventory path (issue 17 item 7, the serve side)', () => {
  it('the reload fails in /v1/status and the last good inventory serves; a later valid file is served; SIGTERM still ends it', async () => {
    const { dir, file } = tempInventory(header + chunk(0));
    const child = spawn(process.execPath, [musterBin, 'serve', '-i', file, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    const exited = once(child, 'exit');
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr?.on('data', (text: string) => {
          stderr += text;
          const match = /listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
          if (match) resolve(Number(match[1]));
        });
        void exited.then(() => reject(new Error(`muster serve exited: ${stderr}`)));
      });
      const server = { port };
      const fifo = join(dir, 'muster.fifo');
      execFileSync('mkfifo', [fifo]);
      renameSync(fifo, file);
      const failed = await untilStatus(server, (s) => s.status === 'error');
      assert.match(failed.last_reload.error ?? '', /muster\.yaml: not a regular file \(it is a FIFO\)/);
      assert.equal(failed.index, 1);
      assert.equal((await get(server, '/v1/roles/web/count')).body.trim(), '100');
      // A valid file in its place is served: the reload was not wedged on the FIFO.
      writeFileSync(join(dir, 'next.yaml'), header + chunk(0) + chunk(1));
      renameSync(join(dir, 'next.yaml'), file);
      const fixed = await untilStatus(server, (s) => s.status === 'ok' && s.index === 2);
      assert.equal(fixed.hosts, 201);
      // And the FIFO again, then SIGTERM: the server stops at once, exit 0.
      execFileSync('mkfifo', [fifo]);
      renameSync(fifo, file);
      await untilStatus(server, (s) => s.status === 'error');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      assert.deepEqual([code, signal], [0, null], stderr);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
