import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { localTransport } from './local.js';
import { ConnectError } from './types.js';

const target = { name: 'localhost', address: '127.0.0.1' };

describe('localTransport', () => {
  it('runs a command with separate stdout/stderr, exit code and stdin', async () => {
    const session = await localTransport().connect(target);
    const result = await session.exec('echo out; echo err >&2; exit 3');
    assert.equal(result.exitCode, 3);
    assert.equal(result.signal, null);
    assert.equal(result.stdout.toString(), 'out\n');
    assert.equal(result.stderr.toString(), 'err\n');
    const cat = await session.exec('tr a-z A-Z', { stdin: 'hello' });
    assert.equal(cat.stdout.toString(), 'HELLO');
    session.close();
    await assert.rejects(session.exec('true'), (error: unknown) => error instanceof ConnectError && error.reason === 'closed');
  });

  it('caps output and marks it truncated, while streaming every chunk', async () => {
    const session = await localTransport().connect(target);
    let streamed = 0;
    const result = await session.exec('head -c 5000 /dev/zero', { maxOutputBytes: 1000, onStdout: (chunk) => { streamed += chunk.length; } });
    assert.equal(result.stdout.length, 1000);
    assert.equal(result.stdoutTruncated, true);
    assert.equal(result.stderrTruncated, false);
    assert.equal(streamed, 5000);
  });

  it('kills everything the command started on abort, background jobs and timeout\'s own group included', async () => {
    const session = await localTransport().connect(target);
    // A sleep length no other process uses, so pgrep finds only ours.
    const seconds = 100_000 + randomBytes(2).readUInt16BE(0);
    const controller = new AbortController();
    const running = session.exec(`sh -c 'sleep ${seconds} & wait' & timeout 9999 sleep ${seconds} & echo started; sleep ${seconds}; echo not reached`, {
      signal: controller.signal,
      onStdout: () => controller.abort(new Error('stop')),
    });
    await assert.rejects(running, /stop/);
    const left = spawnSync('pgrep', ['-f', `sleep ${seconds}`], { encoding: 'utf8' }).stdout.trim();
    assert.equal(left, '', `processes left: ${left}`);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const session = await localTransport().connect(target);
    await assert.rejects(session.exec('true', { signal: AbortSignal.abort(new Error('gone')) }), /gone/);
    await assert.rejects(localTransport().connect(target, { signal: AbortSignal.abort() }), ConnectError);
  });
});
