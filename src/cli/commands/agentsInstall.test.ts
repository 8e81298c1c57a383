/**
 * `agent install` over a real lab's SSH: real `muster agent enroll` on each host, the real
 * fleet CA here, a real broker, the agent started with setsid (lab hosts have no systemd)
 * and answering over NATS. Needs root, openssh-server and nats-server; skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { initCa } from '../../ca/init.js';
import { operatorFiles, stateDirFor } from '../../ca/paths.js';
import { listCa } from '../../ca/list.js';
import { signOperator, signPending } from '../../ca/sign.js';
import { brokerUp, refreshBrokers } from '../../broker/process.js';
import { loadInventory } from '../../inventory/load.js';
import type { Inventory } from '../../inventory/types.js';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { runOn, type RunResult } from '../../run/engine.js';
import { transportFor } from '../../transport/index.js';
import { targetOf } from '../fanout/fleet.js';
import { installAgentJob, installSettings, type InstallData } from './agentInstallJob.js';
import { muster } from './cli.test-helper.js';

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' }).status === 0 ? undefined : 'nats-server is not installed';
const unavailable = (await labUnavailableReason()) ?? natsMissing;

describe('agent install over a real lab', { skip: unavailable ?? false }, () => {
  const name = `test-install-${process.pid}`;
  let lab: Lab;
  let inventory: Inventory;
  let stateDir: string;
  let nc: NatsConnection;

  /** Installs on `hosts` (a selector of names) with setsid starts; autosign as the lab's inventory says unless given. */
  async function install(hosts: string[], options: { autosign?: string; dir?: string } = {}): Promise<RunResult<InstallData>> {
    const agents = inventory.agents;
    assert.ok(agents);
    const adjusted: Inventory = { ...inventory, agents: { ...agents, ...(options.autosign !== undefined ? { autosign: options.autosign } : {}) } };
    const settings = await installSettings(adjusted, {
      start: { kind: 'setsid' }, refresh: () => refreshBrokers(adjusted, stateDir), ...(options.dir ? { dir: options.dir } : {}),
    });
    const targets = inventory.hosts.filter((host) => hosts.includes(host.name)).map((host) => targetOf(host, inventory));
    return runOn(targets, installAgentJob(settings), { transport: transportFor('ssh', {}), forks: 8 });
  }

  async function pingOnce(host: string): Promise<string> {
    try {
      const reply = await nc.request(`muster.agent.${host}.ping.get`, JSON.stringify({ v: 1 }), { timeout: 5000 });
      return String((reply.json<{ host?: string }>()).host);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** The host's answer to ping.get, once its agent has connected (a started agent takes a moment): 10 s at most. */
  async function ping(host: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const answer = await pingOnce(host);
      if (answer === host || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    lab = await labUp({ name, count: 3, agents: { brokers: 1 } });
    inventory = await loadInventory({ path: lab.inventoryPath });
    stateDir = stateDirFor(inventory, {});
    await initCa(stateDir, { sans: inventory.agents?.servers.map((server) => new URL(server).hostname) ?? [] });
    await signOperator(stateDir, 'admin');
    await brokerUp(inventory, stateDir);
    const files = operatorFiles(stateDir, 'admin');
    nc = await connect({ servers: inventory.agents?.servers ?? [], inboxPrefix: 'muster.inbox.admin', tls: { certFile: files.cert, keyFile: files.key, caFile: files.ca } });
  });

  after(async () => {
    await nc?.close();
    if (lab) await labDown(name);
  });

  test('hosts autosign selects are signed and started; the others are left pending and say how to go on', async () => {
    const result = await install(['lab01', 'lab02', 'lab03'], { autosign: 'lab[01-02]' });
    assert.deepEqual(result.outcomes.map((outcome) => [outcome.host, outcome.status, outcome.data?.certificate]),
      [['lab01', 'changed', 'signed'], ['lab02', 'changed', 'signed'], ['lab03', 'changed', 'pending']]);
    assert.match(result.outcomes[0]?.message ?? '', /^agent signed \(serial [0-9a-f]+\), started \(pid \d+\)$/);
    assert.match(result.outcomes[2]?.message ?? '', /CSR pending .*muster ca sign lab03/);
    assert.equal(await ping('lab01'), 'lab01');
    assert.equal(await ping('lab02'), 'lab02');
    assert.match(await pingOnce('lab03'), /no responders/i);
    const listing = await listCa(stateDir);
    assert.deepEqual(listing.pending.map((entry) => [entry.name, entry.source.via, entry.source.address]), [['lab03', 'ssh', lab.hosts[2]?.address]]);
    // The key stays on its host: only the CSR and the certificate travelled.
    const onHost = await labExec(lab, 'lab01', 'stat -c %a /etc/muster-agent/agent.key; ls /etc/muster-agent');
    assert.match(onHost.stdout, /^600\n[^]*agent\.crt[^]*ca\.crt/);
  });

  test('signed by hand (ca sign), installed again: its certificate is delivered and the agent starts', async () => {
    await signPending(stateDir, ['lab03']);
    const result = await install(['lab03']);
    assert.deepEqual(result.outcomes.map((outcome) => [outcome.host, outcome.status, outcome.data?.certificate]), [['lab03', 'changed', 'existing']]);
    assert.equal(await ping('lab03'), 'lab03');
  });

  test('installing again restarts the agent with its kept key and certificate', async () => {
    const before = (await labExec(lab, 'lab01', 'cat /run/muster-agent.pid')).stdout.trim();
    const result = await install(['lab01']);
    assert.equal(result.outcomes[0]?.data?.certificate, 'existing');
    const after = (await labExec(lab, 'lab01', 'cat /run/muster-agent.pid; pgrep -c -f "[m]uster.js agent run"')).stdout.trim().split('\n');
    assert.notEqual(after[0], before);
    assert.equal(after[1], '1', 'the old agent was stopped');
    assert.equal(await ping('lab01'), 'lab01');
  });

  test('a step that fails on the host is the host\'s `failed`, naming the step', async () => {
    const result = await install(['lab02'], { dir: '/etc/hostname/agent' });
    assert.equal(result.outcomes[0]?.status, 'failed');
    assert.match(result.outcomes[0]?.message ?? '', /^agent enroll failed: /);
  });

  test('the CLI: `muster agent install SEL --no-systemd --json` reports one JSON line per host', async () => {
    const ran = await muster(['agent', 'install', 'lab02', '--no-systemd', '--json'], { env: { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, NO_COLOR: '1' } });
    assert.equal(ran.code, 0, ran.stderr);
    const lines = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host?: string; status?: string; message?: string });
    assert.deepEqual(lines.map((line) => [line.type, line.host, line.status]), [['host', 'lab02', 'changed'], ['summary', undefined, undefined]]);
    assert.match(lines[0]?.message ?? '', /certificate kept .*started \(pid \d+\)/);
    assert.equal(await ping('lab02'), 'lab02');
  });
});
