/**
 * What the engine reports for a job that settles after its stop: `changed` is what
 * happened on the host (a deploy whose new file was final before the stop), any
 * other result is the stop ("interrupted", "timed out"). A fake transport, as in
 * engine.test.ts: this is the engine's rule, not a host's behaviour; the lab test
 * is src/cli/commands/pushFaults.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecResult, Session, Target, Transport } from '../transport/types.js';
import { runOn, type Job, type JobResult } from './engine.js';

const transport: Transport = {
  name: 'fake',
  connect: (target: Target): Promise<Session> => Promise.resolve({ target, exec: (): Promise<ExecResult> => Promise.reject(new Error('not used')), close: () => undefined }),
};
const targets: Target[] = [{ name: 'h0', address: '127.0.0.1' }, { name: 'h1', address: '127.0.0.2' }];

/** Waits for its signal, then returns `changed` on h0 and `ok` on h1. */
const settlesAfterStop: Job = (_session, { target, signal }) => new Promise<JobResult>((resolve) => {
  signal.addEventListener('abort', () => resolve({ status: target.name === 'h0' ? 'changed' : 'ok', exitCode: 0, stdout: '', stderr: '', message: `done on ${target.name}` }), { once: true });
});

test('runOn: a job that returns `changed` after Ctrl-C or its timeout is reported changed; anything else as the stop', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  const interrupted = await runOn(targets, settlesAfterStop, { transport, signal: controller.signal });
  assert.deepEqual(interrupted.outcomes.map((o) => `${o.status}:${o.message ?? ''}`), ['changed:done on h0', 'failed:interrupted']);
  assert.equal(interrupted.interrupted, true);

  const timedOut = await runOn(targets, settlesAfterStop, { transport, timeoutMs: 20 });
  assert.deepEqual(timedOut.outcomes.map((o) => `${o.status}:${o.message ?? ''}`), ['changed:done on h0', 'timeout:timed out after 20ms']);
});
