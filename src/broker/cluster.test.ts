/**
 * `brokerUp --cluster 3` on loopback: a caller on node 1 reaches an agent on node 3, still
 * does with node 2 killed, only the broker's certificate may open a route, `brokerUp` again
 * keeps what runs, and `brokerDown` leaves no process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from '../core/subjects.js';
import type { Inventory } from '../inventory/types.js';
import { brokerDown, brokerStatus, brokerUp, type NodeUp } from './process.js';
import { makeTestState, type TestState } from './testState.test-helper.js';
import { freeBasePorts, testInventory } from './testInventory.test-helper.js';

/** Asks until the agent answers: routes and interest take a moment to spread across the cluster. */
async function callUntilAnswered(nc: NatsConnection, subject: string, deadlineMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return (await nc.request(subject, '{}', { timeout: 1000 })).json();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      if (!/no responders|timeout/i.test(String(error))) throw error;
    }
  }
}

describe('a 3-node broker cluster', () => {
  let state: TestState;
  let inventory: Inventory;
  let nodes: NodeUp[];
  const open: NatsConnection[] = [];
  const as = async (name: string, url: string): Promise<NatsConnection> => {
    const nc = await connect({ servers: url, tls: state.files(name), inboxPrefix: inboxPrefix(name), name, timeout: 5000, ignoreClusterUpdates: true, reconnect: false });
    open.push(nc);
    return nc;
  };

  before(async () => {
    state = makeTestState({ agents: ['web01'], operators: ['alice'] });
    inventory = await testInventory(state.stateDir, await freeBasePorts(3));
    nodes = await brokerUp(inventory, state.stateDir, { cluster: 3 });
  });
  after(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    await brokerDown(state.stateDir);
    state.remove();
  });

  it('starts three nodes, and keeps them on a second up', async () => {
    assert.deepEqual(nodes.map((node) => node.action), ['started', 'started', 'started']);
    const again = await brokerUp(inventory, state.stateDir, { cluster: 3 });
    assert.deepEqual(again.map((node) => [node.action, node.pid]), nodes.map((node) => ['kept', node.pid]));
    const status = await brokerStatus(state.stateDir);
    assert.deepEqual(status.map((node) => node.alive), [true, true, true]);
    assert.ok(status.every((node) => typeof node.memoryBytes === 'number' && node.memoryBytes > 0), JSON.stringify(status));
  });

  it('carries a request from node 1 to an agent on node 3, and on with node 2 killed', async () => {
    const [one, two, three] = nodes;
    assert.ok(one && two && three);
    const agent = await as('web01', three.url);
    agent.subscribe('muster.agent.web01.>', { callback: (_error, msg) => { msg.respond(JSON.stringify({ ok: true, host: 'web01' })); } });
    await agent.flush();
    const alice = await as('alice', one.url);
    assert.deepEqual(await callUntilAnswered(alice, 'muster.agent.web01.facts.get'), { ok: true, host: 'web01' });
    // The broker still enforces permissions across the route.
    await assert.rejects(alice.request('muster.agent.web01.secret.get', '{}', { timeout: 2000 }), /Permissions Violation for Publish/);
    process.kill(two.pid, 'SIGKILL');
    // The kill is delivered asynchronously and node 2 is not awaitable from here: look until it is gone.
    const gone = Date.now() + 5000;
    while ((await brokerStatus(state.stateDir))[1]?.alive && Date.now() < gone) await new Promise((wait) => setTimeout(wait, 20));
    assert.deepEqual((await brokerStatus(state.stateDir)).map((node) => node.alive), [true, false, true]);
    assert.deepEqual(await callUntilAnswered(alice, 'muster.agent.web01.facts.get', 5000), { ok: true, host: 'web01' });
  });

  it('lets only the broker certificate open a route', async () => {
    // A nats-server of the attacker's, with an agent's certificate, asking node 1 for a route.
    const one = nodes[0];
    assert.ok(one);
    const clusterPort = Number(one.url.replace(/.*:/, '')) + 2000;
    const files = state.files('web01');
    const config = join(state.stateDir, 'rogue.conf');
    writeFileSync(config, [
      'listen: "127.0.0.1:-1"',
      `cluster { name: muster, listen: "127.0.0.1:-1", routes: ["tls://127.0.0.1:${clusterPort}"], tls { cert_file: ${JSON.stringify(files.certFile)}, key_file: ${JSON.stringify(files.keyFile)}, ca_file: ${JSON.stringify(files.caFile)}, timeout: 2 } }`,
      '',
    ].join('\n'));
    const rogue = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const refused = new Promise<void>((resolve) => {
      const see = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/Authorization Violation/.test(output)) resolve();
      };
      rogue.stdout.on('data', see);
      rogue.stderr.on('data', see);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([refused, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no refusal seen:\n${output}`)), 10_000); })]);
    } finally {
      clearTimeout(timer);
      rogue.kill('SIGKILL');
    }
    assert.match(readFileSync(join(state.stateDir, 'broker', 'node-1.log'), 'utf8'), /authentication error - User ""\n.*Router connection closed: Authentication Failure/);
  });

  it('shrinks to one node on up without --cluster: the others stopped, their configs removed', async () => {
    const [one] = await brokerUp(inventory, state.stateDir);
    assert.equal(one?.action, 'restarted', 'node 1 lost its cluster block');
    assert.deepEqual((await brokerStatus(state.stateDir)).map((node) => [node.index, node.alive]), [[1, true]]);
    assert.equal(existsSync(join(state.stateDir, 'broker', 'node-3.conf')), false);
    // And back to three, for down to stop.
    const three = await brokerUp(inventory, state.stateDir, { cluster: 3 });
    assert.deepEqual(three.map((node) => node.action), ['restarted', 'started', 'started']);
    assert.ok(one);
    nodes.push(one, ...three);
  });

  it('stops every node it started on down', async () => {
    const pids = nodes.map((node) => node.pid);
    const stopped = await brokerDown(state.stateDir);
    assert.deepEqual(stopped, [1, 2, 3]);
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server'), false, `pid ${pid} left`);
    assert.deepEqual((await brokerStatus(state.stateDir)).map((node) => node.alive), [false, false, false]);
    assert.deepEqual(await brokerDown(state.stateDir), []);
  });
});
