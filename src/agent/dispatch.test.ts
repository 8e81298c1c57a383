/**
 * What a real agent refuses whatever the broker lets through (its operator here may publish
 * anything): a subject that is not exactly `muster.(agent|role).<own token>.<module>.<action>`,
 * a reply subject that is no operator's inbox, a request id of other characters; and what
 * its log line may show of a reply subject.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createInbox, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '../transport/nats/protocol.js';
import type { TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { agentDir, brokerFor, operator, runCommand } from './agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from './daemon.js';
import { callOf, inboxOf } from './dispatch.js';

let broker: TestBroker;
let agent: AgentDaemon;
let nc: NatsConnection;
const lines: string[] = [];
const host = 'disp01';
const marker = join(tmpdir(), `muster-dispatch-${process.pid}`);

before(async () => {
  broker = await brokerFor([host]);
  agent = await startAgent({ dir: agentDir(broker, host, ['web']), log: (line) => void lines.push(line), handleSignals: false, graceMs: 500 });
  nc = await operator(broker);
});

after(async () => {
  await nc?.close();
  await agent?.stop();
  await broker?.stop();
  rmSync(marker, { force: true });
});

const ping = async (): Promise<void> => {
  const reply = await nc.request(`muster.agent.${host}.ping.get`, JSON.stringify({ v: 1 }), { timeout: 5000 });
  assert.equal(reply.json<{ ok: boolean }>().ok, true);
};

test('callOf takes exactly five tokens addressed to this agent', () => {
  const mine = { host: 'web01', roles: ['web'] };
  assert.deepEqual(callOf('muster.agent.web01.ping.get', mine), { module: 'ping', action: 'get' });
  assert.deepEqual(callOf('muster.role.web.file.read', mine), { module: 'file', action: 'read' });
  for (const subject of ['muster.agent.web01.ping.command.run', 'muster.role.web.facts.file.write', 'muster.agent.web02.ping.get',
    'muster.role.db.ping.get', 'muster.agent.web01.ping', 'other.agent.web01.ping.get', 'muster.inbox.web01.ping.get']) {
    assert.equal(callOf(subject, mine), undefined, subject);
  }
});

test('inboxOf takes only muster.inbox.<token>.<rest>', () => {
  assert.equal(inboxOf('muster.inbox.alice.abc.1'), 'alice');
  for (const reply of [undefined, '', '_INBOX.abc', 'muster.agent.web01.command.run', 'muster.inbox.alice', 'muster.inbox.al*ce.x', 'muster.inbox.alice.']) {
    assert.equal(inboxOf(reply), undefined, String(reply));
  }
});

test('a command.run behind a longer subject is refused and not run', async () => {
  rmSync(marker, { force: true });
  for (const subject of [`muster.agent.${host}.ping.command.run`, `muster.role.web.ping.command.run`, `muster.agent.${host}.x.y.command.run`]) {
    const reply = await nc.request(subject, JSON.stringify({ v: 1, id: 'long1', command: `touch ${marker}` }), { timeout: 5000 });
    const body = reply.json<{ ok: boolean; error?: { code: string } }>();
    assert.equal(body.ok, false, subject);
    assert.equal(body.error?.code, 'bad-request', subject);
  }
  assert.equal(existsSync(marker), false);
});

test('a request whose reply subject is not an inbox is dropped: nothing runs, nothing is published there', async () => {
  rmSync(marker, { force: true });
  const victim = `muster.agent.other.command.run`;
  const seen: string[] = [];
  const sub = nc.subscribe(victim, { callback: (_error, msg) => void seen.push(msg.string()) });
  const inboxSub = nc.subscribe('_INBOX.forged', { callback: (_error, msg) => void seen.push(msg.string()) });
  await nc.flush();
  const before = lines.length;
  for (const reply of [victim, '_INBOX.forged']) nc.publish(`muster.agent.${host}.command.run`, JSON.stringify({ v: 1, id: 'drop1', command: `touch ${marker}` }), { reply });
  await ping();
  await nc.flush();
  sub.unsubscribe();
  inboxSub.unsubscribe();
  assert.deepEqual(seen, []);
  assert.equal(existsSync(marker), false);
  const dropped = lines.slice(before).filter((line) => line.includes('dropped'));
  assert.equal(dropped.length, 2, lines.slice(before).join('\n'));
});

test('the log names the raw inbox token and cannot be forged with %0A', async () => {
  const before = lines.length;
  const inbox = createInbox(`muster.inbox.x%0A2026-01-01T00%3A00Z_alice_command%2Erun_exit_0`);
  const reply = await nc.request(`muster.agent.${host}.ping.get`, JSON.stringify({ v: 1 }), { timeout: 5000, noMux: true, reply: inbox });
  assert.equal(reply.json<{ ok: boolean }>().ok, true);
  const line = lines.slice(before).find((text) => text.includes('ping.get'));
  assert.ok(line?.startsWith("x%0A2026-01-01T00%3A00Z_alice_command%2Erun_exit_0 ping.get ok"), line);
  assert.ok(lines.every((text) => !text.includes('\n')));
});

test('a request id of other characters is refused (command.run, cancel)', async () => {
  const trace = await runCommand(nc, host, { id: 'a b\nc', command: 'true' });
  assert.ok(trace.last.t === 'error' && trace.last.error.code === 'bad-request', JSON.stringify(trace.last));
  const long = await runCommand(nc, host, { id: 'x'.repeat(65), command: 'true' });
  assert.ok(long.last.t === 'error' && long.last.error.code === 'bad-request');
  const cancel = await nc.request(`muster.agent.${host}.command.cancel`, JSON.stringify({ id: '../x' }), { timeout: 5000 });
  assert.equal(cancel.json<{ ok: boolean }>().ok, false);
});

test('inbox prefix of the fixture operator is what inboxOf takes', () => {
  assert.equal(inboxOf(createInbox(inboxPrefix('alice'))), 'alice');
});
