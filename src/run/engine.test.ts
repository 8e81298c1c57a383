/**
 * The engine's scheduling arithmetic (pool, batches, threshold, timeout,
 * interruption) against an in-test transport whose hosts behave as told: this is
 * pure scheduling, so a fake is the right tool. End-to-end runs on a real lab are
 * in src/cli/commands/run.test.ts.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { cliMessage } from '../cli/optionFlags.js';
import { OptionError } from '../core/errors.js';
import { ConnectError, NoAnswerError, type ExecResult, type Session, type Target, type Transport } from '../transport/types.js';
import { runOn, type Job, type JobResult } from './engine.js';
import type { RunEvent } from './events.js';

const targets = (n: number): Target[] => Array.from({ length: n }, (_, i) => ({ name: `h${i}`, address: `127.0.0.${i + 1}` }));

/** A transport whose connect fails for the hosts in `unreachable`, counting opens and closes. */
function fakeTransport(unreachable: Set<string> = new Set()): Transport & { opened: number; closed: number } {
  const transport = {
    name: 'fake',
    opened: 0,
    closed: 0,
    async connect(target: Target): Promise<Session> {
      if (unreachable.has(target.name)) throw new ConnectError(target.name, 'refused', `${target.name}: connection refused`);
      transport.opened += 1;
      return {
        target,
        exec: (): Promise<ExecResult> => Promise.reject(new Error('not used')),
        close: () => { transport.closed += 1; },
      };
    },
  };
  return transport;
}

const ok: JobResult = { status: 'ok', exitCode: 0, stdout: 'fine\n', stderr: '' };
const bad: JobResult = { status: 'failed', exitCode: 1, stdout: '', stderr: 'no\n' };

/** A job that fails on the named hosts and records the order and overlap of runs. */
function recordingJob(failing: Set<string>) {
  const record = { started: [] as string[], running: 0, maxRunning: 0 };
  const job: Job = async (_session, { target }) => {
    record.started.push(target.name);
    record.running += 1;
    record.maxRunning = Math.max(record.maxRunning, record.running);
    await new Promise((resolve) => setImmediate(resolve));
    record.running -= 1;
    return failing.has(target.name) ? bad : ok;
  };
  return { job, record };
}

test('runOn: one outcome per target in input order, at most `forks` at once, sessions closed', async () => {
  const transport = fakeTransport(new Set(['h3']));
  const { job, record } = recordingJob(new Set(['h5']));
  const result = await runOn(targets(10), job, { transport, forks: 3 });
  assert.deepEqual(result.outcomes.map((o) => o.host), targets(10).map((t) => t.name));
  assert.deepEqual(result.outcomes.map((o) => o.status), ['ok', 'ok', 'ok', 'unreachable', 'ok', 'failed', 'ok', 'ok', 'ok', 'ok']);
  assert.equal(result.outcomes[3]?.message, 'h3: connection refused');
  assert.equal(record.maxRunning, 3);
  assert.equal(transport.opened, 9);
  assert.equal(transport.closed, 9);
  assert.equal(result.aborted, false);
  assert.equal(result.interrupted, false);
});

test('runOn: a job that throws is failed with its message, and its slot is freed', async () => {
  const transport = fakeTransport();
  const job: Job = async (_s, { target }) => {
    if (target.name === 'h0') throw new Error('boom');
    return ok;
  };
  const result = await runOn(targets(4), job, { transport, forks: 1 });
  assert.deepEqual(result.outcomes.map((o) => o.status), ['failed', 'ok', 'ok', 'ok']);
  assert.equal(result.outcomes[0]?.message, 'boom');
  assert.equal(transport.closed, 4);
});

test('runOn: batches run one after another, each complete before the next starts', async () => {
  const events: RunEvent[] = [];
  const { job } = recordingJob(new Set());
  await runOn(targets(8), job, { transport: fakeTransport(), batch: '1,3', onEvent: (e) => events.push(e) });
  const order = events.map((e) => (e.type === 'batch-started' ? `B${e.batch}/${e.of}` : e.type === 'host-done' ? `d${e.index}` : ''))
    .filter(Boolean);
  assert.deepEqual(order, ['B1/4', 'd0', 'B2/4', 'd1', 'd2', 'd3', 'B3/4', 'd4', 'd5', 'd6', 'B4/4', 'd7']);
});

test('runOn --batch-wait: each batch after the first starts that long after the last one ended; Ctrl-C cuts the wait', async () => {
  const times: number[] = [];
  const started = performance.now();
  const { job } = recordingJob(new Set());
  await runOn(targets(3), job, { transport: fakeTransport(), batch: '1', batchWaitMs: 150, onEvent: (e) => { if (e.type === 'batch-started') times.push(performance.now() - started); } });
  assert.equal(times.length, 3);
  assert.ok((times[1] ?? 0) - (times[0] ?? 0) >= 145 && (times[2] ?? 0) - (times[1] ?? 0) >= 145, `batches started at ${times.map((t) => t.toFixed(0)).join(', ')} ms`);

  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const before = performance.now();
  const result = await runOn(targets(3), job, { transport: fakeTransport(), batch: '1', batchWaitMs: 60_000, signal: controller.signal });
  assert.ok(performance.now() - before < 5000, 'the wait ends at the interrupt');
  assert.deepEqual(result.outcomes.map((o) => o.status), ['ok', 'skipped', 'skipped']);
  assert.equal(result.interrupted, true);
});

test('runOn --max-fail: failures EQUAL to the threshold let every batch run', async () => {
  const { job } = recordingJob(new Set(['h1', 'h2']));
  const result = await runOn(targets(10), job, { transport: fakeTransport(), batch: '2', maxFail: 2 });
  assert.equal(result.aborted, false);
  assert.equal(result.outcomes.filter((o) => o.status === 'skipped').length, 0);
  assert.equal(result.outcomes.filter((o) => o.status === 'failed').length, 2);
});

test('runOn --max-fail: one failure more stops the remaining batches; running hosts finish', async () => {
  const events: RunEvent[] = [];
  // Batches of 2: [h0 h1] → 1 failure; [h2 h3] → both fail while running together (3 > 2).
  const { job, record } = recordingJob(new Set(['h1', 'h2', 'h3']));
  const result = await runOn(targets(10), job, { transport: fakeTransport(), batch: '2', maxFail: 2, onEvent: (e) => events.push(e) });
  assert.equal(result.aborted, true);
  assert.deepEqual(record.started, ['h0', 'h1', 'h2', 'h3']);
  assert.deepEqual(result.outcomes.map((o) => o.status), ['ok', 'failed', 'failed', 'failed', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
  assert.equal(result.outcomes[4]?.message, 'not started: failure threshold exceeded (3 > 2)');
  assert.deepEqual(events.filter((e) => e.type === 'aborted'), [{ type: 'aborted', reason: 'threshold', message: 'failure threshold exceeded (3 > 2)' }]);
  assert.equal(events.filter((e) => e.type === 'batch-started').length, 2);
});

test('runOn --max-fail: inside a batch no further host starts once exceeded; unreachable counts', async () => {
  const { job, record } = recordingJob(new Set(['h2']));
  const result = await runOn(targets(6), job, { transport: fakeTransport(new Set(['h1'])), forks: 1, maxFail: '20%' });
  // 20% of 6 hosts = 1.2 → 1 tolerated; h1 unreachable (1), h2 failed (2 > 1).
  assert.deepEqual(record.started, ['h0', 'h2']);
  assert.deepEqual(result.outcomes.map((o) => o.status), ['ok', 'unreachable', 'failed', 'skipped', 'skipped', 'skipped']);
  assert.equal(result.outcomes[5]?.message, 'not started: failure threshold exceeded (2 > 1)');
});

test('runOn --max-fail 0: the first failure stops the run', async () => {
  const { job } = recordingJob(new Set(['h0']));
  const result = await runOn(targets(3), job, { transport: fakeTransport(), forks: 1, maxFail: '0' });
  assert.deepEqual(result.outcomes.map((o) => o.status), ['failed', 'skipped', 'skipped']);
  assert.equal(result.aborted, true);
});

test('runOn --timeout: the job signal is aborted and the host is `timeout`, keeping what it returned', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    let sawReason: unknown;
    const job: Job = (_s, { target, signal }) => new Promise((resolve) => {
      if (target.name !== 'h1') return resolve(ok);
      started();
      signal.addEventListener('abort', () => {
        sawReason = signal.reason;
        resolve({ status: 'failed', exitCode: null, stdout: 'partial\n', stderr: '', truncated: 'output capped', data: { undone: true } });
      });
    });
    const transport = fakeTransport();
    const pending = runOn(targets(3), job, { transport, timeoutMs: 2000 });
    await running;
    mock.timers.tick(1999);
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(1);
    const result = await pending;
    assert.deepEqual(result.outcomes.map((o) => o.status), ['ok', 'timeout', 'ok']);
    assert.equal(result.outcomes[1]?.message, 'timed out after 2.0s');
    assert.equal(result.outcomes[1]?.stdout, 'partial\n');
    assert.deepEqual([result.outcomes[1]?.truncated, result.outcomes[1]?.data], ['output capped', { undone: true }]);
    assert.match(String(sawReason), /timed out/);
    assert.equal(transport.closed, 3);
  } finally {
    mock.timers.reset();
  }
});

test('runOn --timeout: a job that ignores its signal is abandoned after the grace period', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    const job: Job = () => { started(); return new Promise(() => undefined); };
    const transport = fakeTransport();
    const pending = runOn(targets(1), job, { transport, timeoutMs: 1000, abortGraceMs: 500 });
    await running;
    mock.timers.tick(1000);
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(500);
    const result = await pending;
    assert.equal(result.outcomes[0]?.status, 'timeout');
    assert.equal(transport.closed, 1);
  } finally {
    mock.timers.reset();
  }
});

test('runOn interrupted: no new host starts, running ones end `failed` "interrupted", connecting ones say nothing ran', async () => {
  const controller = new AbortController();
  const events: RunEvent[] = [];
  let startedCount = 0;
  let allStarted!: () => void;
  const twoRunning = new Promise<void>((resolve) => { allStarted = resolve; });
  const job: Job = (_s, { signal }) => new Promise((resolve, reject) => {
    startedCount += 1;
    if (startedCount === 2) allStarted();
    signal.addEventListener('abort', () => reject(new Error('channel closed')));
  });
  const fake = fakeTransport();
  // h2 is still connecting when the run is stopped: it says nothing ran there.
  const transport: Transport = {
    ...fake,
    connect: (target, options) => target.name !== 'h2' ? fake.connect(target) : new Promise((_resolve, reject) => {
      options?.signal?.addEventListener('abort', () => reject(new ConnectError('h2', 'aborted', 'h2: aborted')));
    }),
  };
  const pending = runOn(targets(6), job, { transport, forks: 3, signal: controller.signal, onEvent: (e) => events.push(e) });
  await twoRunning;
  controller.abort();
  const result = await pending;
  assert.equal(result.interrupted, true);
  assert.equal(result.aborted, false);
  assert.deepEqual(result.outcomes.map((o) => `${o.status}:${o.message}`), [
    'failed:interrupted', 'failed:interrupted', 'failed:interrupted while connecting: nothing ran',
    'skipped:not started: interrupted', 'skipped:not started: interrupted', 'skipped:not started: interrupted',
  ]);
  assert.equal(fake.closed, 2);
  assert.deepEqual(events.filter((e) => e.type === 'aborted').map((e) => e.type === 'aborted' && e.reason), ['interrupted']);
});

test('runOn: a throwing onEvent fails the run: no further host starts, in this batch or a later one; running hosts finish first', async () => {
  const { job, record } = recordingJob(new Set());
  const transport = fakeTransport();
  const done: string[] = [];
  const broken = new Error('handler broke');
  const pending = runOn(targets(6), job, {
    transport,
    forks: 2,
    batch: [4, 2],
    onEvent: (e) => {
      if (e.type !== 'host-done') return;
      done.push(e.outcome.host);
      if (e.outcome.host === 'h0') throw broken;
    },
  });
  await assert.rejects(pending, broken);
  assert.deepEqual(record.started, ['h0', 'h1']);
  assert.deepEqual(done, ['h0', 'h1'], 'h1, running when the handler threw, finished before the run failed');
  assert.equal(transport.closed, 2);
});

test('runOn: an already aborted signal starts nothing', async () => {
  const { job, record } = recordingJob(new Set());
  const result = await runOn(targets(3), job, { transport: fakeTransport(), signal: AbortSignal.abort() });
  assert.deepEqual(record.started, []);
  assert.ok(result.outcomes.every((o) => o.status === 'skipped'));
  assert.equal(result.interrupted, true);
});

test('runOn: no targets, no outcomes; bad forks is an option error the CLI says with its flag', async () => {
  const { job } = recordingJob(new Set());
  assert.deepEqual((await runOn([], job, { transport: fakeTransport() })).outcomes, []);
  const error = await runOn(targets(1), job, { transport: fakeTransport(), forks: 0 }).then(() => undefined, (thrown: unknown) => thrown);
  assert.ok(error instanceof OptionError);
  assert.equal(error.option, 'forks');
  assert.equal(error.message, 'Invalid forks 0: give a whole number of at least 1');
  assert.match(cliMessage(error), /Invalid --forks 0/);
});

test('runOn: a job\'s output sink becomes `output` events of its host, before its `host-done`', async () => {
  const events: RunEvent[] = [];
  const job: Job = async (_s, { target, output }) => {
    output.stdout(Buffer.from(`out of ${target.name}\n`));
    await new Promise((resolve) => setImmediate(resolve));
    output.stderr(Buffer.from(`err of ${target.name}\n`));
    return ok;
  };
  await runOn(targets(3), job, { transport: fakeTransport(), forks: 3, onEvent: (e) => events.push(e) });
  for (const host of ['h0', 'h1', 'h2']) {
    const mine = events.filter((e) => (e.type === 'output' && e.host === host) || (e.type === 'host-done' && e.outcome.host === host));
    assert.deepEqual(mine.map((e) => (e.type === 'output' ? `${e.stream}:${e.chunk.toString()}` : e.type)), [
      `stdout:out of ${host}\n`, `stderr:err of ${host}\n`, 'host-done',
    ]);
  }
});

test('runOn: a job\'s typed data reaches its outcome; an interrupted host keeps the data it returned', async () => {
  const controller = new AbortController();
  const job: Job<{ size: number }> = (_s, { target, signal }) => new Promise((resolve) => {
    if (target.name === 'h0') return resolve({ ...ok, data: { size: 42 } });
    signal.addEventListener('abort', () => resolve({ ...bad, data: { size: 7 } }));
  });
  // h1 runs until interrupted, which happens once h0 has its outcome.
  const result = await runOn(targets(2), job, {
    transport: fakeTransport(),
    forks: 2,
    signal: controller.signal,
    onEvent: (e) => { if (e.type === 'host-done' && e.outcome.host === 'h0') controller.abort(); },
  });
  const sizes: (number | undefined)[] = result.outcomes.map((o) => o.data?.size);
  assert.deepEqual(sizes, [42, 7]);
  assert.deepEqual(result.outcomes.map((o) => `${o.status}:${o.message ?? ''}`), ['ok:', 'failed:interrupted']);
});

test('runOn: a NoAnswerError (connected but silent) from connect or from the job is `timeout`, a ConnectError still `unreachable`', async () => {
  const transport: Transport = {
    name: 'silent',
    async connect(target) {
      if (target.name === 'h0') throw new NoAnswerError('h0', 'agent on h0 did not answer within 1.0s');
      if (target.name === 'h1') throw new ConnectError('h1', 'refused', 'no agent connected for h1');
      return { target, exec: () => Promise.reject(new Error('not used')), close: () => undefined };
    },
  };
  const job: Job = (_session, { target }) => (target.name === 'h2'
    ? Promise.reject(new NoAnswerError('h2', 'agent on h2 did not answer the call'))
    : Promise.resolve(ok));
  const result = await runOn(targets(4), job, { transport });
  assert.deepEqual(result.outcomes.map((o) => [o.status, o.message]), [
    ['timeout', 'agent on h0 did not answer within 1.0s'],
    ['unreachable', 'no agent connected for h1'],
    ['timeout', 'agent on h2 did not answer the call'],
    ['ok', undefined],
  ]);
});
