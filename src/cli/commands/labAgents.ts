/**
 * `muster lab up N --agents`: after the lab's hosts are up (lab/ wrote an inventory with an
 * `agents` section), the fleet CA in the lab's own state folder (`ca init` + `ca sign
 * --operator admin`), the brokers (`broker up`, a cluster when the lab has several), and a
 * real agent in every host: `agent install all` over the lab's SSH (enrolled on the host,
 * CSR fetched over SSH, auto-signed), started as a daemon inside the host's namespaces
 * (lab hosts have no systemd; `lab status` lists it, `hosts/HOST/agent.log` holds its log).
 * Resolves once every agent is connected to the brokers.
 *
 * In the CLI layer because it joins lab/, ca/, broker/ and the install job, which lab/
 * (a layer that imports only core/) must not know.
 */
import { access } from 'node:fs/promises';
import { EnvironmentError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { caPaths, operatorFiles, stateDirFor } from '../../ca/paths.js';
import { initCa } from '../../ca/init.js';
import { signOperator } from '../../ca/sign.js';
import { brokerDown, brokerStatus, brokerUp, refreshBrokers } from '../../broker/process.js';
import { loadInventory } from '../../inventory/load.js';
import { labOperator } from '../../lab/files.js';
import { labStartDaemon, labStopDaemon, type Lab } from '../../lab/index.js';
import { runOn } from '../../run/engine.js';
import { transportFor } from '../../transport/factory.js';
import { targetOf } from '../fanout/fleet.js';
import { installAgentJob, installSettings } from './agentInstallJob.js';
import { serverHosts } from './ca.js';

/** What labAgentsUp did. */
export interface LabAgentsUp {
  servers: string[];
  stateDir: string;
  operator: string;
  agents: number;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/**
 * Makes the lab's CA (once), its operator certificate (once), starts its brokers and installs
 * and starts an agent on every host; see the file comment. Throws EnvironmentError naming
 * the hosts whose install failed, or that did not connect within `timeoutMs` (30 s).
 */
export async function labAgentsUp(lab: Lab, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<LabAgentsUp> {
  const inventory = await loadInventory({ path: lab.inventoryPath });
  const agents = inventory.agents;
  if (!agents) throw new EnvironmentError(`Lab "${lab.name}" was made without agents (muster lab up --agents --recreate)`);
  const stateDir = stateDirFor(inventory, {});
  const sans = serverHosts(agents.servers);
  if (!(await exists(caPaths(stateDir).cert))) await initCa(stateDir, { sans });
  if (!(await exists(operatorFiles(stateDir, labOperator).cert))) await signOperator(stateDir, labOperator);
  await brokerUp(inventory, stateDir, { cluster: agents.servers.length });

  const settings = await installSettings(inventory, {
    // An agent already running (the lab was up already) is restarted, as a reinstall restarts it anywhere.
    start: { kind: 'custom', start: async (host, argv) => {
      await labStopDaemon(lab.name, host.name, 'agent');
      return `pid ${(await labStartDaemon(lab.name, host.name, 'agent', argv)).pid}`;
    } },
    refresh: () => refreshBrokers(inventory, stateDir),
  });
  const targets = inventory.hosts.map((host) => targetOf(host, inventory));
  const result = await runOn(targets, installAgentJob(settings), {
    transport: transportFor('ssh', {}), forks: 32, ...(options.signal ? { signal: options.signal } : {}),
  });
  const failed = result.outcomes.filter((outcome) => outcome.status !== 'changed' && outcome.status !== 'ok');
  if (failed.length > 0) {
    const [first] = failed;
    throw new EnvironmentError(`Agents of lab "${lab.name}" not installed on ${foldNodeset(failed.map((outcome) => outcome.host))}: ${first?.host}: ${first?.message ?? first?.status}`);
  }
  await waitForAgents(stateDir, inventory.hosts.length, options.timeoutMs ?? 30_000, options.signal);
  return { servers: agents.servers, stateDir, operator: labOperator, agents: inventory.hosts.length };
}

/** Waits until the brokers count `count` client connections beyond the operator's (from their monitors). */
async function waitForAgents(stateDir: string, count: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let connected = 0;
  // No event says an agent connected; the monitor is cheap to ask, every 100 ms.
  while (Date.now() < deadline && !signal?.aborted) {
    const nodes = await brokerStatus(stateDir);
    connected = nodes.reduce((sum, node) => sum + (node.connections ?? 0), 0);
    if (connected >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (signal?.aborted) throw signal.reason;
  throw new EnvironmentError(`Only ${connected} of ${count} lab agents connected to the brokers within ${timeoutMs / 1000}s (see hosts/HOST/agent.log in the lab folder)`);
}

/** Stops the brokers of a lab with agents (before its hosts go); false when it has none running. */
export async function labAgentsDown(stateDir: string): Promise<boolean> {
  return (await brokerDown(stateDir)).length > 0;
}
