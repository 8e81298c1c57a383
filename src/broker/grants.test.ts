/**
 * The GENERATED operator permissions (brokerUsers) on a real nats-server, against a real agent:
 * a ping-only operator and an auditor (facts, file.read) cannot get command.run or file.write
 * executed by any spelling of the subject (`….ping.command.run`, `….facts.file.write`, on a
 * host or a role, one token more or less).
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { agentDir } from '../agent/agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from '../agent/daemon.js';
import { inboxPrefix } from '../core/subjects.js';
import type { CertRecord } from '../ca/records.js';
import type { Inventory } from '../inventory/types.js';
import { startTestBroker, type TestBroker } from '../transport/nats/testBroker.test-helper.js';
import { brokerUsers, grantSubjects } from './authorization.js';

const marker = join(tmpdir(), `muster-grants-${process.pid}`);

/** The smallest inventory brokerUsers reads: host web01 of role web, operators and their permission roles. */
function inventory(): Inventory {
  return {
    hostsByName: new Map([['web01', { name: 'web01', roles: ['web'] }]]),
    agents: { operators: { audit: ['auditor'], pinger: [] }, permissions: { auditor: ['facts', 'file.read'] } },
  } as unknown as Inventory;
}

const record = (kind: CertRecord['kind'], name: string): CertRecord => ({ kind, name, spki: '00' } as CertRecord);

it('grants a whole module as <module>.*, never <module>.>', () => {
  assert.deepEqual(grantSubjects('ping'), ['muster.agent.*.ping.*', 'muster.role.*.ping.*']);
  assert.ok(grantSubjects('command.run').includes('muster.agent.*.command.alive'));
});

describe('generated grants on a real broker and agent', () => {
  let broker: TestBroker;
  let agent: AgentDaemon;
  const open: NatsConnection[] = [];

  before(async () => {
    const users = brokerUsers(inventory(), [record('agent', 'web01'), record('operator', 'pinger'), record('operator', 'audit')]);
    const permissionsOf = (name: string): unknown => users.find((user) => user.name === name)?.permissions;
    broker = await startTestBroker([
      { name: 'web01', kind: 'agent', permissions: permissionsOf('web01') },
      { name: 'pinger', kind: 'operator', permissions: permissionsOf('pinger') },
      { name: 'audit', kind: 'operator', permissions: permissionsOf('audit') },
    ]);
    agent = await startAgent({ dir: agentDir(broker, 'web01', ['web']), log: () => undefined, handleSignals: false, graceMs: 500 });
  });

  after(async () => {
    await Promise.all(open.map((nc) => nc.close()));
    await agent?.stop();
    await broker?.stop();
    rmSync(marker, { force: true });
  });

  const as = async (name: string): Promise<NatsConnection> => {
    const files = broker.files(name);
    const nc = await connect({ servers: broker.url, tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca }, inboxPrefix: inboxPrefix(name), reconnect: false });
    open.push(nc);
    return nc;
  };

  /** Publishes a request to `subject` with a reply to the operator's inbox; resolves with what came back (or `none` after a flush round). */
  const attempt = async (nc: NatsConnection, name: string, subject: string, body: unknown): Promise<string> => {
    try {
      const reply = await nc.request(subject, JSON.stringify(body), { timeout: 1500, noMux: true, reply: createInbox(inboxPrefix(name)) });
      return reply.string();
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('lets the ping-only operator ping, so the refusals below are the grants at work', async () => {
    const nc = await as('pinger');
    assert.match(await attempt(nc, 'pinger', 'muster.agent.web01.ping.get', { v: 1, args: {} }), /"ok":true/);
  });

  for (const [name, module] of [['pinger', 'ping'], ['audit', 'facts'], ['audit', 'file']] as const) {
    it(`${name} cannot run a command or write a file through ${module}`, async () => {
      rmSync(marker, { force: true });
      const nc = await as(name);
      const run = { v: 1, id: 'grant1', command: `touch ${marker}` };
      const write = { v: 1, args: { path: marker, data: 'eA==' } };
      const spellings: Array<[string, unknown]> = [];
      for (const scope of ['agent.web01', 'role.web']) {
        spellings.push([`muster.${scope}.${module}.command.run`, run], [`muster.${scope}.${module}.x.command.run`, run],
          [`muster.${scope}.${module}.file.write`, write], [`muster.${scope}.command.run`, run], [`muster.${scope}.file.write`, write]);
      }
      for (const [subject, body] of spellings) {
        const answer = await attempt(nc, name, subject, body);
        assert.doesNotMatch(answer, /"t":"start"|"ok":true/, `${subject} was answered: ${answer}`);
      }
      // The agent's replies, had it run anything, would have come before these: a command takes a moment, so wait for a ping round trip.
      assert.match(await attempt(nc, name, 'muster.agent.web01.ping.get', { v: 1, args: {} }), /"ok":true/);
      assert.equal(existsSync(marker), false, 'a command or a write was executed');
    });
  }
});
