/** commandJob through the real local transport (real `sh`), driven by the real engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOn } from '../run/engine.js';
import { localTransport } from '../transport/local.js';
import { ExecAbortedError, type Target } from '../transport/types.js';
import { outputFields } from '../run/outcome.js';
import { commandJob } from './run.js';

const targets: Target[] = [{ name: 'n1', address: 'localhost' }, { name: 'n2', address: 'localhost' }];

test('commandJob: exit 0 is ok with stdout; non-zero is failed with its exit code and stderr', async () => {
  const ok = await runOn(targets, commandJob('echo hi; echo warn >&2'), { transport: localTransport() });
  assert.deepEqual(ok.outcomes.map((o) => [o.host, o.status, o.exitCode, o.stdout, o.stderr]), [
    ['n1', 'ok', 0, 'hi\n', 'warn\n'],
    ['n2', 'ok', 0, 'hi\n', 'warn\n'],
  ]);
  const bad = await runOn(targets.slice(0, 1), commandJob('exit 3'), { transport: localTransport() });
  assert.equal(bad.outcomes[0]?.status, 'failed');
  assert.equal(bad.outcomes[0]?.exitCode, 3);
});

test('commandJob: --stdin contents reach every host; output streams with the host name', async () => {
  const chunks: string[] = [];
  const run = await runOn(targets, commandJob('tr a-z A-Z', { stdin: 'hello\n' }), {
    transport: localTransport(),
    onEvent: (event) => { if (event.type === 'output' && event.stream === 'stdout') chunks.push(`${event.host}=${event.chunk.toString()}`); },
  });
  assert.deepEqual(run.outcomes.map((o) => o.stdout), ['HELLO\n', 'HELLO\n']);
  assert.deepEqual(chunks.sort(), ['n1=HELLO\n', 'n2=HELLO\n']);
});

test('commandJob: capped output says what was cut', async () => {
  const run = await runOn(targets.slice(0, 1), commandJob('head -c 5000 /dev/zero', { maxOutputBytes: 1024 }), { transport: localTransport() });
  assert.equal(run.outcomes[0]?.stdout.length, 1024);
  assert.equal(run.outcomes[0]?.truncated, 'stdout cut at 1 KiB');
});

test('commandJob under --timeout: the command is killed and the host is `timeout`', async () => {
  const marker = `muster-run-test-${process.pid}-${Date.now()}`;
  const run = await runOn(targets.slice(0, 1), commandJob(`sleep 30; echo ${marker}`), { transport: localTransport(), timeoutMs: 300 });
  assert.equal(run.outcomes[0]?.status, 'timeout');
  assert.equal(run.outcomes[0]?.message, 'timed out after 300ms');
  assert.ok(run.durationMs < 5000, `took ${run.durationMs} ms`);
});

test('commandJob under --timeout and interrupted: what the command printed before it was stopped stays in the outcome', async () => {
  const command = 'echo started; echo warn >&2; printf "\\377"; sleep 30';
  const timedOut = await runOn(targets.slice(0, 1), commandJob(command), { transport: localTransport(), timeoutMs: 500 });
  assert.deepEqual([timedOut.outcomes[0]?.status, timedOut.outcomes[0]?.stdout, timedOut.outcomes[0]?.stderr], ['timeout', 'started\n\ufffd', 'warn\n']);
  const interrupt = new AbortController();
  // Ctrl-C once the last byte before the sleep has come.
  const interrupted = await runOn(targets.slice(0, 1), commandJob(command), {
    transport: localTransport(),
    signal: interrupt.signal,
    onEvent: (event) => { if (event.type === 'output' && event.chunk.includes(0xff)) interrupt.abort(new Error('interrupted')); },
  });
  assert.deepEqual([interrupted.outcomes[0]?.message, interrupted.outcomes[0]?.stdout, interrupted.outcomes[0]?.stderr], ['interrupted', 'started\n\ufffd', 'warn\n']);
});

test('session.exec aborted: rejects with ExecAbortedError holding the output so far and the reason as its cause', async () => {
  const target = { name: 'here', address: '127.0.0.1' };
  const session = await localTransport().connect(target);
  try {
    const reason = new Error('timed out after 1.0s');
    const controller = new AbortController();
    const exec = session.exec('printf "\\377\\376"; echo out; sleep 30', { signal: controller.signal, onStdout: () => controller.abort(reason) });
    const error = await exec.then(() => assert.fail('resolved'), (thrown: unknown) => thrown);
    assert.ok(error instanceof ExecAbortedError);
    assert.equal(error.cause, reason);
    assert.equal(error.message, 'timed out after 1.0s');
    assert.ok(error.partial.stdout.length > 0);
    assert.deepEqual(outputFields(error.partial.stdout, Buffer.alloc(0)).stdoutBytes?.subarray(0, 2), Buffer.from([0xff, 0xfe]), 'not UTF-8: the bytes are kept beside the text');
  } finally {
    session.close();
  }
});
