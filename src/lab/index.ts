/**
 * `muster lab`: a throwaway fleet of real sshd hosts on this machine, for tests,
 * the demo and benchmarks. Each host has its own mount, UTS and PID namespaces
 * (an overlay of `/`, its own hostname, its own process tree) and its own loopback
 * address; hosts SHARE the machine's network namespace, so any service started in
 * a host must bind that host's own address, not 0.0.0.0.
 *
 * Library surface: labUp, labDown, labStatus, labList, labStopHost, labStartHost,
 * labExec, labInventoryPath, labUnavailableReason.
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EnvironmentError, NotFoundError, UsageError } from '../core/errors.js';
import { pooledSettled } from '../core/pool.js';
import { ensureLabEnvironment, labUnavailableReason } from './environment.js';
import {
  bashrcText, bootScriptText, etcHostsText, inventoryText, knownHostsText, profileText, sshConfigText, sshdConfigText,
} from './files.js';
import { bootHost, commandLine, hostProcess, isAlive, killAndWait, probeSsh, stopHost } from './host.js';
import { ed25519KeyPair, type SshKeyPair } from './keys.js';
import { countFromRoles, maxLabHosts, parseRoles, planHosts, type PlannedHost, type RoleShare } from './plan.js';
import { claimNet, claimsOf, labDir, labPaths, labRoot, listLabNames, readLabState, releaseNet, type LabState } from './state.js';

export { labUnavailableReason };

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
  /** How many hosts boot at once (default 32). */
  parallel?: number;
  signal?: AbortSignal;
}

/** One host's state as labStatus sees it. */
export interface LabHostStatus extends LabHost {
  running: boolean;
  /** PID 1 of the host as the machine sees it, when running. */
  pid?: number;
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

function sameShares(a: RoleShare[], b: RoleShare[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Runs `work` on every item, `limit` at once; the first failure starts no more items and is thrown once the running ones end. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  let failure: { error: unknown } | undefined;
  await pooledSettled(items, async (item) => {
    try {
      await work(item);
    } catch (error) {
      failure ??= { error };
      stop.abort();
    }
  }, { limit, signal: stop.signal });
  if (failure !== undefined) throw failure.error;
}

async function writeHostFiles(fsDir: string, host: PlannedHost, facts: { hostKey: SshKeyPair; authorizedKeys: string; etcHosts: string }): Promise<void> {
  const upper = join(fsDir, host.name, 'upper');
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
 * prefix and roles, it is kept (`created: false`), its stopped hosts booted again;
 * when it exists with another shape (or `recreate`, or a host will not boot), it
 * is removed and made anew.
 * Hosts boot in parallel; resolves once every sshd greets. On failure, whatever
 * was made is removed again and the error says which host failed and why.
 */
export async function labUp(options: LabUpOptions = {}): Promise<Lab> {
  const name = options.name ?? 'default';
  const dir = labDir(name);
  const prefix = options.prefix ?? 'lab';
  if (!prefixPattern.test(prefix)) throw new UsageError(`Invalid prefix "${prefix}": a lower-case letter, then letters, digits or "-"`);
  const roles = parseRoles((options.roles ?? []).join(','));
  const count = options.count ?? countFromRoles(roles);
  if (count === undefined) throw new UsageError('How many hosts? Give a count, or a count for every role (web:10,db:5)');
  if (!Number.isInteger(count) || count < 1 || count > maxLabHosts) {
    throw new UsageError(`Invalid host count ${count}: expected a whole number from 1 to ${maxLabHosts}`);
  }
  await ensureLabEnvironment(options.signal ? { signal: options.signal } : {});

  const existing = await readLabState(dir);
  if (existing && !options.recreate && existing.count === count && existing.prefix === prefix && sameShares(existing.roles, roles)) {
    // Same shape: keep it, booting any stopped host again (with its files), as `start` would.
    const status = await labStatus(name);
    const stopped = existing.hosts.filter((host) => !status.hosts.find((candidate) => candidate.name === host.name)?.running);
    const bootOptions = options.signal ? { signal: options.signal } : {};
    const restarted = await pool(stopped, options.parallel ?? 32, (host) => bootHost(labPaths(dir), host, bootOptions)).then(() => true, () => false);
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
    const state: LabState = { name, prefix, count, roles, net, hosts, createdAt: new Date().toISOString() };
    const facts = { name, prefix, hosts };

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
    await pool(hosts.map((host, index) => ({ host, index })), 16, ({ host, index }) =>
      writeHostFiles(paths.fs, host, { hostKey: hostKeys[index] as SshKeyPair, authorizedKeys, etcHosts }));

    const bootOptions = options.signal ? { signal: options.signal } : {};
    await pool(hosts, options.parallel ?? 32, (host) => bootHost(paths, host, bootOptions));
    return labOf(dir, state, true);
  } catch (error) {
    await labDown(name).catch(() => undefined);
    if (net !== undefined) await releaseNet(dir, net).catch(() => undefined);
    throw error;
  }
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Mount points of this mount namespace at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Processes whose command line runs this lab's boot script (hosts whose pid file was lost). */
async function strayBoots(bootScript: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const line = await commandLine(Number(entry)).catch(() => undefined);
    if (line?.includes(` ${bootScript} `) && (await isAlive(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Removes lab `name` and everything it made, and only that: stops every host
 * (their processes end with their PID namespaces), unmounts the lab's tmpfs,
 * deletes its folder and gives back its address block. Resolves false when there
 * was no such lab. Safe on a half-made lab.
 */
export async function labDown(name = 'default'): Promise<boolean> {
  const dir = labDir(name);
  const paths = labPaths(dir);
  const state = await readLabState(dir);
  const names = new Set(state?.hosts.map((host) => host.name) ?? []);
  for (const entry of await readdir(paths.hosts).catch(() => [] as string[])) names.add(entry);
  const claims = await claimsOf(dir);
  const mounts = await mountsUnder(dir);
  if (!state && names.size === 0 && mounts.length === 0 && claims.length === 0) {
    const existed = await rm(dir, { recursive: true }).then(() => true, () => false);
    return existed;
  }
  await pool([...names], 32, async (host) => {
    await stopHost(paths, host);
  });
  // A host whose pid file was never written or was lost is still found by its command line.
  const strays = await strayBoots(paths.boot);
  if (strays.length > 0) {
    const children = await Promise.all(strays.map(async (pid) =>
      (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number)));
    await killAndWait([...children.flat(), ...strays]);
  }
  for (const point of await mountsUnder(dir)) {
    await run('umount', [point]).catch(async () => run('umount', ['-l', point]));
  }
  await rm(dir, { recursive: true, force: true });
  for (const net of claims) await releaseNet(dir, net);
  return true;
}

async function requireState(name: string): Promise<{ dir: string; state: LabState }> {
  const dir = labDir(name);
  const state = await readLabState(dir);
  if (!state) throw new NotFoundError('lab', name, `nothing under ${labRoot()}; start one with \`muster lab up --name ${name}\``);
  return { dir, state };
}

/** Lab `name` and whether each of its hosts is running. Throws NotFoundError when there is no such lab. */
export async function labStatus(name = 'default'): Promise<LabStatus> {
  const { dir, state } = await requireState(name);
  const paths = labPaths(dir);
  const { created: _created, hosts: _hosts, ...lab } = labOf(dir, state, false);
  const hosts = await Promise.all(state.hosts.map(async (host): Promise<LabHostStatus> => {
    const running = await hostProcess(paths, host.name);
    const base = { name: host.name, address: host.address, roles: host.roles };
    return running ? { ...base, running: true, pid: running.init } : { ...base, running: false };
  }));
  return { ...lab, hosts, createdAt: state.createdAt };
}

/** Names of every lab under the lab folder. */
export async function labList(): Promise<string[]> {
  return listLabNames();
}

function requireHost(state: LabState, host: string): PlannedHost {
  const found = state.hosts.find((candidate) => candidate.name === host || candidate.address === host);
  if (!found) throw new NotFoundError('host', host, `lab "${state.name}" has ${state.hosts[0]?.name ?? 'none'}…${state.hosts.at(-1)?.name ?? ''}`);
  return found;
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

/** What labExec returns. */
export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a shell command inside a host — its namespaces, root and cwd — as root,
 * without SSH (`nsenter -t PID -m -u -p -r -w`). For test setup and assertions.
 * A non-zero exit is a result, not an error; a stopped host is an EnvironmentError.
 */
export async function labExec(
  lab: Lab | LabStatus | string,
  host: string,
  command: string,
  options: { signal?: AbortSignal; input?: string } = {},
): Promise<LabExecResult> {
  const name = typeof lab === 'string' ? lab : lab.name;
  const { dir, state } = await requireState(name);
  const found = requireHost(state, host);
  const running = await hostProcess(labPaths(dir), found.name);
  if (!running) throw new EnvironmentError(`Lab host ${found.name} of lab "${name}" is stopped`);
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8' };
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(running.init), '-m', '-u', '-p', '-r', '-w', '--', '/bin/sh', '-c', command], {
      env, stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    // A command that exits without reading its stdin closes the pipe: that is its business, not an error.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.once('close', (code, signal) => resolve({
      code: code ?? (signal ? 128 : 1),
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    }));
    child.stdin.end(options.input ?? '');
  });
}

/** The lab names in use, for messages: how many hosts each has running. */
export async function labSummaries(): Promise<{ name: string; hosts: number; running: number; error?: string }[]> {
  const result: { name: string; hosts: number; running: number; error?: string }[] = [];
  for (const name of await listLabNames()) {
    try {
      const status = await labStatus(name);
      result.push({ name, hosts: status.hosts.length, running: status.hosts.filter((host) => host.running).length });
    } catch (error) {
      result.push({ name, hosts: 0, running: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}

/** Parses the `--roles` entries of the CLI the same way labUp does (for early usage errors). */
export function labRoleShares(entries: string[]): RoleShare[] {
  return parseRoles(entries.join(','));
}
