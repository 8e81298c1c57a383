/**
 * What a host is — the value of the agent's `facts.get`, and of `muster facts --via ssh` —
 * and how it is read from the kernel's and the distribution's own files. In core because the
 * agent (reading the files itself) and the SSH gatherer (reading them through one shell
 * script) must come to the SAME fields from the same texts: both hand the texts to these
 * parsers, so a field cannot mean one thing over nats and another over ssh.
 *
 * Sources, on both sides: `uname -n/-r/-v/-m` (the agent: node's os, which asks uname), /etc/os-release
 * (else /usr/lib/os-release), the `cpuN` lines of /proc/stat, the first `model name` of
 * /proc/cpuinfo, /proc/meminfo, /proc/uptime, /proc/mounts with statfs of each real
 * filesystem, and the interfaces' addresses (loopback included: Linux answers for the
 * whole of 127.0.0.0/8 on `lo`, which reconcile needs to know).
 */

/** One filesystem of /proc/mounts: its sizes in bytes, or `unresponsive` when statfs did not answer in time. */
export type HostDisk =
  | { mount: string; device: string; type: string; size: number; used: number; free: number }
  | { mount: string; device: string; type: string; unresponsive: true };

/** One address of one interface. `cidr` is `address/prefix`; `mac` is the interface's (`00:00:…` for lo). */
export interface HostAddress {
  interface: string;
  family: 'inet' | 'inet6';
  address: string;
  cidr: string;
  mac: string | null;
}

/** The facts of one host (bytes and seconds). */
export interface HostFacts {
  hostname: string;
  os: { id: string | null; version: string | null; name: string | null; codename: string | null };
  kernel: { release: string; version: string; arch: string };
  cpus: { count: number; model: string | null };
  /** `free` is MemFree, `available` MemAvailable (what can be had without swapping). */
  memory: { total: number; free: number; available: number };
  disks: HostDisk[];
  addresses: HostAddress[];
  uptime: number;
}

/** Filesystem types that hold data (everything else in /proc/mounts is a kernel view or memory). */
export const realFilesystems: ReadonlySet<string> = new Set([
  'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'f2fs', 'jfs', 'reiserfs', 'nfs', 'nfs4', 'cifs', 'fuseblk', 'overlay',
]);

/** os-release's `KEY=value` lines (quotes removed), as `facts.os`. */
export function osFromRelease(text: string): HostFacts['os'] {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) fields[match[1]] = (match[2] ?? '').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
  }
  return { id: fields['ID'] ?? null, version: fields['VERSION_ID'] ?? null, name: fields['PRETTY_NAME'] ?? fields['NAME'] ?? null, codename: fields['VERSION_CODENAME'] ?? null };
}

/** The CPUs the kernel runs (the `cpuN` lines of /proc/stat), and the first model name of /proc/cpuinfo. */
export function cpusFrom(stat: string, cpuinfo: string): HostFacts['cpus'] {
  const count = stat.split('\n').filter((line) => /^cpu\d+\s/.test(line)).length;
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim();
  return { count, model: model || null };
}

/** /proc/meminfo's MemTotal, MemFree and MemAvailable, in bytes (the file says kB: KiB). */
export function memoryFrom(meminfo: string): HostFacts['memory'] {
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  const free = field('MemFree');
  // Kernels before 3.14 have no MemAvailable: MemFree is the closest they say.
  return { total: field('MemTotal'), free, available: /^MemAvailable:/m.test(meminfo) ? field('MemAvailable') : free };
}

/** /proc/uptime's first number, in whole seconds. */
export function uptimeFrom(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(seconds) ? Math.round(seconds) : 0;
}

/** Undoes /proc/mounts' octal escapes (`\040` is a space). */
export function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_all, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The real filesystems of /proc/mounts, first mount of each point only: `[device, mount, type]`, unescaped. */
export function realMounts(mounts: string): [string, string, string][] {
  const seen = new Set<string>();
  const found: [string, string, string][] = [];
  for (const line of mounts.split('\n')) {
    const [device, mount, type] = line.split(' ');
    if (!device || !mount || !type || !realFilesystems.has(type)) continue;
    const point = unescapeMount(mount);
    if (seen.has(point)) continue;
    seen.add(point);
    found.push([unescapeMount(device), point, type]);
  }
  return found;
}

/** A disk from statfs's numbers: blocks, free blocks, blocks available to users, and the block size. */
export function diskFrom(device: string, mount: string, type: string, stats: { blocks: number; bfree: number; bavail: number; bsize: number }): HostDisk {
  const size = stats.blocks * stats.bsize;
  return { mount, device, type, size, used: size - stats.bfree * stats.bsize, free: stats.bavail * stats.bsize };
}

/** Addresses in one order whoever gathered them (by interface, then family, then address). */
export function sortAddresses(addresses: HostAddress[]): HostAddress[] {
  const key = (entry: HostAddress): string => `${entry.interface}\u0000${entry.family}\u0000${entry.address}`;
  return [...addresses].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
