/**
 * Where labs live and what they record. Every lab is one folder,
 * `${MUSTER_LAB_DIR:-/var/lib/muster/lab}/NAME`, holding everything it made
 * (keys, inventory, the tmpfs with each host's files, logs, pid files), and one
 * claim file `/run/muster-lab/net-N.claim` that reserves its 127.N.0.0/16 block,
 * so labs running at once never share an address.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../core/errors.js';
import type { LabAgents } from './files.js';
import type { PlannedHost, RoleShare } from './plan.js';

/** What `lab.json` records about a lab: enough to stop, start, inspect and remove it. */
export interface LabState {
  name: string;
  prefix: string;
  count: number;
  roles: RoleShare[];
  /** The second octet of the lab's 127.N.0.0/16 block. */
  net: number;
  hosts: PlannedHost[];
  createdAt: string;
  /** With agents (`lab up --agents`): where the lab's brokers listen. */
  agents?: LabAgents;
}

/** The folder holding every lab: $MUSTER_LAB_DIR, else /var/lib/muster/lab. */
export function labRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['MUSTER_LAB_DIR'] || '/var/lib/muster/lab';
}

const labName = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** Checks a lab name (it becomes a folder name) and returns it. */
export function checkLabName(name: string): string {
  if (!labName.test(name) || name.includes('..')) {
    throw new UsageError(`Invalid lab name "${name}": use lower-case letters, digits, ".", "-" and "_" (at most 63)`);
  }
  return name;
}

/** The folder of lab `name`. */
export function labDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(labRoot(env), checkLabName(name));
}

/** Paths of the files inside a lab's folder. */
export function labPaths(dir: string) {
  return {
    state: join(dir, 'lab.json'),
    inventory: join(dir, 'muster.yaml'),
    sshConfig: join(dir, 'ssh_config'),
    knownHosts: join(dir, 'known_hosts'),
    identity: join(dir, 'id_ed25519'),
    boot: join(dir, 'boot.sh'),
    /** A tmpfs: each host's upper/, work/ and root/ (its overlay) live under fs/HOST/. */
    fs: join(dir, 'fs'),
    /** Each host's pid file and log, under hosts/HOST/. */
    hosts: join(dir, 'hosts'),
  };
}

/** Reads a lab's `lab.json`, or undefined when there is none. */
export async function readLabState(dir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(labPaths(dir).state, 'utf8')) as LabState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Names of the labs under the root folder (folders, with or without a complete lab.json). */
export async function listLabNames(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  try {
    const entries = await readdir(labRoot(env), { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && labName.test(entry.name)).map((entry) => entry.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const firstNet = 100;
const lastNet = 254;

/**
 * Where address claims live: one place for the whole machine, whatever
 * MUSTER_LAB_DIR each lab uses, so labs under different roots never collide.
 */
export const claimDir = '/run/muster-lab';

function claimPath(net: number): string {
  return join(claimDir, `net-${net}.claim`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function claimOwner(net: number): Promise<string> {
  return (await readFile(claimPath(net), 'utf8').catch(() => '')).trim();
}

/**
 * Reserves a free 127.N.0.0/16 block (N in 100–254) for the lab in folder `dir`
 * by creating its claim file exclusively, so two labs starting at once cannot
 * both win. The folder's path picks where the search starts, so a lab tends to get
 * the same block every time. A claim whose lab folder is gone is stale and taken
 * over. `inUse` lets the caller veto a block something is already listening on.
 */
export async function claimNet(dir: string, inUse: (net: number) => Promise<boolean>): Promise<number> {
  await mkdir(claimDir, { recursive: true });
  const span = lastNet - firstNet + 1;
  const start = createHash('sha256').update(dir).digest().readUInt16BE(0) % span;
  for (let step = 0; step < span; step += 1) {
    const net = firstNet + ((start + step) % span);
    try {
      const handle = await open(claimPath(net), 'wx');
      await handle.writeFile(`${dir}\n`);
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await claimOwner(net);
      if (owner === dir || (owner !== '' && !(await exists(owner)))) {
        await rm(claimPath(net), { force: true });
        step -= 1; // try this block again, now free
      }
      continue;
    }
    if (await inUse(net)) {
      await rm(claimPath(net), { force: true });
      continue;
    }
    return net;
  }
  throw new UsageError(`No free loopback block for lab ${dir}: all of 127.${firstNet}-${lastNet}.0.0/16 are claimed in ${claimDir}`);
}

/** Every block the lab in folder `dir` holds (normally one; none before up). */
export async function claimsOf(dir: string): Promise<number[]> {
  let entries: string[] = [];
  try {
    entries = await readdir(claimDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const nets: number[] = [];
  for (const entry of entries) {
    const match = /^net-(\d+)\.claim$/.exec(entry);
    if (match && (await claimOwner(Number(match[1]))) === dir) nets.push(Number(match[1]));
  }
  return nets;
}

/** Gives back a block, if the lab in folder `dir` still holds it. */
export async function releaseNet(dir: string, net: number): Promise<void> {
  if ((await claimOwner(net)) === dir) await rm(claimPath(net), { force: true });
}

/** The recorded state of lab `name`; a NotFoundError saying how to start one when there is none. */
export async function requireState(name: string): Promise<{ dir: string; state: LabState }> {
  const dir = labDir(name);
  const state = await readLabState(dir);
  if (!state) throw new NotFoundError('lab', name, `nothing under ${labRoot()}; start one with \`muster lab up --name ${name}\``);
  return { dir, state };
}

/** The host of a lab named by its name or its address; a NotFoundError naming the lab's range otherwise. */
export function requireHost(state: LabState, host: string): PlannedHost {
  const found = state.hosts.find((candidate) => candidate.name === host || candidate.address === host);
  if (!found) throw new NotFoundError('host', host, `lab "${state.name}" has ${state.hosts[0]?.name ?? 'none'}…${state.hosts.at(-1)?.name ?? ''}`);
  return found;
}
