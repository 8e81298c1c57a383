/**
 * `muster lab`: a throwaway fleet of real sshd hosts on this machine, for tests,
 * the demo and benchmarks. Each host has its own mount, UTS and PID namespaces
 * (an overlay of `/`, its own hostname, its own process tree) and its own loopback
 * address; hosts SHARE the machine's network namespace, so any service started in
 * a host must bind that host's own address, not 0.0.0.0.
 *
 * Library surface: labUp, labDown, labStatus, labList, labStopHost, labStartHost,
 * labExec, labInventoryPath, labUnavailableReason, labStartDaemon, labStopDaemon, labDaemons.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OptionError, UsageError } from '../core/errors.js';
import { checkLimit, pooledAll } from '../core/pool.js';
import { labDown } from './teardown.js';
import { ensureLabEnvironment, labUnavailableReason } from './environment.js';
import {
  bashrcText, bootScriptText, etcHostsText, inventoryText, knownHostsText, labAgentsState, profileText, sshConfigText, sshdConfigText,
  type LabAgents,
} from './files.js';
import { labDaemons } from './daemon.js';
import { bootHost, hostProcess, probeSsh, stopHost } from './host.js';
import { ed25519KeyPair, type SshKeyPair } from './keys.js';
import { countFromRoles, maxLabHosts, parseRoles, planHosts, type PlannedHost, type RoleShare } from './plan.js';
import { shapeDifferences } from './shape.js';
import { claimNet, labDir, labPaths, listLabNames, readLabState, releaseNet, requireHost, requireState, type LabState } from './state.js';

export { labUnavailableReason };
export { labDown } from './teardown.js';
export { labExec, type LabExecResult } from './exec.js';
export { labDaemons, labStartDaemon, labStopDaemon, type LabDaemon, type LabDaemonOptions } from './daemon.js';

const run = promisify(execFile);

/** A lab host as callers see it. */
export interface LabHost {
  name: string;
  address: string;
  roles: string[];
}

/** A running lab: where its files are and what hosts it has. */
export interface Lab {
  name: string;
  dir: string;
  /** The lab's `muster.yaml`; `export MUSTER_INVENTORY=…` to use it. */
  inventoryPath: string;
  /** An ssh_config for OpenSSH (`ssh -F`), clush, pdsh, pssh, ansible, and muster. */
  sshConfigPath: string;
  knownHostsPath: string;
  /** The lab's client private key (ed25519, unencrypted). */
  identityPath: string;
  hosts: LabHost[];
  /** False when labUp found this lab already up as asked and left it as it was. */
  created: boolean;
  /** With `agents`: the brokers' URLs (in the inventory's `agents.servers`) and the lab's state folder. */
  agents?: { servers: string[]; stateDir: string };
}

/** Options of labUp. */
export interface LabUpOptions {
  /** Lab name (a folder name); default `default`. */
  name?: string;
  /** How many hosts; may be left out when every role has a count (`web:10,db:5`). */
  count?: number;
  /** Host name prefix; default `lab` (lab01, lab02, …). */
  prefix?: string;
  /** Roles as `web`, `db` (split evenly, in contiguous blocks) or `web:10` (exact counts); entries may hold commas. */
  roles?: string[];
  /** Recreate the lab even when it is already up as asked. */
  recreate?: boolean;
  /** How many hosts boot at once: a whole number of at least 1 (default 32). */
  parallel?: number;
  /**
   * Prepare for agents over NATS: the inventory gets an `agents` section (brokers on the lab's
   * own addresses 127.N.255.251…, state folder `agents.state` beside it, autosign all, operator
   * `admin` allowed everything). The CA, brokers and agents themselves are the CLI's part
   * (`muster lab up --agents`), lab/ knowing nothing of them.
   */
  agents?: { brokers: number };
  signal?: AbortSignal;
}

/** One host's state as labStatus sees it. */
export interface LabHostStatus extends LabHost {
  running: boolean;
  /** PID 1 of the host as the machine sees it, when running. */
  pid?: number;
  /** The host's running daemons (labStartDaemon), by name, with their pids. */
  daemons: { name: string; pid: number }[];
}

/** A lab's state: every host, running or stopped. */
export interface LabStatus extends Omit<Lab, 'hosts' | 'created'> {
  hosts: LabHostStatus[];
  createdAt: string;
}

const prefixPattern = /^[a-z][a-z0-9-]{0,30}$/;

function labOf(dir: string, state: LabState, created: boolean): Lab {
  const paths = labPaths(dir);
  return {
    ...(state.agents ? { agents: { servers: state.agents.servers, stateDir: join(dir, labAgentsState) } } : {}),
    name: state.name,
    dir,
    inventoryPath: paths.inventory,
    sshConfigPath: paths.sshConfig,
    knownHostsPath: paths.knownHosts,
    identityPath: paths.identity,
    hosts: state.hosts.map((host) => ({ name: host.name, address: host.address, roles: host.roles })),
    created,
  };
}

/** The path of lab `name`'s inventory (whether or not the lab is up). */
export function labInventoryPath(name = 'default'): string {
  return labPaths(labDir(name)).inventory;
}

/** Most brokers a lab runs (a 3-node cluster is what the tests need). */
export const maxLabBrokers = 3;

/** Most hosts of a lab with agents: the last addresses of its /16 are its brokers'. */
export const maxLabAgentHosts = 254 * 255;

/**
 * The brokers of a lab in block 127.NET.0.0/16: 127.NET.255.251, .252, … Each on its own port
 * too, unique on this machine (10000 + 4 per block + its index): a broker's monitor listens on
 * 127.0.0.1 at its client port + 4000, so two brokers on one port would collide there.
 */
function labAgents(net: number, brokers: number): LabAgents {
  return { servers: Array.from({ length: brokers }, (_, index) => `tls://127.${net}.255.${251 + index}:${10_000 + (net - 100) * 4 + index}`) };
}

async function writeHostFiles(fsDir: string, host: PlannedHost, facts: { hostKey: SshKeyPair; authorizedKeys: string; etcHosts: string }): Promise<void> {
  const upper = join(fsDir, host.name, 'upper');
  // The upper dir's mode is the mode of the host's `/`: made first and set to 0755 (whatever
  // the umask), or the 0700 of /root/.ssh below (a recursive mkdir gives every folder it
  // makes that mode) would lock every user but root out of the host.
  await mkdir(upper, { recursive: true });
  await chmod(upper, 0o755);
  await mkdir(join(fsDir, host.name, 'work'), { recursive: true });
  await mkdir(join(fsDir, host.name, 'root'), { recursive: true });
  await mkdir(join(upper, 'root', '.ssh'), { recursive: true, mode: 0o700 });
  await chmod(join(upper, 'root'), 0o700);
  await mkdir(join(upper, 'etc', 'ssh'), { recursive: true });
  await Promise.all([
    writeFile(join(upper, 'root', '.ssh', 'authorized_keys'), facts.authorizedKeys, { mode: 0o600 }),
    writeFile(join(upper, 'root', '.bashrc'), bashrcText),
    writeFile(join(upper, 'root', '.profile'), profileText),
    writeFile(join(upper, 'etc', 'hostname'), `${host.name}\n`),
    writeFile(join(upper, 'etc', 'hosts'), facts.etcHosts),
    writeFile(join(upper, 'etc', 'ssh', 'sshd_config'), sshdConfigText(host.address)),
    writeFile(join(upper, 'etc', 'ssh', 'ssh_host_ed25519_key'), facts.hostKey.privateKey, { mode: 0o600 }),
    writeFile(join(upper, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), `${facts.hostKey.publicKey}\n`),
  ]);
}

/**
 * Brings up lab `name` with `count` hosts and writes its inventory, ssh_config,
 * known_hosts and client key. When the lab already exists with the same count,
 * prefix, roles and agents (or neither count nor roles is given), it is kept
 * (`created: false`), its stopped hosts booted again; with `recreate` (or when a
 * host of it will not boot) it is removed and made anew. When it exists with
 * another shape, labUp throws OptionError (option `recreate`) naming what differs:
 * making it anew would remove its hosts and their files.
 * Hosts boot in parallel; resolves once every sshd greets. On failure, whatever
 * was made is removed again and the error says which host failed and why.
 */
export async function labUp(options: LabUpOptions = {}): Promise<Lab> {
  const name = options.name ?? 'default';
  const dir = labDir(name);
  let roles = parseRoles((options.roles ?? []).join(','));
  // Nothing said about its shape (`muster lab up --name ux40`): the lab as it is, when it is there.
  const found = options.count === undefined && roles.length === 0 ? await readLabState(dir) : undefined;
  if (found) roles = found.roles;
  const prefix = options.prefix ?? found?.prefix ?? 'lab';
  if (!prefixPattern.test(prefix)) throw new UsageError(`Invalid prefix "${prefix}": a lower-case letter, then letters, digits or "-"`);
  const count = found ? found.count : options.count ?? countFromRoles(roles);
  if (count === undefined) throw new UsageError('How many hosts? Give a count, or a count for every role (web:10,db:5)');
  if (!Number.isInteger(count) || count < 1 || count > maxLabHosts) {
    throw new UsageError(`Invalid host count ${count}: expected a whole number from 1 to ${maxLabHosts}`);
  }
  // Checked before anything is done: left to the pool, the error would name `limit`, and
  // come only after a lab found up as asked had been taken down to be made anew.
  const parallel = options.parallel ?? 32;
  checkLimit(parallel, 'parallel');
  const brokers = options.agents?.brokers;
  if (brokers !== undefined && (!Number.isInteger(brokers) || brokers < 1 || brokers > maxLabBrokers)) {
    throw new UsageError(`Invalid broker count ${brokers}: expected 1 to ${maxLabBrokers}`);
  }
  if (brokers !== undefined && count > maxLabAgentHosts) {
    throw new UsageError(`A lab with agents has at most ${maxLabAgentHosts} hosts (its brokers take the last addresses of its block)`);
  }
  await ensureLabEnvironment(options.signal ? { signal: options.signal } : {});

  const existing = found ?? await readLabState(dir);
  const differences = existing ? shapeDifferences(existing, { count, prefix, roles, brokers }) : [];
  if (existing && !options.recreate && differences.length > 0) {
    // Making it anew would remove its hosts and every file on them: only when told to.
    throw new OptionError('recreate', (flag) => `Lab "${name}" is already up with another shape: ${differences.join(', ')}; ` +
      `making it anew would remove its hosts and every file on them: add ${flag('recreate')} for that (given no count and no roles, it is kept as it is)`);
  }
  if (existing && !options.recreate) {
    // Same shape: keep it, booting any stopped host again (with its files), as `start` would.
    const status = await labStatus(name);
    const stopped = existing.hosts.filter((host) => !status.hosts.find((candidate) => candidate.name === host.name)?.running);
    const bootOptions = options.signal ? { signal: options.signal } : {};
    const restarted = await pooledAll(stopped, (host) => bootHost(labPaths(dir), host, bootOptions), { limit: parallel }).then(() => true, () => false);
    if (restarted) return labOf(dir, existing, false);
    if (options.signal?.aborted) throw options.signal.reason;
  }
  await labDown(name);

  const paths = labPaths(dir);
  await mkdir(paths.hosts, { recursive: true });
  let net: number | undefined;
  try {
    net = await claimNet(dir, async (candidate) => (await probeSsh(`127.${candidate}.0.1`)) !== 'refused');
    const hosts = planHosts({ prefix, count, roles, net });
    const agents = brokers === undefined ? undefined : labAgents(net, brokers);
    const state: LabState = { name, prefix, count, roles, net, hosts, createdAt: new Date().toISOString(), ...(agents ? { agents } : {}) };
    const facts = { name, prefix, hosts, ...(agents ? { agents } : {}) };

    const client = ed25519KeyPair(`muster-lab-${name}`);
    const hostKeys = hosts.map((host) => ed25519KeyPair(`root@${host.name}`));
    await writeFile(paths.identity, client.privateKey, { mode: 0o600 });
    await writeFile(`${paths.identity}.pub`, `${client.publicKey}\n`);
    await writeFile(paths.knownHosts, knownHostsText(hosts.map((host, index) => ({ ...host, publicBlob: hostKeys[index]?.publicBlob ?? '' }))));
    await writeFile(paths.sshConfig, sshConfigText(facts, { identity: paths.identity, knownHosts: paths.knownHosts }));
    await writeFile(paths.inventory, inventoryText(facts));
    await writeFile(paths.boot, bootScriptText, { mode: 0o755 });
    await writeFile(paths.state, `${JSON.stringify(state, null, 2)}\n`);

    await mkdir(paths.fs, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', 'mode=700', `muster-lab-${name}`, paths.fs], { signal: options.signal });
    const etcHosts = etcHostsText(facts);
    const authorizedKeys = `${client.publicKey}\n`;
    await pooledAll(hosts.map((host, index) => ({ host, index })), ({ host, index }) =>
      writeHostFiles(paths.fs, host, { hostKey: hostKeys[index] as SshKeyPair, authorizedKeys, etcHosts }), { limit: 16 });

    const bootOptions = options.signal ? { signal: options.signal } : {};
    await pooledAll(hosts, (host) => bootHost(paths, host, bootOptions), { limit: parallel });
    return labOf(dir, state, true);
  } catch (error) {
    await labDown(name).catch(() => undefined);
    if (net !== undefined) await releaseNet(dir, net).catch(() => undefined);
    throw error;
  }
}

/** Lab `name` and whether each of its hosts is running. Throws NotFoundError when there is no such lab. */
export async function labStatus(name = 'default'): Promise<LabStatus> {
  const { dir, state } = await requireState(name);
  const paths = labPaths(dir);
  const { created: _created, hosts: _hosts, ...lab } = labOf(dir, state, false);
  const daemons = new Map<string, { name: string; pid: number }[]>();
  for (const daemon of await labDaemons(name)) daemons.set(daemon.host, [...(daemons.get(daemon.host) ?? []), { name: daemon.name, pid: daemon.pid }]);
  const hosts = await Promise.all(state.hosts.map(async (host): Promise<LabHostStatus> => {
    const running = await hostProcess(paths, host.name);
    const own = daemons.get(host.name) ?? [];
    const base = { name: host.name, address: host.address, roles: host.roles, daemons: own };
    return running ? { ...base, running: true, pid: running.init } : { ...base, running: false };
  }));
  return { ...lab, hosts, createdAt: state.createdAt };
}

/** Names of every lab under the lab folder. */
export async function labList(): Promise<string[]> {
  return listLabNames();
}

/**
 * Stops one host as pulling its plug would: sshd and every process in the host
 * end, so connections to it are refused. Its files stay; its /tmp and /run are
 * emptied. Resolves false when it was already stopped.
 */
export async function labStopHost(name: string, host: string): Promise<boolean> {
  const { dir, state } = await requireState(name);
  const paths = labPaths(dir);
  const found = requireHost(state, host);
  const stopped = await stopHost(paths, found.name);
  // The kernel closes the listening socket as sshd dies; make sure before reporting.
  for (let attempt = 0; attempt < 200 && (await probeSsh(found.address)) !== 'refused'; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return stopped;
}

/** Starts a stopped host again (same files, key and address). Resolves false when it was already running. */
export async function labStartHost(name: string, host: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
  const { dir, state } = await requireState(name);
  const paths = labPaths(dir);
  const found = requireHost(state, host);
  if (await hostProcess(paths, found.name)) return false;
  await bootHost(paths, found, options);
  return true;
}

/** The lab names in use, for messages: how many hosts each has running, and how many daemons run in them. */
export async function labSummaries(): Promise<{ name: string; hosts: number; running: number; daemons: number; error?: string }[]> {
  const result: { name: string; hosts: number; running: number; daemons: number; error?: string }[] = [];
  for (const name of await listLabNames()) {
    try {
      const status = await labStatus(name);
      const daemons = status.hosts.reduce((sum, host) => sum + host.daemons.length, 0);
      result.push({ name, hosts: status.hosts.length, running: status.hosts.filter((host) => host.running).length, daemons });
    } catch (error) {
      result.push({ name, hosts: 0, running: 0, daemons: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}

/** Parses the `--roles` entries of the CLI the same way labUp does (for early usage errors). */
export function labRoleShares(entries: string[]): RoleShare[] {
  return parseRoles(entries.join(','));
}
