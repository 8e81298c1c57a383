/**
 * What the publish and local-copy tests share: a state folder made by the real CA (agents
 * web01, web02, db01; operators alice, who may not publish, and carol, who may), the test
 * inventory on a port of this helper's range, the real broker (`brokerUp`, JetStream on),
 * each agent's folder as a host would have it (agent.json naming the broker and its copy
 * folder), and the CLI's environment for that inventory and state.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { brokerDown, brokerUp } from '../broker/process.js';
import { makeCaTestState, type TestState } from '../broker/testState.test-helper.js';
import { testInventory } from '../broker/testInventory.test-helper.js';
import { caPaths } from '../ca/paths.js';
import { agentInboxPrefix, inboxPrefix } from '../core/subjects.js';

/** The test fleet's hosts (testInventory). */
export const fleetHosts = ['web01', 'web02', 'db01'] as const;

export interface CopyFixture {
  state: TestState;
  url: string;
  port: number;
  inventoryPath: string;
  /** The CLI's environment: this inventory, this state folder, no parse cache. */
  env: NodeJS.ProcessEnv;
  /** Agent folder of `host` (agent.json with the broker and copy folder). */
  agentDir(host: string): string;
  /** Where `host`'s agent keeps its copy. */
  copyDir(host: string): string;
  /** A connection as `name` (operator or agent), with the inbox the broker lets it read. */
  as(name: string): Promise<NatsConnection>;
  up(): Promise<void>;
  down(): Promise<void>;
  remove(): Promise<void>;
}

/** Makes the fixture and starts the broker on `port` (one of this helper's range). */
export async function copyFixture(port: number): Promise<CopyFixture> {
  const state = await makeCaTestState({ agents: [...fleetHosts], operators: ['alice', 'carol'] });
  const inventory = await testInventory(state.stateDir, [port]);
  const url = `tls://127.0.0.1:${port}`;
  const paths = caPaths(state.stateDir);
  const hostDir = (host: string): string => join(state.stateDir, 'hosts', host);
  for (const host of fleetHosts) {
    copyFileSync(join(paths.agents, `${host}.crt`), join(hostDir(host), 'agent.crt'));
    copyFileSync(paths.cert, join(hostDir(host), 'ca.crt'));
    const roles = inventory.hostsByName.get(host)?.roles ?? [];
    mkdirSync(join(state.stateDir, 'copies', host), { recursive: true });
    writeFileSync(join(hostDir(host), 'agent.json'), JSON.stringify({ name: host, servers: [url], roles, copyDir: join(state.stateDir, 'copies', host, 'etc-muster') }));
  }
  const open: NatsConnection[] = [];
  const fixture: CopyFixture = {
    state,
    url,
    port,
    inventoryPath: join(state.stateDir, 'muster.yaml'),
    env: { ...process.env, MUSTER_INVENTORY: join(state.stateDir, 'muster.yaml'), MUSTER_STATE: state.stateDir, MUSTER_NO_CACHE: '1', MUSTER_OPERATOR: 'carol' },
    agentDir: hostDir,
    copyDir: (host) => join(state.stateDir, 'copies', host, 'etc-muster'),
    async as(name) {
      const agent = (fleetHosts as readonly string[]).includes(name);
      const nc = await connect({ servers: url, tls: state.files(name), inboxPrefix: agent ? agentInboxPrefix(name) : inboxPrefix(name), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
      open.push(nc);
      return nc;
    },
    async up() {
      await brokerUp(inventory, state.stateDir);
    },
    async down() {
      await brokerDown(state.stateDir);
    },
    async remove() {
      await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
      await brokerDown(state.stateDir);
      state.remove();
    },
  };
  await fixture.up();
  return fixture;
}
