/**
 * The generated authorization, enforced by a real nats-server started by `brokerUp` with
 * real certificates: what an agent and an operator may and may not do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { brokerDown, brokerUp } from './process.js';
import { makeTestState, type TestState } from './testState.test-helper.js';
import { freeBasePorts, testInventory } from './testInventory.test-helper.js';
import { inboxPrefix } from '../core/subjects.js';

/** Publishes to each subject and resolves with the errors the broker answers (the client reports them as status events). */
async function publishesRefused(nc: NatsConnection, subjects: string[]): Promise<string[]> {
  const statuses = nc.status();
  for (const subject of subjects) nc.publish(subject, '{}');
  const errors: string[] = [];
  for await (const status of statuses) {
    if (status.type === 'error') errors.push(String(status.error));
    if (errors.length === subjects.length) break;
  }
  return errors.sort();
}

describe('broker permissions (single node)', () => {
  let state: TestState;
  let url: string;
  const open: NatsConnection[] = [];

  const as = async (name: string, inbox = name): Promise<NatsConnection> => {
    const files = state.files(name);
    const nc = await connect({ servers: url, tls: files, inboxPrefix: inboxPrefix(inbox), reconnect: false, name });
    open.push(nc);
    return nc;
  };

  /** An agent that answers every request on its own host subject with `{ host }`. */
  const agent = async (host: string): Promise<NatsConnection> => {
    const nc = await as(host);
    nc.subscribe(`muster.agent.${host}.>`, { callback: (_error, msg) => { msg.respond(JSON.stringify({ ok: true, host, subject: msg.subject })); } });
    await nc.flush();
    return nc;
  };

  before(async () => {
    state = makeTestState({ agents: ['web01', 'web02'], operators: ['alice', 'audit', 'mallory'] });
    const [port] = await freeBasePorts(1);
    const inventory = await testInventory(state.stateDir, [port ?? 0]);
    const [node] = await brokerUp(inventory, state.stateDir);
    assert.equal(node?.action, 'started');
    url = node.url;
  });

  after(async () => {
    await Promise.all(open.map((nc) => nc.close()));
    await brokerDown(state.stateDir);
    state.remove();
  });

  it('lets an agent receive on its own subject, and an ops operator call it', async () => {
    await agent('web01');
    const alice = await as('alice');
    const reply = await alice.request('muster.agent.web01.command.run', '{}', { timeout: 5000 });
    assert.deepEqual(reply.json(), { ok: true, host: 'web01', subject: 'muster.agent.web01.command.run' });
  });

  it('delivers a role\'s requests to the agents of that role', async () => {
    const web02 = await as('web02');
    web02.subscribe('muster.role.web.>', { callback: (_error, msg) => { msg.respond(JSON.stringify({ ok: true, host: 'web02', subject: msg.subject })); } });
    await web02.flush();
    const alice = await as('alice');
    const reply = await alice.request('muster.role.web.facts.get', '{}', { timeout: 5000 });
    assert.deepEqual(reply.json(), { ok: true, host: 'web02', subject: 'muster.role.web.facts.get' });
  });

  it('refuses an agent subscribing to another agent\'s requests', async () => {
    const web02 = await as('web02');
    const sub = web02.subscribe('muster.agent.web01.>');
    const closed = await sub.closed;
    assert.ok(closed instanceof Error, 'the subscription must end with an error');
    assert.match(closed.message, /Permissions Violation for Subscription to "muster\.agent\.web01\.>"/);
    // Nor may it listen on every host, nor on a role it does not have.
    for (const subject of ['muster.agent.*.command.run', 'muster.role.db.>', '>']) {
      const error = await web02.subscribe(subject).closed;
      assert.ok(error instanceof Error && /Permissions Violation for Subscription/.test(error.message), `${subject}: ${String(error)}`);
    }
  });

  it('refuses an agent publishing anything but replies', async () => {
    const web02 = await as('web02');
    // Its request fails at once: it may not even subscribe to an inbox for the reply.
    await assert.rejects(web02.request('muster.agent.web01.command.run', '{}', { timeout: 5000 }), /Permissions Violation for Subscription to "muster\.inbox\.web02\./);
    // A connection of its own: the refused request above also reports its publish, later.
    const publisher = await as('web02');
    const subjects = ['muster.agent.web01.command.run', `${inboxPrefix('alice')}.x`, 'muster.role.web.facts.get'];
    assert.deepEqual(await publishesRefused(publisher, subjects), subjects.map((subject) => `PermissionViolationError: Permissions Violation for Publish to "${subject}"`).sort());
  });

  it('refuses an auditor running a command, lets it ask for facts and file.stat only', async () => {
    await agent('web01');
    const audit = await as('audit');
    await assert.rejects(audit.request('muster.agent.web01.command.run', '{}', { timeout: 5000 }), /Permissions Violation for Publish to "muster\.agent\.web01\.command\.run"/);
    await assert.rejects(audit.request('muster.role.web.command.run', '{}', { timeout: 5000 }), /Permissions Violation for Publish/);
    await assert.rejects(audit.request('muster.agent.web01.file.write', '{}', { timeout: 5000 }), /Permissions Violation for Publish/);
    assert.equal((await audit.request('muster.agent.web01.facts.get', '{}', { timeout: 5000 })).json<{ ok: boolean }>().ok, true);
    assert.equal((await audit.request('muster.agent.web01.file.stat', '{}', { timeout: 5000 })).json<{ ok: boolean }>().ok, true);
  });

  it('lets an operator not in the inventory ping, and nothing else', async () => {
    await agent('web01');
    const mallory = await as('mallory');
    assert.equal((await mallory.request('muster.agent.web01.ping.ping', '{}', { timeout: 5000 })).json<{ ok: boolean }>().ok, true);
    await assert.rejects(mallory.request('muster.agent.web01.facts.get', '{}', { timeout: 5000 }), /Permissions Violation for Publish/);
  });

  it('keeps an operator to its own inbox', async () => {
    const audit = await as('audit', 'alice');
    // With alice's inbox prefix, the reply subscription itself is refused.
    await assert.rejects(audit.request('muster.agent.web01.facts.get', '{}', { timeout: 3000 }), /Permissions Violation for Subscription/);
    const error = await (await as('alice')).subscribe(`${inboxPrefix('audit')}.>`).closed;
    assert.ok(error instanceof Error && /Permissions Violation for Subscription/.test(error.message), String(error));
  });
});
