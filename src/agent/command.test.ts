import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { agentSubject, stdinChunkBytes } from '../transport/nats/protocol.js';
import type { TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { agentDir, brokerFor, operator, runCommand } from './agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from './daemon.js';

let broker: TestBroker;
let agent: AgentDaemon;
let nc: NatsConnection;
const host = 'cmd01';
let counter = 0;
const id = (): string => `t${process.pid}-${(counter += 1)}`;

before(async () => {
  broker = await brokerFor([host]);
  agent = await startAgent({ dir: agentDir(broker, host), log: (line) => { if (process.env['AGENT_LOG']) console.error(line); }, handleSignals: false });
  nc = await operator(broker);
});

after(async () => {
  await nc.close();
  await agent.stop();
  await broker.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed orphan stays a zombie until PID 1 reaps it (late on this machine): that is gone too.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('start first, output in the order printed, exit last', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'echo one; echo two >&2; sleep 0.2; echo three; exit 3' });
  const kinds = trace.replies.filter((reply) => !('t' in reply) || reply.t !== 'beat')
    .map((reply) => 't' in reply ? reply.t : `${reply.chunk}:${reply.data.toString().trim()}`);
  assert.equal(kinds[0], 'start');
  assert.equal(kinds.at(-1), 'exit');
  assert.ok(kinds.indexOf('stdout:one') < kinds.indexOf('stdout:three'), kinds.join(' '));
  assert.ok(kinds.indexOf('stderr:two') < kinds.indexOf('stdout:three'), kinds.join(' '));
  assert.equal(trace.stdout.toString(), 'one\nthree\n');
  assert.equal(trace.stderr.toString(), 'two\n');
  assert.deepEqual(trace.last, { t: 'exit', host, exitCode: 3, signal: null });
});

test('a command killed by a signal reports the signal', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'kill -KILL $$' });
  assert.deepEqual(trace.last, { t: 'exit', host, exitCode: null, signal: 'SIGKILL' });
});

test('the command runs with the agent user\'s HOME, USER and PATH and none of the agent\'s other environment', async () => {
  process.env['MUSTER_AGENT_TEST_SECRET'] = 'leak';
  const trace = await runCommand(nc, host, { id: id(), command: 'echo "$HOME|$USER|${MUSTER_AGENT_TEST_SECRET:-none}"; pwd' });
  const [line, cwd] = trace.stdout.toString().trim().split('\n');
  const [home, user, secret] = (line ?? '').split('|');
  assert.ok(home && home.startsWith('/'), line);
  assert.equal(cwd, home);
  assert.ok(user);
  // The agent runs in this process: an inherited environment would carry the variable.
  assert.equal(secret, 'none');
});

test('stdin inline', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'cat; echo end', stdin: Buffer.from('hello\n').toString('base64') });
  assert.equal(trace.stdout.toString(), 'hello\nend\n');
  assert.deepEqual(trace.last, { t: 'exit', host, exitCode: 0, signal: null });
});

test('stdin of 1 MB in command.stdin chunks arrives whole, in order', async () => {
  const data = randomBytes(1024 * 1024);
  const commandId = id();
  const trace = await runCommand(nc, host, { id: commandId, command: 'sha256sum', stdinBytes: data.length }, {
    afterSend: () => {
      for (let seq = 0, at = 0; at < data.length; seq += 1, at += stdinChunkBytes) {
        const end = at + stdinChunkBytes >= data.length;
        nc.publish(agentSubject(host, 'command', 'stdin'), JSON.stringify({ id: commandId, seq, data: data.subarray(at, at + stdinChunkBytes).toString('base64'), ...(end ? { end } : {}) }));
      }
    },
  });
  assert.equal(trace.stdout.toString().split(' ')[0], createHash('sha256').update(data).digest('hex'));
  assert.deepEqual(trace.last, { t: 'exit', host, exitCode: 0, signal: null });
});

test('output is sent as it comes, uncapped, in chunks of at most 64 KiB', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'head -c 3000000 /dev/zero' });
  assert.equal(trace.stdout.length, 3_000_000);
  const chunks = trace.replies.filter((reply) => 'chunk' in reply);
  assert.ok(chunks.every((chunk) => 'data' in chunk && chunk.data.length <= 64 * 1024));
});

test('a 3 s command sends beats while it runs', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'sleep 3' });
  assert.ok(trace.beats >= 2, `only ${trace.beats} beats`);
  assert.equal(trace.last.t, 'exit');
});

test('command.cancel kills the whole process group, grandchildren too', async () => {
  const pidFile = join(tmpdir(), `muster-agent-grandchild-${process.pid}`);
  rmSync(pidFile, { force: true });
  const commandId = id();
  const started = Date.now();
  const trace = await runCommand(nc, host, { id: commandId, command: `sh -c 'sleep 600 & echo $! > ${pidFile}; wait'` }, {
    onReply: (reply) => {
      if (reply.t === 'beat' && existsSync(pidFile)) nc.publish(agentSubject(host, 'command', 'cancel'), JSON.stringify({ id: commandId }));
    },
  });
  assert.equal(trace.last.t, 'exit');
  assert.ok(trace.last.t === 'exit' && trace.last.signal !== null, JSON.stringify(trace.last));
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(grandchild > 1);
  assert.equal(alive(grandchild), false, `sleep ${grandchild} survived the cancel`);
  assert.ok(Date.now() - started < 20_000);
  rmSync(pidFile, { force: true });
});

test('sudo runs through sudo -n', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'id -u', sudo: true });
  assert.equal(trace.last.t, 'exit');
  // Root here: sudo -n succeeds; where it would ask for a password it fails at once instead of hanging.
  if (trace.last.t === 'exit' && trace.last.exitCode === 0) assert.equal(trace.stdout.toString().trim(), '0');
  else assert.match(trace.stderr.toString(), /sudo/);
});

test('a bad command.run request gets one error reply', async () => {
  const trace = await runCommand(nc, host, { command: 'true' });
  assert.equal(trace.last.t, 'error');
  assert.ok(trace.last.t === 'error' && trace.last.error.code === 'bad-request');
  assert.match(trace.last.t === 'error' ? trace.last.error.message : '', /id/);
});

test('a command.run with another protocol version is refused with { t: error }', async () => {
  const trace = await runCommand(nc, host, { v: 7, id: id(), command: 'true' });
  assert.ok(trace.last.t === 'error' && trace.last.error.code === 'version', JSON.stringify(trace.last));
});

test('a command with a NUL byte is refused, and the agent goes on answering', async () => {
  const trace = await runCommand(nc, host, { id: id(), command: 'echo a\0b' });
  assert.ok(trace.last.t === 'error' && trace.last.error.code === 'bad-request', JSON.stringify(trace.last));
  const after = await runCommand(nc, host, { id: id(), command: 'echo still' });
  assert.equal(after.stdout.toString(), 'still\n');
});
