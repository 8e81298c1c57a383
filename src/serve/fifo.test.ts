/**
 * A FIFO put at the inventory path of a running `muster serve` (issue 17,
 * item 7): the reload used to block on it forever, so `/v1/status` kept
 * saying ok, later valid edits were never served, and SIGTERM no longer ended
 * the process. Through the real CLI: the reload fails and says so, the next
 * valid file is served, SIGTERM ends it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { musterBin } from '../cli/commands/cli.test-helper.js';
import { fleetText, get, tempInventory } from './server.test-helper.js';

interface Status {
  status: string;
  index: number;
  hosts: number;
  last_reload: { ok: boolean; error?: string };
}

/** Asks `/v1/status` until `ready` holds, for at most 30 s (the file watch and its debounce decide when). */
async function statusWhen(port: number, ready: (status: Status) => boolean): Promise<Status> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = JSON.parse((await get({ port }, '/v1/status')).body) as Status;
    if (ready(status)) return status;
    if (Date.now() > deadline) assert.fail(`/v1/status never got there: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('serve: a FIFO swapped in fails the reload, a later valid edit is served, SIGTERM ends it', async () => {
  const { dir, file } = tempInventory();
  const child = spawn(process.execPath, [musterBin, 'serve', '-i', file, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const match = /listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`muster serve exited ${code}: ${stderr}`)));
    });
    const first = await statusWhen(port, () => true);
    assert.equal(first.status, 'ok');

    // Swapped in by rename, as an editor saves: the watch sees the folder change.
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    renameSync(join(dir, 'fifo'), file);
    const failed = await statusWhen(port, (status) => !status.last_reload.ok);
    assert.equal(failed.status, 'error');
    assert.match(failed.last_reload.error ?? '', /muster\.yaml: not a regular file \(it is a FIFO\)/);
    assert.equal(failed.index, first.index, 'the last good inventory is still served');

    writeFileSync(join(dir, 'next.yaml'), `${fleetText}\n  extra1.example.lan: {}\n`);
    renameSync(join(dir, 'next.yaml'), file);
    const served = await statusWhen(port, (status) => status.last_reload.ok && status.index > first.index);
    assert.equal(served.hosts, first.hosts + 1);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
