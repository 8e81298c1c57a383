/**
 * Facts over SSH: one POSIX sh script, run once per host, that prints the texts the agent's
 * `facts.get` reads (uname, os-release, /proc/stat, /proc/cpuinfo, /proc/meminfo, /proc/uptime,
 * statfs of each real mount, `ip -o addr`, /sys/class/net/IF/address), each after a marker line;
 * `parseFactsOutput` hands them to the same parsers (core/hostFacts.ts), so the fields and
 * their meaning are the agent's.
 *
 * The script takes no input: nothing of the inventory is interpolated into it. It runs under
 * `sh -c` whatever the user's login shell. Mount points and devices travel in /proc/mounts'
 * own escaped form (no space or newline in them), so a hostile mount name cannot forge a
 * line; statfs is `stat -f` under `timeout 2` (a hung NFS mount is `unresponsive`, as on the
 * agent). What a host sends is untrusted: values are parsed, never evaluated, and shown
 * through escapeControls by the views.
 */
import { shellQuote } from '../core/shell.js';
import {
  cpusFrom, diskFrom, memoryFrom, osFromRelease, realFilesystems, sortAddresses, unescapeMount, uptimeFrom, type HostAddress, type HostDisk, type HostFacts,
} from '../core/hostFacts.js';

/** The marker before each section; a section's name follows it on the same line. */
const marker = '@@muster-facts@@';

const script = [
  'LC_ALL=C; export LC_ALL',
  `s() { printf '\\n%s %s\\n' '${marker}' "$1"; }`,
  's hostname; uname -n',
  's kernel.release; uname -r',
  's kernel.version; uname -v',
  's kernel.arch; uname -m',
  's os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null',
  "s stat; grep '^cpu[0-9]' /proc/stat",
  "s cpuinfo; grep -m1 '^model name' /proc/cpuinfo 2>/dev/null",
  's meminfo; cat /proc/meminfo',
  's uptime; cat /proc/uptime',
  // One line per real mount: `MOUNT DEVICE TYPE blocks bfree bavail bsize` (escaped as in
  // /proc/mounts), or `MOUNT DEVICE TYPE unresponsive`. %s (f_bsize) is what node's statfs
  // multiplies by on the agent; printf %b undoes the octal escapes for stat's argument only.
  `s disks; seen=' '; while read -r dev mnt type rest; do`,
  `  case ' ${[...realFilesystems].join(' ')} ' in *" $type "*) ;; *) continue ;; esac`,
  '  case "$seen" in *" $mnt "*) continue ;; esac; seen="$seen$mnt "',
  // `\\NNN` → `\\0NNN`: printf %b reads octal only after a 0.
  "  path=$(printf '%b' \"$(printf '%s' \"$mnt\" | sed 's/\\\\\\([0-7][0-7][0-7]\\)/\\\\0\\1/g')\")",
  "  out=$(timeout 2 stat -f -c '%b %f %a %s' -- \"$path\" 2>/dev/null); rc=$?",
  '  if [ "$rc" = 124 ]; then echo "$mnt $dev $type unresponsive"; elif [ "$rc" = 0 ]; then echo "$mnt $dev $type $out"; fi',
  'done < /proc/mounts',
  's addresses; ip -o addr show 2>/dev/null',
  "s macs; for d in /sys/class/net/*; do printf '%s %s\\n' \"${d##*/}\" \"$(cat \"$d/address\" 2>/dev/null)\"; done",
  's end',
].join('\n');

/** The command line `muster facts --via ssh` runs on every host. */
export const factsCommand = `sh -c ${shellQuote(script)}`;

/** A host's output was not what the script prints. */
export class FactsOutputError extends Error {
  override name = 'FactsOutputError';
}

/** The script's sections by name. */
function sections(output: string): Map<string, string> {
  const found = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(`${marker} `)) {
      if (name !== undefined) found.set(name, lines.join('\n').trim());
      name = line.slice(marker.length + 1);
      lines = [];
    } else if (name !== undefined) lines.push(line);
  }
  if (name !== undefined) found.set(name, lines.join('\n').trim());
  return found;
}

/**
 * The facts in a host's output of `factsCommand`. Throws FactsOutputError when the output
 * is cut or is not the script's (the login shell printed something else, `sh` is missing).
 */
export function parseFactsOutput(output: string): HostFacts {
  const parts = sections(output);
  if (!parts.has('end')) throw new FactsOutputError('the facts script did not finish (its output is cut or is not the script\'s)');
  const part = (name: string): string => parts.get(name) ?? '';
  return {
    hostname: part('hostname'),
    os: osFromRelease(part('os-release')),
    kernel: { release: part('kernel.release'), version: part('kernel.version'), arch: part('kernel.arch') },
    cpus: cpusFrom(part('stat'), part('cpuinfo')),
    memory: memoryFrom(part('meminfo')),
    disks: disksFrom(part('disks')),
    addresses: addressesFrom(part('addresses'), part('macs')),
    uptime: uptimeFrom(part('uptime')),
  };
}

function disksFrom(text: string): HostDisk[] {
  const found: HostDisk[] = [];
  for (const line of text.split('\n')) {
    const [mount, device, type, ...numbers] = line.split(' ');
    if (!mount || !device || !type) continue;
    if (numbers[0] === 'unresponsive') {
      found.push({ mount: unescapeMount(mount), device: unescapeMount(device), type, unresponsive: true });
      continue;
    }
    const [blocks, bfree, bavail, bsize] = numbers.map(Number);
    if ([blocks, bfree, bavail, bsize].some((n) => n === undefined || !Number.isSafeInteger(n))) continue;
    found.push(diskFrom(unescapeMount(device), unescapeMount(mount), type, { blocks: blocks as number, bfree: bfree as number, bavail: bavail as number, bsize: bsize as number }));
  }
  return found;
}

/** `ip -o addr` lines (`2: eth0    inet 192.0.2.2/24 brd … scope global eth0\ …`) with each interface's MAC. */
function addressesFrom(text: string, macText: string): HostAddress[] {
  const macs = new Map<string, string>();
  for (const line of macText.split('\n')) {
    const [name, mac] = line.split(' ');
    if (name && mac) macs.set(name, mac);
  }
  const found: HostAddress[] = [];
  for (const line of text.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, rawName = '', family, cidr = ''] = match;
    const name = rawName.replace(/@.*$/, '');
    found.push({ interface: name, family: family === 'inet6' ? 'inet6' : 'inet', address: cidr.replace(/\/\d+$/, ''), cidr, mac: macs.get(name) ?? null });
  }
  return sortAddresses(found);
}
