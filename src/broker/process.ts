/**
 * `muster broker up|down|status` as library calls, and the reload `ca sign`/`ca revoke` ask
 * for. Nodes run detached on this machine (they outlive muster); `STATE/broker/` holds
 * everything: configs, pid files, logs, JetStream stores (docs/broker.md).
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { brokerDir, caPaths } from '../ca/paths.js';
import { activeCertificates, readIndex } from '../ca/records.js';
import { EnvironmentError } from '../core/errors.js';
import { withFileLock } from '../core/fileLock.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import type { Inventory } from '../inventory/types.js';
import { authConfig, brokerConfigs, brokerNodes, type BrokerConfigOptions, type BrokerFile, type BrokerNode } from './config.js';
import { runningPid, signalNode, startNode, stopNode } from './nodeProcess.js';

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
 * Runs `work` holding the broker folder's lock (`STATE/broker.lock`): every change to the
 * folder (refresh, up, down, its files written) reads what it needs (the CA's index, the pid
 * files) and writes inside it, so a refresh that read the index before a revocation cannot
 * write its stale auth.conf after the revocation's own refresh, and two `broker up` never
 * start the same node twice (the loser's cleanup would remove the winner's pid file). Waits
 * up to 60 s: a `broker up` of a cluster may take that long to start its nodes.
 */
async function withBrokerLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  return withFileLock(brokerDir(stateDir), work, { waitMs: 60_000 });
}

/** Whether the broker folder has node configs: when not, down and refresh have nothing to change (and make no state folder). */
async function hasBrokerDir(stateDir: string): Promise<boolean> {
  return (await configuredNodes(stateDir)).length > 0;
}

/** The broker's files as written: its nodes, and which files changed. */
export interface WrittenBroker {
  nodes: BrokerNode[];
  /** Node indexes whose `node-N.conf` changed (or is new). */
  changedNodes: number[];
  authChanged: boolean;
}

/**
 * Writes the configs of a broker of `options.cluster` nodes (default 1) under `STATE/broker/`
 * (0600, atomically, a file that already says the same left alone), with the JetStream
 * folders. Needs the broker certificate (`muster ca init`): an EnvironmentError without it.
 */
export async function writeBrokerFiles(inventory: Inventory, stateDir: string, options: BrokerConfigOptions = {}): Promise<WrittenBroker> {
  return withBrokerLock(stateDir, () => writeFilesLocked(inventory, stateDir, options));
}

async function writeFilesLocked(inventory: Inventory, stateDir: string, options: BrokerConfigOptions): Promise<WrittenBroker> {
  await requireBrokerCertificate(stateDir);
  const nodes = brokerNodes(inventory, stateDir, options.cluster ?? 1);
  const files = brokerConfigs(inventory, stateDir, await activeRecords(stateDir), options);
  await mkdir(brokerDir(stateDir), { recursive: true, mode: 0o700 });
  const auth = files.find((file) => file.path === join(brokerDir(stateDir), 'auth.conf'));
  const authChanged = auth ? await writeIfChanged(auth) : false;
  const changedNodes: number[] = [];
  for (const node of nodes) {
    await mkdir(node.storeDir, { recursive: true, mode: 0o700 });
    const file = files.find((candidate) => candidate.path === node.config);
    if (file && await writeIfChanged(file)) changedNodes.push(node.index);
  }
  return { nodes, changedNodes, authChanged };
}

/**
 * Writes the configs (`writeBrokerFiles`) and starts every node not yet running, detached.
 * Idempotent: a running node whose `node-N.conf` is unchanged is kept (reloaded, and the
 * reload awaited, when `auth.conf` changed), one whose file changed is restarted. Nodes of an earlier, larger
 * cluster are stopped and their configs removed (their JetStream stores are kept). A node that
 * cannot start is an EnvironmentError with the end of its log; the nodes started before it
 * keep running.
 */
export async function brokerUp(inventory: Inventory, stateDir: string, options: BrokerConfigOptions = {}): Promise<NodeUp[]> {
  return withBrokerLock(stateDir, () => upLocked(inventory, stateDir, options));
}

async function upLocked(inventory: Inventory, stateDir: string, options: BrokerConfigOptions): Promise<NodeUp[]> {
  const { nodes, changedNodes, authChanged } = await writeFilesLocked(inventory, stateDir, options);
  for (const stale of await configuredNodes(stateDir)) {
    if (stale.index <= nodes.length) continue;
    await stopNode(stale);
    await rm(stale.config, { force: true });
  }
  const results: NodeUp[] = [];
  for (const node of nodes) {
    const pid = await runningPid(node);
    if (pid !== undefined && !changedNodes.includes(node.index)) {
      if (authChanged) await reloadNode(pid, node.config);
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
  if (!(await hasBrokerDir(stateDir))) return [];
  return withBrokerLock(stateDir, async () => {
    const stopped: number[] = [];
    for (const node of await configuredNodes(stateDir)) if (await stopNode(node)) stopped.push(node.index);
    return stopped;
  });
}

/** A value of the generated node config (`listen`, `http`): muster wrote it, so one line each. */
function configValue(text: string | undefined, key: string): string | undefined {
  const match = new RegExp(`^${key}: "([^"]*)"$`, 'm').exec(text ?? '');
  return match?.[1];
}

interface Varz {
  connections?: number;
  mem?: number;
  /** When the node last read its configuration (start or reload). */
  config_load_time?: string;
}

async function varz(address: string): Promise<Varz> {
  const response = await fetch(`http://${address}/varz`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as Varz;
}

async function loadTime(monitor: string): Promise<string | undefined> {
  try {
    return (await varz(monitor)).config_load_time;
  } catch {
    return undefined;
  }
}

/**
 * SIGHUPs a node and waits (up to `timeoutMs`) until its monitor says it read its
 * configuration again: once this resolves true, a revoked identity is out and a new one
 * can connect. False when the node did not confirm (a reload it refused: see its log).
 */
async function reloadNode(pid: number, config: string, timeoutMs = 2000): Promise<boolean> {
  const monitor = configValue(await readText(config), 'http');
  const before = monitor === undefined ? undefined : await loadTime(monitor);
  if (!signalNode(pid, 'SIGHUP', config)) return false;
  if (monitor === undefined || before === undefined) return false;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await loadTime(monitor);
    if (now !== undefined && now !== before) return true;
    // The reload runs in the node's own time; its monitor is the one place that tells.
    await new Promise((wait) => setTimeout(wait, 10));
  }
  return false;
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

/** What `refreshBrokers` did. */
export interface BrokerRefresh {
  /** Whether a broker folder with node configs exists here (auth.conf was written). */
  configured: boolean;
  /** Running nodes whose monitor confirmed the reload: a revoked identity is out of them. */
  confirmed: number[];
  /** Running nodes that were sent SIGHUP but did not confirm in 2 s (a reload they refused: see their log). */
  unconfirmed: number[];
}

/**
 * Regenerates `auth.conf` from the inventory and the CA's index, SIGHUPs every running node
 * and waits (up to 2 s each) until each says it reloaded, so a revoked identity is cut off
 * (its live connection closed, its reconnects refused) and a new one let in by the time this
 * resolves. The index is read, and the file written, under the broker lock (withBrokerLock).
 * Resolves with the nodes that confirmed and those that did not; none of either when no node
 * runs here (auth.conf is still written when the broker folder exists, for the next `up`).
 */
export async function refreshBrokers(inventory: Inventory, stateDir: string): Promise<BrokerRefresh> {
  if (!(await hasBrokerDir(stateDir))) return { configured: false, confirmed: [], unconfirmed: [] };
  return withBrokerLock(stateDir, async () => {
    const result: BrokerRefresh = { configured: false, confirmed: [], unconfirmed: [] };
    const nodes = await configuredNodes(stateDir);
    if (nodes.length === 0) return result;
    result.configured = true;
    await writeIfChanged(authConfig(inventory, stateDir, await activeRecords(stateDir)));
    for (const node of nodes) {
      const pid = await runningPid(node);
      if (pid === undefined) continue;
      (await reloadNode(pid, node.config) ? result.confirmed : result.unconfirmed).push(node.index);
    }
    return result;
  });
}

/**
 * One line for a refresh: `brokers reloaded: N`, naming the nodes that did not confirm;
 * undefined when no node runs here.
 */
export function describeRefresh(refresh: BrokerRefresh): string | undefined {
  const count = refresh.confirmed.length + refresh.unconfirmed.length;
  if (count === 0) return undefined;
  return refresh.unconfirmed.length === 0
    ? `brokers reloaded: ${count}`
    : `brokers reloaded: ${count}, but node ${refresh.unconfirmed.join(', ')} did not confirm in 2 s (see STATE/broker/node-N.log)`;
}
