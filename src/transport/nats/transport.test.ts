/**
 * The nats transport against a real TLS nats-server (testBroker) and the in-test responder
 * (responder.test-helper.ts) running real /bin/sh commands.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConnectError, ExecAbortedError, NoAnswerError, type Target } from '../types.js';
import { BrokerRefusedError } from './errors.js';
import { startResponder, type Behaviour, type Responder } from './responder.test-helper.js';
import { startTestBroker, type TestBroker, type TestIdentity } from './testBroker.test-helper.js';
import { natsTransport, type NatsTransportOptions } from './transport.js';

const hosts = Array.from({ length: 1000 }, (_, i) => `web${String(i + 1).padStart(4, '0')}.dc1`);
const behaviours: Record<string, Behaviour> = { 'quiet.dc1': 'silent', 'mute.dc1': 'mute-after-start', 'liar.dc1': 'impostor' };
const identities: TestIdentity[] = [
  { name: 'fleet', kind: 'agent' },
  { name: 'alice', kind: 'operator' },
  { name: 'ghost', kind: 'operator' },
  { name: 'audit', kind: 'operator', permissions: { publish: { allow: ['muster.agent.*.ping.>'] }, subscribe: { allow: ['muster.inbox.audit.>'] } } },
];
const target = (name: string): Target => ({ name, address: name });

let broker: TestBroker;
let responder: Responder;

before(async () => {
  broker = await startTestBroker(identities);
  responder = await startResponder({
    url: broker.url,
    files: broker.files('fleet'),
    hosts: [...hosts, ...Object.keys(behaviours)],
    behaviour: (host) => behaviours[host] ?? 'ok',
    beatMs: 100,
  });
});
after(async () => {
  await responder?.stop();
  await broker?.stop();
});

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
      const running = session.exec('echo started; sleep 30; echo never', {
        signal: controller.signal,
        onStdout: (chunk) => { if (chunk.toString().includes('started')) controller.abort(new Error('timed out after 1.0s')); },
      });
      const error = await running.then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ExecAbortedError, String(error));
      assert.equal(error.message, 'timed out after 1.0s');
      assert.equal(error.partial.stdout.toString(), 'started\n');
      assert.equal(error.partial.exitCode, null);
      assert.equal(responder.running(), 0, 'the command was killed before exec rejected');
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
      const running = session.exec('echo up; sleep 30', { onStdout: () => session.close() });
      const error = await running.then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ExecAbortedError, String(error));
      assert.equal(error.message, 'session with web0011.dc1 closed');
      assert.equal(responder.running(), 0);
    } finally {
      await transport.close();
    }
  });

  test('connect: no agent for the host is unreachable (refused) at once', async () => {
    const transport = transportAs('alice');
    try {
      await transport.connect(target('web0005.dc1')); // the connection is open: time only the request
      const startedAt = performance.now();
      const error = await transport.connect(target('nobody.dc1')).then(() => assert.fail('connected'), (caught: unknown) => caught);
      const took = performance.now() - startedAt;
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.reason, 'refused');
      assert.equal(error.message, 'no agent connected for nobody.dc1');
      assert.ok(took < 200, `took ${took} ms`);
    } finally {
      await transport.close();
    }
  });

  test('connect: an agent that is subscribed but silent is a NoAnswerError (timeout) after the connect timeout', async () => {
    const transport = transportAs('alice', { connectTimeoutMs: 300 });
    try {
      const error = await transport.connect(target('quiet.dc1')).then(() => assert.fail('connected'), (caught: unknown) => caught);
      assert.ok(error instanceof NoAnswerError, String(error));
      assert.equal(error.message, 'the agent of quiet.dc1 did not answer within 300ms');
    } finally {
      await transport.close();
    }
  });

  test('exec: an agent that stops sending during a command is given up (ConnectError closed)', async () => {
    const transport = transportAs('alice', { silenceMs: 400 });
    try {
      const session = await transport.connect(target('mute.dc1'));
      const error = await session.exec('sleep 5').then(() => assert.fail('resolved'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.reason, 'closed');
      assert.match(error.message, /^agent on mute\.dc1 stopped answering/);
    } finally {
      await transport.close();
    }
  });

  test('connect: an answer from another host than the one asked is reported, not used', async () => {
    const transport = transportAs('alice');
    try {
      const error = await transport.connect(target('liar.dc1')).then(() => assert.fail('connected'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.message, 'the agent asked for liar.dc1 answered as "liar.dc1-impostor": reply not used');
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
      const before = responder.seen.length;
      const other = await transport.connect(target('web0007.dc1'));
      await assert.rejects(other.exec('true'), /operator audit may not call command\.run/);
      assert.deepEqual(responder.seen.slice(before), ['web0007.dc1 ping.get']);
    } finally {
      await transport.close();
    }
  });

  test('call: a module reply, ok or not, comes back as the agent sent it', async () => {
    const transport = transportAs('alice');
    try {
      assert.deepEqual(await transport.call(target('web0008.dc1'), 'echo', 'args', { a: 1, b: [true] }), { ok: true, host: 'web0008.dc1', value: { a: 1, b: [true] } });
      const failed = await transport.call(target('web0008.dc1'), 'fail', 'now');
      assert.deepEqual(failed, { ok: false, host: 'web0008.dc1', error: { code: 'failed', message: 'it failed on web0008.dc1' } });
      await assert.rejects(transport.call(target('nobody.dc1'), 'echo', 'args'), /no agent connected for nobody\.dc1/);
    } finally {
      await transport.close();
    }
  });

  test('the broker connection: a certificate the broker does not know is one clear line, the operation\'s failure', async () => {
    broker.setUsers(identities.filter((identity) => identity.name !== 'ghost'));
    const transport = transportAs('ghost', { connectTimeoutMs: 2000 });
    try {
      const error = await transport.connect(target('web0009.dc1')).then(() => assert.fail('connected'), (caught: unknown) => caught);
      assert.ok(error instanceof ConnectError, String(error));
      assert.match(transport.failure()?.message ?? '', /Authorization Violation/);
      assert.match(transport.failure()?.message ?? '', /^Cannot connect to the broker \(tls:\/\/127\.0\.0\.1:\d+\) as operator ghost: .+/);
      assert.doesNotMatch(transport.failure()?.message ?? '', /\n/);
    } finally {
      await transport.close();
      broker.setUsers(identities);
    }
    const missing = natsTransport({ servers: [broker.url], ...broker.files('alice'), cert: '/nonexistent/alice.crt', operator: 'alice' });
    await assert.rejects(missing.connect(target('web0009.dc1')), /no readable certificate at \/nonexistent\/alice\.crt/);
    await missing.close();
  });

  test('1,000 sessions share one connection: every host answers, each its own', async () => {
    const transport = transportAs('alice');
    try {
      responder.replyPrefixes.clear();
      const startedAt = performance.now();
      const sessions = await Promise.all(hosts.map((host) => transport.connect(target(host))));
      const replies = await Promise.all(sessions.map((session) => session.call('echo', 'args', { host: session.target.name })));
      const took = performance.now() - startedAt;
      assert.deepEqual(replies.map((reply) => reply.ok && (reply.value as { host: string }).host), hosts);
      // Every reply went to one reply mux, which is one per broker connection.
      assert.equal(responder.replyPrefixes.size, 1, [...responder.replyPrefixes].join(' '));
      assert.ok(took < 5000, `1,000 connects and calls took ${Math.round(took)} ms`);
      const results = await Promise.all(sessions.slice(0, 20).map((session) => session.exec('echo $0')));
      assert.ok(results.every((result) => result.stdout.toString() === '/bin/sh\n'));
    } finally {
      await transport.close();
    }
  });
});

