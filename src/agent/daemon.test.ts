import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { maxRequestBytes, roleSubject } from '../transport/nats/protocol.js';
import type { TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { agentDir, brokerFor, call, operator } from './agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from './daemon.js';
import { operatorOf } from './dispatch.js';

let broker: TestBroker;
let agent: AgentDaemon;
let nc: NatsConnection;
const lines: string[] = [];

before(async () => {
  broker = await brokerFor(['web01.dc1']);
  agent = await startAgent({ dir: agentDir(broker, 'web01.dc1', ['web']), log: (line) => lines.push(line), handleSignals: false });
  nc = await operator(broker);
});

after(async () => {
  await nc.close();
  assert.equal(await agent.stop(), 0);
  await broker.stop();
});

test('ping answers with the host, the version and uptimes', async () => {
  const reply = await call(nc, 'web01.dc1', 'ping', 'get');
  assert.equal(reply.ok, true, JSON.stringify(reply));
  assert.ok(reply.ok);
  assert.equal(reply.host, 'web01.dc1');
  const value = reply.value as { host: string; version: string; uptime: number; agentUptime: number };
  assert.equal(value.host, 'web01.dc1');
  assert.match(value.version, /^\d+\.\d+\.\d+/);
  assert.ok(value.uptime > 0);
  assert.ok(value.agentUptime >= 0);
});

test('the agent answers on the subjects of its roles too', async () => {
  const reply = await nc.request(roleSubject('web', 'ping', 'get'), JSON.stringify({ v: 1 }), { timeout: 10_000 });
  assert.equal(reply.json<{ host: string }>().host, 'web01.dc1');
});

test('a malformed, unknown, oversized or other-version request gets an error reply and the agent keeps answering', async () => {
  const cases: Array<[string, string, unknown, string, RegExp]> = [
    ['ping', 'get', '{"v":1,', 'bad-request', /not JSON/],
    ['ping', 'get', '[1,2]', 'bad-request', /not a JSON object/],
    ['nosuch', 'get', { v: 1 }, 'unknown-module', /no module nosuch .*ping, file, facts, service, command/],
    ['file', 'explode', { v: 1 }, 'unknown-module', /module file has no action explode/],
    ['file', 'constructor', { v: 1 }, 'unknown-module', /no action constructor/],
    ['ping', 'get', { v: 2 }, 'version', /version 2 is not .* 1/],
    ['file', 'stat', { v: 1, args: { path: 'relative' } }, 'bad-request', /path: an absolute path/],
    ['file', 'stat', { v: 1, args: [] }, 'bad-request', /args must be a JSON object/],
    ['ping', 'get', JSON.stringify({ v: 1, pad: 'x'.repeat(maxRequestBytes) }), 'too-large', /larger than the 1048576/],
  ];
  for (const [module, action, payload, code, message] of cases) {
    const reply = await call(nc, 'web01.dc1', module, action, payload);
    assert.equal(reply.ok, false, `${module}.${action}: ${JSON.stringify(reply)}`);
    assert.ok(!reply.ok);
    assert.equal(reply.host, 'web01.dc1');
    assert.equal(reply.error.code, code, reply.error.message);
    assert.match(reply.error.message, message);
  }
  assert.equal((await call(nc, 'web01.dc1', 'ping', 'get')).ok, true);
});

test('one log line per request: who, what, outcome, duration; never the arguments', async () => {
  lines.length = 0;
  await call(nc, 'web01.dc1', 'file', 'stat', { v: 1, args: { path: '/etc/secret-looking-path' } });
  const line = lines.find((entry) => entry.includes('file.stat'));
  assert.ok(line, lines.join('\n'));
  assert.match(line, /^alice file\.stat ok \d+ms$/);
  assert.ok(!lines.some((entry) => entry.includes('secret-looking')));
});

test('operatorOf reads the inbox prefix of a reply subject', () => {
  assert.equal(operatorOf('muster.inbox.alice.abc.1'), 'alice');
  // Never decoded: a %0A in the token cannot start a forged log line.
  assert.equal(operatorOf('muster.inbox.bob%2Eops.x'), 'bob%2Eops');
  assert.equal(operatorOf('muster.inbox.bob%0A2026-01-01 root.x'), '?');
  assert.equal(operatorOf('_INBOX.abc'), '-');
  assert.equal(operatorOf(undefined), '-');
});
