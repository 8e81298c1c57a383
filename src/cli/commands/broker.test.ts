/**
 * `muster broker` end to end: the real CLI, a real nats-server, a state folder made by openssl.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { inboxPrefix } from '../../core/subjects.js';
import { makeCaTestState, type TestState } from '../../broker/testState.test-helper.js';
import { freeBasePorts, testInventory } from '../../broker/testInventory.test-helper.js';
import { assertNoStack, assertUsageFailure, muster } from './cli.test-helper.js';

describe('muster broker', () => {
  let state: TestState;
  let env: NodeJS.ProcessEnv;
  let port: number;
  before(async () => {
    state = await makeCaTestState({ agents: ['web01'], operators: ['alice'] });
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

describe('muster ca sign and revoke with a broker running here', () => {
  let state: TestState;
  let env: NodeJS.ProcessEnv;
  let url: string;
  before(async () => {
    state = await makeCaTestState({ agents: ['web01', 'web02'], operators: ['alice'] });
    const [port = 0] = await freeBasePorts(1);
    await testInventory(state.stateDir, [port]);
    env = { ...process.env, MUSTER_INVENTORY: join(state.stateDir, 'muster.yaml'), MUSTER_STATE: state.stateDir, MUSTER_NO_CACHE: '1' };
    const up = await muster(['broker', 'up'], { env });
    assert.equal(up.code, 0, up.stderr);
    url = `tls://127.0.0.1:${port}`;
  });
  after(async () => {
    await muster(['broker', 'down'], { env });
    state.remove();
  });

  it('ca revoke cuts the agent\'s live connection', { timeout: 30_000 }, async () => {
    const nc = await connect({ servers: url, tls: state.files('web01'), inboxPrefix: inboxPrefix('web01'), name: 'web01', timeout: 5000, reconnect: false });
    await nc.flush();
    const closed = nc.closed();
    const revoked = await muster(['ca', 'revoke', 'web01', '-q'], { env });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stderr, '');
    // The CLI returns once the node confirmed its reload: by then the connection is being closed.
    await closed;
    assert.equal(nc.isClosed(), true);
  });

  it('a node that does not confirm the reload is a warning on stderr and exit 1, even with -q or --json', { timeout: 30_000 }, async () => {
    // A node file broken by hand: nats-server refuses the reload and keeps its old config.
    const config = join(state.stateDir, 'broker', 'node-1.conf');
    const good = readFileSync(config, 'utf8');
    appendFileSync(config, 'listen: {{{\n');
    try {
      for (const flag of ['-q', '--json']) {
        const ran = await muster(['ca', 'revoke', flag === '-q' ? 'web02' : 'alice', ...(flag === '-q' ? [] : ['--operator']), flag], { env });
        assert.equal(ran.code, 1, ran.stderr);
        assert.equal(ran.stderr, 'muster: warning: brokers reloaded: 1, but node 1 did not confirm in 2 s (see STATE/broker/node-N.log)\n');
      }
    } finally {
      writeFileSync(config, good);
    }
  });

  it('ca revoke with no broker running here says what to do', { timeout: 30_000 }, async () => {
    const other = await makeCaTestState({ agents: ['web01'] });
    try {
      await testInventory(other.stateDir, await freeBasePorts(1));
      const ran = await muster(['ca', 'revoke', 'web01', '-q'], { env: { ...env, MUSTER_INVENTORY: join(other.stateDir, 'muster.yaml'), MUSTER_STATE: other.stateDir } });
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stderr, `muster: note: no broker runs here (${other.stateDir}/broker): copy auth.conf to the brokers and reload them (SIGHUP)\n`);
    } finally {
      other.remove();
    }
  });
});
