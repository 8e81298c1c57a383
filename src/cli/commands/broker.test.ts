/**
 * `muster broker` end to end: the real CLI, a real nats-server, a state folder made by openssl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTestState, type TestState } from '../../broker/testState.test-helper.js';
import { freeBasePorts, testInventory } from '../../broker/testInventory.test-helper.js';
import { assertNoStack, assertUsageFailure, muster } from './cli.test-helper.js';

describe('muster broker', () => {
  let state: TestState;
  let env: NodeJS.ProcessEnv;
  let port: number;
  before(async () => {
    state = makeTestState({ agents: ['web01'], operators: ['alice'] });
    [port = 0] = await freeBasePorts(1);
    await testInventory(state.stateDir, [port]);
    env = { ...process.env, MUSTER_INVENTORY: join(state.stateDir, 'muster.yaml'), MUSTER_STATE: state.stateDir, MUSTER_NO_CACHE: '1' };
  });
  after(async () => {
    await muster(['broker', 'down'], { env });
    state.remove();
  });

  it('prints the config, starts, reports, keeps and stops a node', async () => {
    const config = await muster(['broker', 'config'], { env });
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, new RegExp(`# ==> ${state.stateDir}/broker/node-1.conf <==\n`));
    assert.match(config.stdout, /"user":"CN=web01,OU=agent,O=muster"/);

    const up = await muster(['broker', 'up'], { env });
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`^node 1: started \\(pid \\d+\\) on tls://127\\.0\\.0\\.1:${port}\\n$`));
    const again = await muster(['broker', 'up'], { env });
    assert.match(again.stdout, /^node 1: already running \(pid \d+\)/);

    const status = await muster(['broker', 'status', '--json'], { env });
    assert.equal(status.code, 0, status.stderr);
    const [node] = status.stdout.trim().split('\n').map((line) => JSON.parse(line) as { alive: boolean; connections: number; url: string });
    assert.equal(node?.alive, true);
    assert.equal(node?.connections, 0);
    assert.equal(node?.url, `tls://127.0.0.1:${port}`);

    const down = await muster(['broker', 'down'], { env });
    assert.equal(down.stdout, 'broker: stopped node 1\n');
    assert.match((await muster(['broker', 'status'], { env })).stdout, /^node 1: stopped/);
  });

  it('refuses a cluster larger than agents.servers, and a broker without a CA, in one line', async () => {
    assertUsageFailure(await muster(['broker', 'up', '--cluster', '3'], { env }), /A cluster of 3 needs 3 addresses in the inventory's agents\.servers; it lists 1/);
    assertUsageFailure(await muster(['broker', 'up', '--cluster', 'x'], { env }), /Invalid --cluster "x"/);
    const empty = mkdtempSync(join(tmpdir(), 'muster-nostate-'));
    try {
      const ran = await muster(['broker', 'up'], { env: { ...env, MUSTER_STATE: empty } });
      assert.equal(ran.code, 2);
      assert.match(ran.stderr, /No broker certificate: .*ca\/broker\/server\.crt is missing \(run muster ca init first\)/);
      assertNoStack(ran.stderr);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
