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
import { hostname, machine, networkInterfaces, release, version } from 'node:os';
import { z } from 'zod';
import {
  cpusFrom, diskFrom, memoryFrom, osFromRelease, realMounts, sortAddresses, uptimeFrom, type HostAddress, type HostDisk, type HostFacts,
} from '../../core/hostFacts.js';
import { action, type AgentModule } from '../module.js';

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

/** A file's text, or '' when it cannot be read (a field the host does not have is empty, not an error). */
function text(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

async function disks(): Promise<HostDisk[]> {
  const found: HostDisk[] = [];
  for (const [device, point, type] of realMounts(await text('/proc/mounts'))) {
    const stats = await guardedStatfs(point, (where) => statfs(where));
    if (stats === 'unresponsive') found.push({ mount: point, device, type, unresponsive: true });
    else if (stats) found.push(diskFrom(device, point, type, stats));
  }
  return found;
}

function addresses(): HostAddress[] {
  const found: HostAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const entry of list ?? []) {
      // Loopback too: `ip -o addr` lists it, and 127.0.0.1/8 on lo is why a host answers on 127.x.y.z.
      found.push({ interface: name, family: entry.family === 'IPv4' ? 'inet' : 'inet6', address: entry.address, cidr: entry.cidr ?? entry.address, mac: entry.mac || null });
    }
  }
  return sortAddresses(found);
}

/**
 * Gathers every fact; the value of `facts.get`. The numbers come from the /proc files that
 * `muster facts --via ssh` reads (core/hostFacts.ts), not from node's os (whose memory and
 * cpu counts depend on the libuv it was built with), so both ways give the same values.
 */
export async function gatherFacts(): Promise<HostFacts> {
  const [release_, stat, cpuinfo, meminfo, uptime] = await Promise.all(
    [text('/etc/os-release').then((found) => found || text('/usr/lib/os-release')), text('/proc/stat'), text('/proc/cpuinfo'), text('/proc/meminfo'), text('/proc/uptime')],
  );
  return {
    hostname: hostname(),
    os: osFromRelease(release_),
    kernel: { release: release(), version: version(), arch: machine() },
    cpus: cpusFrom(stat, cpuinfo),
    memory: memoryFrom(meminfo),
    disks: await disks(),
    addresses: addresses(),
    uptime: uptimeFrom(uptime),
  };
}

/** The `facts` module: `facts.get` → `HostFacts` (`{ hostname, os, kernel, cpus, memory, disks, addresses, uptime }`, bytes and seconds). */
export const factsModule = {
  name: 'facts',
  actions: {
    get: action(z.object({}).loose(), () => gatherFacts()),
  },
} satisfies AgentModule;
