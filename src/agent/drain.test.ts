import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { musterBin } from '../cli/commands/cli.test-helper.js';
import type { TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { agentDir, brokerFor, call, caTime, operator, runCommand, signWithDates } from './agentFixture.test-helper.js';
import { startAgent } from './daemon.js';

let broker: TestBroker;

before(async () => {
  broker = await brokerFor(['drain01', 'drain02']);
});

after(async () => {
  await broker.stop();
});

test('SIGTERM while a command runs: the command finishes, its exit is sent, the agent exits 0', async () => {
  const child = spawn(process.execPath, [musterBin, 'agent', 'run', '--dir', agentDir(broker, 'drain01')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const connected = new Promise<void>((ready) => child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (log.includes('connected to')) ready();
  }));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  try {
    await connected;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const nc = await operator(broker);
  try {
    let signalled = false;
    const trace = await runCommand(nc, 'drain01', { id: 'drain-1', command: 'sleep 1.5; echo finished' }, {
      onReply: (reply) => {
        if (reply.t === 'start' && !signalled) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    });
    assert.equal(trace.stdout.toString(), 'finished\n');
    assert.deepEqual(trace.last, { t: 'exit', host: 'drain01', exitCode: 0, signal: null });
    assert.equal(await exited, 0, log);
    assert.match(log, /SIGTERM received/);
    assert.match(log, /alice command\.run exit 0 \d+ms cmd=\d+B:[0-9a-f]{12}/);
    assert.doesNotMatch(log, /sleep 1\.5/, 'the command line is never logged');
    // Stopped: nobody answers for the host any more (NATS "no responders").
    await assert.rejects(call(nc, 'drain01', 'ping', 'get'), /no responders/i);
  } finally {
    await nc.close();
    // A failed assertion must not leave the agent running (and holding the test process open).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('a command still running when the grace is over is killed; its exit still goes out', async () => {
  const agent = await startAgent({ dir: agentDir(broker, 'drain02'), log: () => undefined, handleSignals: false, graceMs: 300 });
  const nc = await operator(broker);
  try {
    let stopped: Promise<number> | undefined;
    const started = Date.now();
    const trace = await runCommand(nc, 'drain02', { id: 'drain-2', command: 'sleep 600' }, {
      onReply: (reply) => {
        if (reply.t === 'start') stopped = agent.stop();
      },
    });
    assert.ok(trace.last.t === 'exit' && trace.last.signal === 'SIGTERM', JSON.stringify(trace.last));
    assert.equal(await stopped, 0);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await nc.close();
  }
});

test('a certificate that expires while the agent runs stops it with the renew line and exit code 1', async () => {
  const dir = agentDir(broker, 'drain01');
  const end = new Date(Date.now() + 2000);
  signWithDates(broker, dir, 'drain01', caTime(new Date(Date.now() - 60_000)), caTime(end));
  const lines: string[] = [];
  const agent = await startAgent({ dir, log: (line) => lines.push(line), handleSignals: false });
  assert.equal(await agent.done, 1);
  assert.ok(lines.some((line) => /^certificate .*agent\.crt of drain01 expired at .*; renew: muster agent enroll --name drain01, then muster ca sign drain01$/.test(line)), lines.join('\n'));
});

test('an agent whose broker is gone (reconnecting forever) still stops at once', async () => {
  const lonely = await brokerFor(['gone01']);
  const agent = await startAgent({ dir: agentDir(lonely, 'gone01'), log: () => undefined, handleSignals: false });
  await lonely.stop();
  const started = Date.now();
  assert.equal(await agent.stop(), 0);
  // Before, the stop waited for a flush that only a reconnect could answer: forever.
  assert.ok(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
});
