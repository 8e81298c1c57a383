/** commandJob through the real local transport (real `sh`), driven by the real engine. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOn } from '../run/engine.js';
import { localTransport } from '../transport/local.js';
import type { Target } from '../transport/types.js';
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
