/**
 * `serve --from-kv` on a 3-node broker cluster (the generated config, the bucket replicated
 * on all three): two servers follow a publish made after the node they are linked to is
 * killed, and are in sync again on the two nodes left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../bindings/fixture.test-helper.js';
import { loadInventory } from '../../inventory/load.js';
import { parseInventory } from '../../inventory/parse.js';
import { snapshotOf } from '../../inventory/snapshot.js';
import { startServer, type MetadataServer } from '../../serve/index.js';
import { kvFleet, type KvFleet } from './kvFleet.test-helper.js';
import { bucketSourceOpener } from './serveFromKv.js';

// Helper 4's ports: three broker nodes (their cluster ports are +2000), two servers.
const brokerPorts = [26430, 26431, 26432];
const httpPorts = [26440, 26441];

async function answer(port: number): Promise<{ index: string | null; body: string; status: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/web/http_port`);
  const body = await response.text();
  const status = await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json() as Record<string, unknown>;
  return { index: response.headers.get('x-muster-index'), body, status };
}

describe('muster serve --from-kv on a 3-node cluster', () => {
  let fleet: KvFleet;
  const servers: MetadataServer[] = [];

  before(async () => {
    fleet = await kvFleet(brokerPorts);
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await fleet.close();
  });

  it('follows a publish made after the node it is linked to is killed, and is in sync on the two left', async () => {
    const inventory = await loadInventory({ path: fixturePath });
    await fleet.publish(inventory, 1);
    for (const port of httpPorts) {
      servers.push(await startServer({ openSource: await bucketSourceOpener({ inventory: fleet.brokerInventory, operator: 'alice' }), port, accessLog: false }));
    }
    for (const port of httpPorts) assert.equal((await answer(port)).index, '1');
    // Kill the node that holds most of the servers' connections (the monitor's /connz says), so at least one must move.
    const linked = await Promise.all(brokerPorts.map(async (port) => {
      const connz = await (await fetch(`http://127.0.0.1:${port + 4000}/connz`)).json() as { connections?: { name?: string }[] };
      return (connz.connections ?? []).filter((connection) => connection.name === 'muster operator alice').length;
    }));
    assert.equal(linked.reduce((sum, count) => sum + count, 0), 2, `connections per node: ${linked.join(', ')}`);
    const victim = fleet.nodes[linked.indexOf(Math.max(...linked))];
    assert.ok(victim);
    process.kill(victim.pid, 'SIGKILL');
    const edited = parseInventory([{ path: fixturePath, text: readFileSync(fixturePath, 'utf8').replace('http_port: 80,', 'http_port: 8080,') }]);
    // The publisher's own connection moves to a node left; the stream keeps its quorum (2 of 3).
    await fleet.publish(edited, 2, snapshotOf(inventory));
    for (const port of httpPorts) {
      // The JetStream meta leader's election (a consumer is made through it) takes most of this: 5–25 s measured.
      const deadline = Date.now() + 40_000;
      let seen = await answer(port);
      while ((seen.index !== '2' || seen.status['status'] !== 'ok') && Date.now() < deadline) {
        await new Promise((wait) => setTimeout(wait, 100));
        seen = await answer(port);
      }
      assert.equal(seen.index, '2', JSON.stringify(seen.status));
      assert.equal(seen.body, '8080\n');
      assert.equal(seen.status['status'], 'ok', JSON.stringify(seen.status));
    }
  });
});
