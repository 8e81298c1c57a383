/**
 * The nats transport against a real TLS nats-server (testBroker) and real agents
 * (realAgents.test-helper.ts): in this process for answers, as child processes for faults
 * (SIGSTOP: a silent agent, or one that stops sending mid-command; SIGKILL: killed mid-command). The fake responder
 * (responder.test-helper.ts) is left only an impostor and the 1,000-host fan-out; its header says why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ConnectError, ExecAbortedError, NoAnswerError, type Target } from '../types.js';
import { BrokerRefusedError } from './errors.js';
import { startAgentProcess, startAgents, startSpy, type AgentProcess, type InProcessAgents } from './realAgents.test-helper.js';
import { startResponder, type Responder } from './responder.test-helper.js';
import { startTestBroker, type TestBroker, type TestIdentity } from './testBroker.test-helper.js';
import { natsTransport, type NatsTransportOptions } from './transport.js';

const hosts = Array.from({ length: 1000 }, (_, i) => `big${String(i + 1).padStart(4, '0')}.dc1`);
/** Hosts with a real agent in this process. */
const real = Array.from({ length: 11 }, (_, i) => `web${String(i + 1).padStart(4, '0')}.dc1`);
/** Hosts whose real agent runs as a child process, to be stopped (SIGSTOP) or killed (SIGKILL). */
const faulty = ['quiet.dc1', 'mute.dc1', 'doomed.dc1'];
const identities: TestIdentity[] = [
  ...[...real, ...faulty].map((name) => ({ name, kind: 'agent' as const })),
  { name: 'fleet', kind: 'agent' },
  { name: 'spy', kind: 'operator' },
  { name: 'alice', kind: 'operator' },
  { name: 'ghost', kind: 'operator' },
  { name: 'audit', kind: 'operator', permissions: { publish: { allow: ['muster.agent.*.ping.>'] }, subscribe: { allow: ['muster.inbox.audit.>'] } } },
];
const target = (name: string): Target => ({ name, address: name });

let broker: TestBroker;
let agents: InProcessAgents;
let children: Record<string, AgentProcess>;
let responder: Responder;
let control: NatsConnection;

before(async () => {
  broker = await startTestBroker(identities);
  const files = broker.files('alice');
  control = await connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
  const [started, ...processes] = await Promise.all([
    startAgents(broker, real),
    ...faulty.map((host) => startAgentProcess(broker, host, control)),
  ]);
  agents = started as InProcessAgents;
  children = Object.fromEntries(faulty.map((host, i) => [host, processes[i] as AgentProcess]));
  responder = await startResponder({
    url: broker.url, files: broker.files('fleet'), hosts: [...hosts, 'liar.dc1', 'slow.dc1'], impostors: new Set(['liar.dc1']), slow: new Set(['slow.dc1']), slowMs: 600,
  });
});
after(async () => {
  await responder?.stop();
  await Promise.all(Object.values(children ?? {}).map((child) => child.kill()));
  await agents?.stop();
  await control?.close();
  await broker?.stop();
});

/**
 * Asserts that process group `pgid` (a command the agent started, detached) is gone. Dead
 * members not yet reaped count as gone: the command's shell dies first, its children are
 * handed to PID 1, and this machine's PID 1 reaps them late (they show as `Z <defunct>`).
 */
function assertGroupGone(pgid: number): void {
  assert.ok(pgid > 0, 'no process group seen');
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ESRCH');
    return;
  }
  const members = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' }).split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === String(pgid));
  const alive = members.filter((fields) => !fields[2]?.startsWith('Z'));
  assert.deepEqual(alive.map((fields) => fields.join(' ')), [], `process group ${pgid} is still there`);
}

function transportAs(operator: string, extra: Partial<NatsTransportOptions> = {}) {
  return natsTransport({ servers: [broker.url], ...broker.files(operator), operator, ...extra });
}

describe('natsTransport', () => {
  test('exec: exit code, stdout and stderr apart, streamed to the callbacks', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0001.dc1'));
      const streamed: string[] = [];
      const result = await session.exec('printf out; printf err >&2; exit 3', { onStdout: (chunk) => void streamed.push(chunk.toString()) });
      assert.equal(result.exitCode, 3);
      assert.equal(result.signal, null);
      assert.equal(result.stdout.toString(), 'out');
      assert.equal(result.stderr.toString(), 'err');
      assert.equal(streamed.join(''), 'out');
      const killed = await session.exec('kill -TERM $$');
      assert.deepEqual([killed.exitCode, killed.signal], [null, 'SIGTERM']);
    } finally {
      await transport.close();
    }
  });

  test('exec: stdin inline (small) and chunked (1 MiB) reaches the command exactly', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0002.dc1'));
      assert.equal((await session.exec('cat', { stdin: 'hello\n' })).stdout.toString(), 'hello\n');
      const big = randomBytes(1024 * 1024 + 17);
      const result = await session.exec('sha256sum', { stdin: big });
      assert.equal(result.stdout.toString().split(' ')[0], createHash('sha256').update(big).digest('hex'));
      assert.equal((await session.exec('wc -c')).stdout.toString().trim(), '0', 'no stdin: closed at once');
    } finally {
      await transport.close();
    }
  });

  test('exec: the cap keeps maxOutputBytes and says it cut; the callback still sees everything', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0003.dc1'));
      let seen = 0;
      const result = await session.exec("head -c 300000 /dev/zero | tr '\\0' a", { maxOutputBytes: 1000, onStdout: (chunk) => { seen += chunk.length; } });
      assert.equal(result.stdout.length, 1000);
      assert.equal(result.stdoutTruncated, true);
      assert.equal(result.stderrTruncated, false);
      assert.equal(seen, 300000);
    } finally {
      await transport.close();
    }
  });

  test('exec: a consumer that returns promises gets the chunks in order, one at a time, and the result waits for it', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0010.dc1'));
      const taken: Buffer[] = [];
      let busy = false;
      let overlapped = false;
      const result = await session.exec('seq 1 20000', {
        onStdout: async (chunk) => {
          if (busy) overlapped = true;
          busy = true;
          await new Promise((resolve) => setImmediate(resolve));
          taken.push(chunk);
          busy = false;
        },
      });
      assert.equal(overlapped, false);
      const expected = `${Array.from({ length: 20000 }, (_, i) => i + 1).join('\n')}\n`;
      assert.equal(Buffer.concat(taken).toString(), expected, 'every chunk taken, in order, before exec resolved');
      assert.equal(result.stdout.toString(), expected);
    } finally {
      await transport.close();
    }
  });

  test('exec: abort sends command.cancel, the command dies, ExecAbortedError keeps the output so far', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0004.dc1'));
      const controller = new AbortController();
      const running = session.exec('echo started $$; sleep 30; echo never', {
        signal: controller.signal,
        onStdout: (chunk) => { if (chunk.toString().includes('started')) controller.abort(new Error('timed out after 1.0s')); },
      });
      const error = await running.then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ExecAbortedError, String(error));
      assert.equal(error.message, 'timed out after 1.0s');
      const partial = /^started (\d+)\n$/.exec(error.partial.stdout.toString());
      assert.ok(partial, error.partial.stdout.toString());
      assert.equal(error.partial.exitCode, null);
      assertGroupGone(Number(partial[1])); // the command was killed before exec rejected
      const early = new AbortController();
      early.abort(new Error('not now'));
      await assert.rejects(session.exec('true', { signal: early.signal }), /not now/);
    } finally {
      await transport.close();
    }
  });

  test('session.close stops what still runs on it', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('web0011.dc1'));
      let pgid = 0;
      const running = session.exec('echo $$; sleep 30', { onStdout: (chunk) => { pgid = Number(chunk.toString().trim()); void session.close(); } });
      const error = await running.then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ExecAbortedError, String(error));
      assert.equal(error.message, 'session with web0011.dc1 closed');
      assertGroupGone(pgid);
    } finally {
      await transport.close();
    }
  });

  test('connect asks the agent nothing; a session\'s first request: no agent for the host is unreachable (refused) at once', async () => {
    const transport = transportAs('alice');
    // A spy on a host with an agent: its subscription changes no outcome there.
    const spy = await startSpy(broker, 'spy', 'muster.agent.web0005%2Edc1.>');
    try {
      await transport.connect(target('web0005.dc1')); // the connection is open: time only the requests
      await spy.sync();
      assert.deepEqual(spy.seen, [], 'connect sent nothing');
      const startedAt = performance.now();
      const session = await transport.connect(target('nobody.dc1'));
      for (const request of [() => session.exec('true'), () => session.call('ping', 'get'), () => session.call('file', 'stat', { path: '/' })]) {
        const error = await request().then(() => assert.fail('answered'), (caught: unknown) => caught);
        assert.ok(error instanceof ConnectError, String(error));
        assert.equal(error.reason, 'refused');
        assert.equal(error.message, 'no agent connected for nobody.dc1');
      }
      const took = performance.now() - startedAt;
      assert.ok(took < 300, `took ${took} ms`);
    } finally {
      await spy.close();
      await transport.close();
    }
  });

  test('a session\'s first request: an agent subscribed but silent is a NoAnswerError (timeout) after the connect timeout', async () => {
    const transport = transportAs('alice', { connectTimeoutMs: 300 });
    const quiet = children['quiet.dc1'];
    quiet?.child.kill('SIGSTOP');
    try {
      const session = await transport.connect(target('quiet.dc1'));
      // exec by the agent's `start`; a plain call by the ping sent beside it; ping.get by itself.
      for (const request of [() => session.exec('true'), () => session.call('file', 'stat', { path: '/' }), () => session.call('ping', 'get')]) {
        const startedAt = performance.now();
        const error = await request().then(() => assert.fail('answered'), (caught: unknown) => caught);
        assert.ok(error instanceof NoAnswerError, String(error));
        assert.equal(error.message, 'the agent of quiet.dc1 did not answer within 300ms');
        assert.ok(performance.now() - startedAt < 2000, 'bounded by the connect timeout, not the call timeout');
      }
    } finally {
      quiet?.child.kill('SIGCONT');
      await transport.close();
    }
  });

  test('a session\'s first request may take longer than the connect timeout once the agent has answered', async () => {
    const transport = transportAs('alice', { connectTimeoutMs: 200 });
    try {
      // The agent's `start` comes at once; the command runs on past the connect timeout.
      const result = await (await transport.connect(target('web0009.dc1'))).exec('sleep 0.5; echo slow');
      assert.equal(result.stdout.toString(), 'slow\n');
      // The ping beside a plain call answers at once; the call's own answer comes after 600 ms.
      const reply = await (await transport.connect(target('slow.dc1'))).call('file', 'stat', { path: '/' });
      assert.deepEqual(reply, { ok: true, host: 'slow.dc1', value: { host: 'slow.dc1' } });
    } finally {
      await transport.close();
    }
  });

  test('exec: an agent that stops sending during a command is given up (ConnectError closed)', async () => {
    const transport = transportAs('alice', { silenceMs: 400 });
    try {
      const session = await transport.connect(target('mute.dc1'));
      // The agent stops (SIGSTOP) once the command's first output has come: no more beats, no exit.
      const mute = children['mute.dc1'];
      const error = await session.exec('echo up; sleep 5', { onStdout: () => void mute?.child.kill('SIGSTOP') }).then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.reason, 'closed');
      assert.match(error.message, /^agent on mute\.dc1 stopped answering/);
    } finally {
      children['mute.dc1']?.child.kill('SIGCONT');
      await transport.close();
    }
  });

  test('exec: an agent killed mid-command is given up (ConnectError closed), and is unreachable after', async () => {
    const transport = transportAs('alice', { silenceMs: 400 });
    try {
      const session = await transport.connect(target('doomed.dc1'));
      const doomed = children['doomed.dc1'];
      const error = await session.exec('echo up; sleep 3', { onStdout: () => void doomed?.child.kill('SIGKILL') }).then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.reason, 'closed');
      assert.match(error.message, /^agent on doomed\.dc1 stopped answering/);
      await doomed?.kill();
      // Its subscription went with its connection: NATS "no responders".
      await assert.rejects((await transport.connect(target('doomed.dc1'))).exec('true'), /no agent connected for doomed\.dc1/);
    } finally {
      await transport.close();
    }
  });

  test('an answer from another host than the one asked is reported, not used (exec and call)', async () => {
    const transport = transportAs('alice');
    try {
      const session = await transport.connect(target('liar.dc1'));
      for (const request of [() => session.exec('true'), () => session.call('ping', 'get'), () => session.call('file', 'stat', { path: '/' })]) {
        const error = await request().then(() => assert.fail('answered'), (caught: unknown) => caught);
        assert.ok(error instanceof ConnectError, String(error));
        assert.equal(error.message, 'the agent asked for liar.dc1 answered as "liar.dc1-impostor": reply not used');
      }
    } finally {
      await transport.close();
    }
  });

  test('a call the broker refuses this operator is one BrokerRefusedError, and the next ones fail without sending', async () => {
    const transport = transportAs('audit');
    try {
      const session = await transport.connect(target('web0006.dc1'));
      await assert.rejects(session.exec('true'), new BrokerRefusedError('audit', 'command.run'));
      assert.equal(transport.failure()?.message, 'the broker refused: operator audit may not call command.run');
      const spy = await startSpy(broker, 'spy', 'muster.agent.web0007%2Edc1.>');
      try {
        const other = await transport.connect(target('web0007.dc1'));
        await assert.rejects(other.exec('true'), /operator audit may not call command\.run/);
        await spy.sync();
      } finally {
        await spy.close();
      }
      assert.deepEqual(spy.seen.map((request) => request.subject), [], 'nothing sent for the second host');
    } finally {
      await transport.close();
    }
  });

  test('call: a module reply, ok or not, comes back as the agent sent it', async () => {
    const transport = transportAs('alice');
    try {
      const file = join(broker.dir, 'ca.crt');
      const stats = statSync(file);
      const stat = await transport.call(target('web0008.dc1'), 'file', 'stat', { path: file });
      assert.ok(stat.ok, JSON.stringify(stat));
      assert.equal(stat.host, 'web0008.dc1');
      assert.deepEqual(stat.value, {
        path: file, exists: true, type: 'file', size: stats.size, mode: (stats.mode & 0o7777).toString(8).padStart(4, '0'), uid: stats.uid, gid: stats.gid,
        owner: (stat.value as { owner: unknown }).owner, group: (stat.value as { group: unknown }).group, mtime: stats.mtime.toISOString(),
      });
      const failed = await transport.call(target('web0008.dc1'), 'file', 'read', { path: '/nonexistent/muster-test' });
      assert.deepEqual(failed, { ok: false, host: 'web0008.dc1', error: { code: 'failed', message: 'cannot read /nonexistent/muster-test: ENOENT' } });
      await assert.rejects(transport.call(target('nobody.dc1'), 'ping', 'get'), /no agent connected for nobody\.dc1/);
    } finally {
      await transport.close();
    }
  });

  test('the broker connection: a certificate the broker does not know is one clear line, the operation\'s failure', async () => {
    await broker.setUsers(identities.filter((identity) => identity.name !== 'ghost'));
    const transport = transportAs('ghost', { connectTimeoutMs: 2000 });
    try {
      const error = await transport.connect(target('web0009.dc1')).then(() => assert.fail('connected'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.match(transport.failure()?.message ?? '', /Authorization Violation/);
      assert.match(transport.failure()?.message ?? '', /^Cannot connect to the broker \(tls:\/\/127\.0\.0\.1:\d+\) as operator ghost: .+/);
      assert.doesNotMatch(transport.failure()?.message ?? '', /\n/);
    } finally {
      await transport.close();
      await broker.setUsers(identities);
    }
    const missing = natsTransport({ servers: [broker.url], ...broker.files('alice'), cert: '/nonexistent/alice.crt', operator: 'alice' });
    await assert.rejects(missing.connect(target('web0009.dc1')), /no readable certificate at \/nonexistent\/alice\.crt/);
    await missing.close();
  });

  test('1,000 sessions share one connection: every host answers, each its own', async () => {
    const transport = transportAs('alice');
    // Every host here has an answer (the fake's), so the spy's subscription changes no outcome.
    const spy = await startSpy(broker, 'spy', 'muster.agent.*.ping.get');
    try {
      const startedAt = performance.now();
      const sessions = await Promise.all(hosts.map((host) => transport.connect(target(host))));
      const replies = await Promise.all(sessions.map((session) => session.call('ping', 'get')));
      const took = performance.now() - startedAt;
      assert.deepEqual(replies.map((reply) => reply.ok && (reply.value as { host: string }).host), hosts);
      // Every request named a reply subject of one reply mux, which is one per broker connection.
      await spy.sync();
      const requests = spy.seen;
      assert.equal(requests.length, 1000, 'one ping.get per call, nothing per connect');
      const replyPrefixes = new Set(requests.map((request) => request.reply?.slice(0, request.reply.lastIndexOf('.'))));
      assert.equal(replyPrefixes.size, 1, [...replyPrefixes].join(' '));
      assert.ok(took < 5000, `1,000 connects and calls took ${Math.round(took)} ms`);
      // Commands on the same connection, on the real agents.
      const results = await Promise.all(real.map(async (host) => (await transport.connect(target(host))).exec('echo $0')));
      assert.ok(results.every((result) => result.stdout.toString() === '/bin/sh\n'));
    } finally {
      await spy.close();
      await transport.close();
    }
  });
});

