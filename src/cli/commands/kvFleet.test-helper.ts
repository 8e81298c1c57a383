/**
 * A broker with the inventory bucket, for the tests of the bucket's readers: the real fleet CA
 * and the real generated broker config (`brokerUp`: JetStream on, the bucket's permissions of
 * broker/authorization.ts), an operator `alice` who may only read and an operator `pub`
 * granted `inventory.publish`, and a publisher that fills the bucket the way `muster publish`
 * does: every record of `snapshotOf(inventory)` as `recordText`, then the `version` key last.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { brokerDown, brokerUp, type NodeUp } from '../../broker/process.js';
import { makeCaTestState, type TestState } from '../../broker/testState.test-helper.js';
import { kvBucket, versionKey, type PublishedVersion } from '../../core/fleetKv.js';
import { inboxPrefix } from '../../core/subjects.js';
import { loadInventory } from '../../inventory/load.js';
import { digestOf, recordText, snapshotOf, type Snapshot } from '../../inventory/snapshot.js';
import type { Inventory } from '../../inventory/types.js';

export interface KvFleet {
  state: TestState;
  /** The broker's inventory (agents.servers, operators): what `serve --from-kv -i` reads. */
  brokerInventory: string;
  /** The first node's URL; `urls` every node's. */
  url: string;
  urls: string[];
  /** The nodes as the last `up` left them. */
  nodes: NodeUp[];
  up(): Promise<void>;
  down(): Promise<void>;
  /** A connection as `pub`, and the bucket (made if absent). */
  bucket(): Promise<KV>;
  /** Puts every record of `inventory` that differs from `previous`, then version `revision`; returns the version. */
  publish(inventory: Inventory, revision: number, previous?: Snapshot): Promise<PublishedVersion>;
  close(): Promise<void>;
}

/** Makes the CA and the broker's inventory (one node per port: several make a cluster), and starts the broker. */
export async function kvFleet(ports: number[]): Promise<KvFleet> {
  const urls = ports.map((port) => `tls://127.0.0.1:${port}`);
  const state = await makeCaTestState({ operators: ['alice', 'pub'] });
  const brokerInventory = join(state.stateDir, 'muster.yaml');
  writeFileSync(brokerInventory, [
    'version: 1',
    'hosts: { broker01: {} }',
    'agents:',
    `  servers: [${urls.join(', ')}]`,
    `  state: ${JSON.stringify(state.stateDir)}`,
    '  operators: { alice: [readers], pub: [publishers] }',
    '  permissions: { readers: [facts], publishers: [inventory.publish] }',
    '',
  ].join('\n'));
  const inventory = await loadInventory({ path: brokerInventory });
  let nc: NatsConnection | undefined;
  let kv: KV | undefined;
  const fleet: KvFleet = {
    state,
    brokerInventory,
    url: urls[0] ?? '',
    urls,
    nodes: [],
    up: async () => {
      fleet.nodes = await brokerUp(inventory, state.stateDir, { cluster: ports.length });
    },
    down: async () => {
      await nc?.close().catch(() => undefined);
      nc = undefined;
      kv = undefined;
      await brokerDown(state.stateDir);
    },
    async bucket() {
      nc ??= await connect({ servers: urls, tls: state.files('pub'), inboxPrefix: inboxPrefix('pub'), timeout: 5000, reconnectTimeWait: 100 });
      // A cluster elects its JetStream leader some seconds after it starts: until then creating the bucket fails.
      for (let attempt = 0; !kv; attempt++) {
        try {
          // checkAPI false: the account-info call it makes otherwise ($JS.API.INFO) is not granted, and is not needed.
          kv = await new Kvm(jetstream(nc, { checkAPI: false })).create(kvBucket, { history: 1, replicas: ports.length });
        } catch (error) {
          if (attempt >= 100) throw error;
          await new Promise((wait) => setTimeout(wait, 200));
        }
      }
      return kv;
    },
    async publish(published, revision, previous) {
      const kv = await fleet.bucket();
      // A cluster that lost a node elects the stream's leader again: a put meanwhile times out, and is tried again.
      const bucket = {
        async put(key: string, value: string): Promise<void> {
          const deadline = Date.now() + 30_000;
          for (;;) {
            try {
              await kv.put(key, value);
              return;
            } catch (error) {
              // nats.js says "jetstream is not enabled" for the no-responders of a stream without a leader.
              if (Date.now() > deadline || !/timeout|no responders|jetstream is not enabled/i.test(String(error))) throw error;
              await new Promise((wait) => setTimeout(wait, 250));
            }
          }
        },
        delete: (key: string) => kv.delete(key),
      };
      const snapshot = snapshotOf(published);
      for (const [key, record] of snapshot) {
        const text = recordText(record);
        if (previous && previous.has(key) && recordText(previous.get(key)) === text) continue;
        await bucket.put(key, text);
      }
      for (const key of previous?.keys() ?? []) if (!snapshot.has(key)) await bucket.delete(key);
      const version: PublishedVersion = { revision, digest: digestOf(snapshot), publishedAt: new Date().toISOString(), by: 'pub@test', hosts: published.hosts.length };
      await bucket.put(versionKey, JSON.stringify(version));
      return version;
    },
    async close() {
      await fleet.down();
      state.remove();
    },
  };
  await fleet.up();
  return fleet;
}
