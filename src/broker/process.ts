/**
 * `muster broker up|down|status` as library calls, and the reload `ca sign`/`ca revoke` ask
 * for. Nodes run detached on this machine (they outlive muster); `STATE/broker/` holds
 * everything: configs, pid files, logs, JetStream stores (docs/broker.md).
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { brokerDir, caPaths } from '../ca/paths.js';
import { activeCertificates, readIndex } from '../ca/records.js';
import { EnvironmentError } from '../core/errors.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import type { Inventory } from '../inventory/types.js';
import { authConfig, brokerConfigs, brokerNodes, type BrokerConfigOptions, type BrokerFile, type BrokerNode } from './config.js';
import { runningPid, startNode, stopNode } from './nodeProcess.js';

/** What `brokerUp` did to one node. */
export interface NodeUp {
  index: number;
  url: string;
  pid: number;
  /** `started`: it was not running; `restarted`: its own config changed; `kept`: running with the same config (auth.conf reloaded if that changed). */
  action: 'started' | 'restarted' | 'kept';
}

/** One node as `brokerStatus` finds it. */
export interface NodeStatus {
  index: number;
  config: string;
  url?: string;
  pid?: number;
  alive: boolean;
  /** From the monitor's `/varz`, when the node runs and answers. */
  connections?: number;
  memoryBytes?: number;
  /** Why the monitor could not be read. */
  monitorError?: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a generated file unless it already says that; true when it changed. Keys in STATE are not readable by others, nor are these. */
async function writeIfChanged(file: BrokerFile): Promise<boolean> {
  if ((await readText(file.path)) === file.content) return false;
  await writeFileAtomic(file.path, file.content, { createMode: 0o600 });
  return true;
}

async function requireBrokerCertificate(stateDir: string): Promise<void> {
  const paths = caPaths(stateDir);
  for (const path of [paths.brokerCert, paths.brokerKey, paths.cert]) {
    if ((await readText(path)) === undefined) throw new EnvironmentError(`No broker certificate: ${path} is missing (run muster ca init first)`);
  }
}

/** The active records of the CA's index: what may connect now. */
async function activeRecords(stateDir: string) {
  return activeCertificates(await readIndex(stateDir));
}

/**
 * Writes the configs of a broker of `options.cluster` nodes (default 1) and starts every
 * node not yet running. Idempotent: a running node whose `node-N.conf` is unchanged is kept
 * (SIGHUPed when `auth.conf` changed), one whose file changed is restarted. Needs the broker
 * certificate (`muster ca init`): an EnvironmentError without it.
 */
export async function brokerUp(inventory: Inventory, stateDir: string, options: BrokerConfigOptions = {}): Promise<NodeUp[]> {
  await requireBrokerCertificate(stateDir);
  const nodes = brokerNodes(inventory, stateDir, options.cluster ?? 1);
  const files = brokerConfigs(inventory, stateDir, await activeRecords(stateDir), options);
  await mkdir(brokerDir(stateDir), { recursive: true, mode: 0o700 });
  const auth = files[files.length - 1];
  const authChanged = auth ? await writeIfChanged(auth) : false;
  const results: NodeUp[] = [];
  for (const node of nodes) {
    await mkdir(node.storeDir, { recursive: true, mode: 0o700 });
    const file = files.find((candidate) => candidate.path === node.config);
    const changed = file ? await writeIfChanged(file) : false;
    const pid = await runningPid(node);
    if (pid !== undefined && !changed) {
      if (authChanged) process.kill(pid, 'SIGHUP');
      results.push({ index: node.index, url: node.url, pid, action: 'kept' });
      continue;
    }
    if (pid !== undefined) await stopNode(node);
    results.push({ index: node.index, url: node.url, pid: await startNode(node), action: pid === undefined ? 'started' : 'restarted' });
  }
  return results;
}

/** The node configs present in the broker folder, whatever cluster size made them, by index. */
async function configuredNodes(stateDir: string): Promise<Pick<BrokerNode, 'index' | 'config' | 'pidFile'>[]> {
  const dir = brokerDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.flatMap((name) => {
    const index = /^node-(\d+)\.(?:conf|pid)$/.exec(name)?.[1];
    return index === undefined ? [] : [Number(index)];
  }).filter((index, at, all) => all.indexOf(index) === at).sort((a, b) => a - b)
    .map((index) => ({ index, config: join(dir, `node-${index}.conf`), pidFile: join(dir, `node-${index}.pid`) }));
}

/** Stops every node muster started under this state folder (SIGTERM, then waits). Returns the indexes of the nodes stopped. */
export async function brokerDown(stateDir: string): Promise<number[]> {
  const stopped: number[] = [];
  for (const node of await configuredNodes(stateDir)) if (await stopNode(node)) stopped.push(node.index);
  return stopped;
}

/** A value of the generated node config (`listen`, `http`): muster wrote it, so one line each. */
function configValue(text: string | undefined, key: string): string | undefined {
  const match = new RegExp(`^${key}: "([^"]*)"$`, 'm').exec(text ?? '');
  return match?.[1];
}

async function varz(address: string): Promise<{ connections?: number; mem?: number }> {
  const response = await fetch(`http://${address}/varz`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as { connections?: number; mem?: number };
}

/** Every configured node: its pid when alive, its client URL, and connections and memory from its monitor port. */
export async function brokerStatus(stateDir: string): Promise<NodeStatus[]> {
  const statuses: NodeStatus[] = [];
  for (const node of await configuredNodes(stateDir)) {
    const text = await readText(node.config);
    const listen = configValue(text, 'listen');
    const monitor = configValue(text, 'http');
    const pid = await runningPid(node);
    const status: NodeStatus = { index: node.index, config: node.config, alive: pid !== undefined };
    if (listen !== undefined) status.url = `tls://${listen}`;
    if (pid !== undefined) status.pid = pid;
    if (pid !== undefined && monitor !== undefined) {
      try {
        const stats = await varz(monitor);
        if (stats.connections !== undefined) status.connections = stats.connections;
        if (stats.mem !== undefined) status.memoryBytes = stats.mem;
      } catch (error) {
        status.monitorError = `monitor ${monitor}: ${(error as Error).message}`;
      }
    }
    statuses.push(status);
  }
  return statuses;
}

/**
 * Regenerates `auth.conf` from the inventory and the CA's index and SIGHUPs every running
 * node, so a revoked identity is cut off (its live connection closed, its reconnects
 * refused) within tens of milliseconds. Returns `brokers reloaded: N`, or undefined when no
 * node runs here (the file is still written when the broker folder exists, for the next `up`).
 */
export async function refreshBrokers(inventory: Inventory, stateDir: string): Promise<string | undefined> {
  const nodes = await configuredNodes(stateDir);
  if (nodes.length === 0) return undefined;
  await writeIfChanged(authConfig(inventory, stateDir, await activeRecords(stateDir)));
  let reloaded = 0;
  for (const node of nodes) {
    const pid = await runningPid(node);
    if (pid === undefined) continue;
    process.kill(pid, 'SIGHUP');
    reloaded++;
  }
  return reloaded === 0 ? undefined : `brokers reloaded: ${reloaded}`;
}
