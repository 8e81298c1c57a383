/**
 * `ca revoke` on a running broker: the record marked revoked, `refreshBrokers`, and the
 * identity's live connection is closed within 2 s and cannot come back. And the reply
 * limits (`allow_responses`): a long stream passes, one past the limit is cut.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { brokerDir } from '../ca/paths.js';
import { inboxPrefix } from '../core/subjects.js';
import type { Inventory } from '../inventory/types.js';
import { brokerDown, brokerStatus, brokerUp, describeRefresh, refreshBrokers } from './process.js';
import { makeCaTestState, type TestState } from './testState.test-helper.js';
import { freeBasePorts, testInventory } from './testInventory.test-helper.js';

interface Broker {
  state: TestState;
  inventory: Inventory;
  url: string;
  as(name: string, options?: { reconnect?: boolean }): Promise<NatsConnection>;
  stop(): Promise<void>;
}

async function broker(replyLimits?: { max: number; expires: string }): Promise<Broker> {
  const state = await makeCaTestState({ agents: ['web01', 'web02'], operators: ['alice'] });
  const [port] = await freeBasePorts(1);
  const inventory = await testInventory(state.stateDir, [port ?? 0]);
  const [node] = await brokerUp(inventory, state.stateDir, replyLimits ? { replyLimits } : {});
  const url = node?.url ?? '';
  const open: NatsConnection[] = [];
  return {
    state, inventory, url,
    async as(name, options = {}) {
      const nc = await connect({
        servers: url, tls: state.files(name), inboxPrefix: inboxPrefix(name), name, timeout: 3000,
        reconnect: options.reconnect ?? false, maxReconnectAttempts: -1, reconnectTimeWait: 50, reconnectJitter: 0, reconnectJitterTLS: 0,
      });
      open.push(nc);
      return nc;
    },
    async stop() {
      await Promise.all(open.map((nc) => nc.close()));
      await brokerDown(state.stateDir);
      state.remove();
    },
  };
}

/** Sends one request with `count` replies streamed back, and resolves with how many arrived (all sent and delivered first). */
async function stream(agent: NatsConnection, caller: NatsConnection, count: number): Promise<{ received: number; refused: number }> {
  let refused = 0;
  const statuses = (async () => {
    for await (const status of agent.status()) if (status.type === 'error') refused++;
  })();
  let sent!: () => void;
  const allSent = new Promise<void>((resolve) => { sent = resolve; });
  agent.subscribe('muster.agent.web01.command.run', {
    callback: (_error, msg) => {
      for (let seq = 0; seq < count; seq++) msg.respond(`${seq}`);
      sent();
    },
  });
  await agent.flush();
  let received = 0;
  const reply = `${inboxPrefix('alice')}.stream`;
  caller.subscribe(reply, { callback: () => { received++; } });
  caller.publish('muster.agent.web01.command.run', '{}', { reply });
  await allSent;
  // The agent's flush returns once the broker has handled all its replies (and sent any
  // refusals); the caller's, once everything routed to it before that has arrived.
  await agent.flush();
  await caller.flush();
  void statuses;
  return { received, refused };
}

describe('revocation', () => {
  let b: Broker;
  before(async () => { b = await broker(); });
  after(async () => { await b.stop(); });

  it('closes a revoked agent\'s live connection within 2 s, refuses it after, and leaves the others', async (t) => {
    const web01 = await b.as('web01', { reconnect: true });
    const web02 = await b.as('web02');
    const disconnected = (async () => {
      for await (const status of web01.status()) if (status.type === 'disconnect') return performance.now();
      return undefined;
    })();
    await b.state.revoke('web01');
    const started = performance.now();
    assert.deepEqual(await refreshBrokers(b.inventory, b.state.stateDir), { configured: true, confirmed: [1], unconfirmed: [] });
    const at = await disconnected;
    assert.ok(at !== undefined, 'web01 must be disconnected');
    const took = at - started;
    assert.ok(took < 2000, `disconnected after ${took.toFixed(0)} ms`);
    t.diagnostic(`revoked connection closed ${took.toFixed(0)} ms after refreshBrokers was called`);
    const auth = readFileSync(join(brokerDir(b.state.stateDir), 'auth.conf'), 'utf8');
    assert.doesNotMatch(auth, /CN=web01/);
    assert.match(auth, /CN=web02/);
    // It keeps trying (reconnect is on) and is refused each time; a fresh connection too.
    // nats.js says only "connection refused" for a failed handshake; the broker's log says why.
    await assert.rejects(b.as('web01'), /connection refused/);
    assert.match(readFileSync(join(brokerDir(b.state.stateDir), 'node-1.log'), 'utf8'), /TLS handshake error: certificate not pinned/);
    // web02 was not touched by the reload.
    assert.equal(web02.isClosed(), false);
    await web02.flush();
    // web01's client goes on retrying every 50 ms; a retry in its handshake counts as a connection.
    await web01.close();
    const [status] = await brokerStatus(b.state.stateDir);
    assert.equal(status?.alive, true);
    assert.equal(status?.connections, 1, 'only web02 is connected');
  });
});

describe('signing on a running broker', () => {
  let b: Broker;
  before(async () => { b = await broker(); });
  after(async () => { await b.stop(); });

  it('lets a newly signed identity in after up (kept, reloaded) or refreshBrokers', async () => {
    await assert.rejects(b.as('bob'), /no test identity bob/);
    await b.state.sign('operator', 'bob');
    await assert.rejects(b.as('bob'), /connection refused/, 'not pinned before the reload');
    const [before] = await brokerStatus(b.state.stateDir);
    const [node] = await brokerUp(b.inventory, b.state.stateDir);
    assert.equal(node?.action, 'kept');
    assert.equal(node?.pid, before?.pid);
    const bob = await b.as('bob');
    await bob.flush();
    await b.state.sign('agent', 'web03');
    // web03 is signed but not in the inventory: no user, and its key not pinned (the handshake fails).
    assert.deepEqual(await refreshBrokers(b.inventory, b.state.stateDir), { configured: true, confirmed: [1], unconfirmed: [] });
    await assert.rejects(b.as('web03'), /connection refused/);
  });

  it('says so when a node does not take the reload', async () => {
    // A node file broken by hand: nats-server refuses the reload and keeps its old config.
    appendFileSync(join(brokerDir(b.state.stateDir), 'node-1.conf'), 'listen: {{{\n');
    const refreshed = await refreshBrokers(b.inventory, b.state.stateDir);
    assert.deepEqual(refreshed, { configured: true, confirmed: [], unconfirmed: [1] });
    assert.equal(describeRefresh(refreshed), 'brokers reloaded: 1, but node 1 did not confirm in 2 s (see STATE/broker/node-N.log)');
    assert.match(readFileSync(join(brokerDir(b.state.stateDir), 'node-1.log'), 'utf8'), /Failed to reload server configuration/i);
  });
});

describe('agent reply limits', () => {
  let limited: Broker;
  let normal: Broker;
  before(async () => { [limited, normal] = await Promise.all([broker({ max: 50, expires: '1h' }), broker()]); });
  after(async () => { await Promise.all([limited.stop(), normal.stop()]); });

  it('cuts a stream of replies at the limit: the broker, not the agent, counts', async () => {
    const result = await stream(await limited.as('web01'), await limited.as('alice'), 60);
    assert.deepEqual(result, { received: 50, refused: 10 });
  });

  it('lets a long stream through with the default limits', async () => {
    const result = await stream(await normal.as('web01'), await normal.as('alice'), 20_000);
    assert.deepEqual(result, { received: 20_000, refused: 0 });
  });
});
