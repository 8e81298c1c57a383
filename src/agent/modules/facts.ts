/**
 * `facts.get`: what the host is, for `muster facts` and reconcile: os-release, kernel, cpus,
 * memory, disks, addresses, uptime, hostname. Disks are the real filesystems of /proc/mounts
 * (pseudo filesystems such as proc, tmpfs, overlay of containers' runtime are left out), each
 * statfs'd; a mount that cannot be statfs'd (no permission) is skipped, one whose statfs does
 * not answer in `statfsTimeoutMs` (a hung NFS server) is reported `{ unresponsive: true }`.
 *
 * A hung statfs keeps one of libuv's 4 threads until it returns: so a mount whose earlier
 * statfs has not settled is not asked again (`unresponsive` at once), or four calls of
 * facts.get would wedge every fs call of the daemon.
 */
import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, freemem, hostname, networkInterfaces, release, totalmem, uptime, version } from 'node:os';
import { z } from 'zod';
import { action, type AgentModule } from '../module.js';

/** Filesystem types that hold data (everything else in /proc/mounts is a kernel view or memory). */
const realFilesystems = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'f2fs', 'jfs', 'reiserfs', 'nfs', 'nfs4', 'cifs', 'fuseblk', 'overlay']);

/** How long one statfs may take before its mount is skipped (a dead NFS server must not hang facts). */
const statfsTimeoutMs = 2000;

/** The statfs calls that have not settled yet, by mount point (module-wide: they outlive the facts.get that made them). */
const pendingStatfs = new Map<string, Promise<unknown>>();

/**
 * statfs of `point` within `timeoutMs`: its result, undefined when it failed, or
 * `unresponsive` when it did not answer in time or an earlier call for `point` is still pending.
 */
export async function guardedStatfs<T>(point: string, call: (point: string) => Promise<T>, timeoutMs = statfsTimeoutMs): Promise<T | undefined | 'unresponsive'> {
  if (pendingStatfs.has(point)) return 'unresponsive';
  const pending = call(point).catch(() => undefined);
  pendingStatfs.set(point, pending);
  void pending.finally(() => pendingStatfs.delete(point));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'unresponsive'>((done) => { timer = setTimeout(() => done('unresponsive'), timeoutMs); });
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function osRelease(): Promise<Record<string, string>> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => readFile('/usr/lib/os-release', 'utf8')).catch(() => '');
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) fields[match[1]] = (match[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return fields;
}

/** Undoes /proc/mounts' octal escapes (`\040` is a space). */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_all, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

async function disks(): Promise<unknown[]> {
  const text = await readFile('/proc/mounts', 'utf8').catch(() => '');
  const seen = new Set<string>();
  const found: unknown[] = [];
  for (const line of text.split('\n')) {
    const [device, mount, type] = line.split(' ');
    if (!device || !mount || !type || !realFilesystems.has(type)) continue;
    const point = unescapeMount(mount);
    if (seen.has(point)) continue;
    seen.add(point);
    const stats = await guardedStatfs(point, (where) => statfs(where));
    if (stats === 'unresponsive') {
      found.push({ mount: point, device: unescapeMount(device), type, unresponsive: true });
      continue;
    }
    if (!stats) continue;
    const size = stats.blocks * stats.bsize;
    found.push({ mount: point, device: unescapeMount(device), type, size, free: stats.bavail * stats.bsize, used: size - stats.bfree * stats.bsize });
  }
  return found;
}

function addresses(): unknown[] {
  const found: unknown[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (entry.internal) continue;
      found.push({ interface: name, family: entry.family === 'IPv4' ? 'inet' : 'inet6', address: entry.address, cidr: entry.cidr, mac: entry.mac });
    }
  }
  return found;
}

/** Gathers every fact; the value of `facts.get`. */
export async function gatherFacts(): Promise<Record<string, unknown>> {
  const release_ = await osRelease();
  const cpuList = cpus();
  return {
    hostname: hostname(),
    os: { id: release_['ID'] ?? null, version: release_['VERSION_ID'] ?? null, name: release_['PRETTY_NAME'] ?? release_['NAME'] ?? null, codename: release_['VERSION_CODENAME'] ?? null },
    kernel: { release: release(), version: version(), arch: arch() },
    cpus: { count: cpuList.length, model: cpuList[0]?.model ?? null },
    memory: { total: totalmem(), free: freemem() },
    disks: await disks(),
    addresses: addresses(),
    uptime: Math.round(uptime()),
  };
}

/** The `facts` module: `facts.get` → `{ hostname, os, kernel, cpus, memory, disks, addresses, uptime }` (bytes and seconds). */
export const factsModule = {
  name: 'facts',
  actions: {
    get: action(z.object({}).loose(), () => gatherFacts()),
  },
} satisfies AgentModule;
