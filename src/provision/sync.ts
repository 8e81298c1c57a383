/**
 * `muster provision sync`: the tree built from the inventory, refused whole
 * when anything in it is wrong, then brought onto disk (syncTree) under a lock
 * on the output folder, and dnsmasq told to re-read its reservations with a
 * SIGHUP when only they changed (a SIGHUP does not re-read dnsmasq.conf: a
 * change there needs a restart, which is said, not done).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidFileError, MusterError } from '../core/errors.js';
import { withFileLock } from '../core/fileLock.js';
import type { Inventory } from '../inventory/types.js';
import { dhcpHostsPath, dnsmasqConfPath } from './dnsmasq.js';
import { manifestName, type Manifest } from './manifest.js';
import { readManifest, syncTree, type SyncOptions, type SyncResult } from './syncTree.js';
import { buildTree, type ProvisionTree, type TreeOptions } from './tree.js';

/** Options of `syncProvision`. */
export interface ProvisionSyncOptions extends Omit<TreeOptions, 'dir'>, SyncOptions {
  dir: string;
  /** dnsmasq's pid file: SIGHUP it when only the reservations changed. */
  pidFile?: string;
  /** Render and compare every host, fingerprints or not (a file in DIR edited by hand is then put back). */
  full?: boolean;
}

/** What happened to dnsmasq. */
export type DnsmasqAction = 'none' | 'reloaded' | 'restart needed' | 'not running';

/** What `syncProvision` did. */
export interface ProvisionSyncReport extends SyncResult {
  tree: ProvisionTree;
  dnsmasq: DnsmasqAction;
}

/** Checks, builds and writes the provisioning tree; an `InvalidFileError` with every problem, and nothing written, when it is not valid. */
export async function syncProvision(inventory: Inventory, options: ProvisionSyncOptions): Promise<ProvisionSyncReport> {
  const dir = resolve(options.dir);
  const build = (previous: Manifest): ProvisionTree => {
    const tree = buildTree(inventory, { ...options, dir, ...(options.full ? {} : { previous: previous.hosts }) });
    if (tree.problems.length > 0) throw new InvalidFileError('the provisioning', tree.problems);
    return tree;
  };
  let previous = readManifest(dir);
  let tree = build(previous);
  if (options.check) return { ...syncTree(dir, tree, options, previous), tree, dnsmasq: 'none' };
  mkdirSync(dir, { recursive: true });
  // Two syncs into one folder would each stage and rename: serialize them. Kept hosts are
  // kept on the word of the manifest the tree was built from: if another sync wrote DIR in
  // between, build again from what it wrote.
  const result = await withFileLock(join(dir, manifestName), () => {
    const now = readManifest(dir);
    if (now.text !== previous.text) {
      previous = now;
      tree = build(now);
    }
    return Promise.resolve(syncTree(dir, tree, options, previous));
  });
  return { ...result, tree, dnsmasq: options.pidFile === undefined ? 'none' : tellDnsmasq(options.pidFile, result) };
}

function tellDnsmasq(pidFile: string, result: SyncResult): DnsmasqAction {
  const touched = new Set([...result.created, ...result.changed, ...result.removed]);
  if (touched.has(dnsmasqConfPath)) return 'restart needed';
  if (!touched.has(dhcpHostsPath)) return 'none';
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'not running';
    throw new MusterError(`Cannot read dnsmasq's pid file ${pidFile}: ${(error as Error).message}`, { cause: error });
  }
  if (!Number.isInteger(pid) || pid <= 1) throw new MusterError(`dnsmasq's pid file ${pidFile} does not hold a process id`);
  try {
    process.kill(pid, 'SIGHUP');
    return 'reloaded';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'not running';
    throw new MusterError(`Cannot signal dnsmasq (pid ${pid} from ${pidFile}): ${(error as Error).message}`, { cause: error });
  }
}
