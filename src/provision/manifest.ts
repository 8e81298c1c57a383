/**
 * The manifest sync keeps in DIR: the files it owns, so that nothing else in
 * DIR is ever removed, and each host's fingerprint (fingerprint.ts), so that
 * an unchanged host costs nothing on the next sync. A line per host,
 * tab-separated (`host NAME FINGERPRINT FILE…`; host names and generated paths
 * hold no tab or newline), not JSON: of 5,000 hosts' lines only the first
 * fields are read, and only changed hosts' files are split out.
 */

/** The manifest's name in DIR. */
export const manifestName = '.muster-provision';

const header = 'muster-provision 1';

/**
 * A host's part of the tree: its fingerprint (none when its files depend on other
 * hosts) and its files; or, kept, how many files it has: its fingerprint is the last
 * sync's, its files are as that sync wrote them, and its manifest line is that sync's.
 */
export type HostFiles = { kept: false; fingerprint: string | undefined; paths: string[] } | { kept: true; fingerprint: string; count: number };

/** What the last sync wrote. */
export interface Manifest {
  /** Files of no one host: dnsmasq's, the shared menus, the loaders. */
  shared: string[];
  /** Each host's fingerprint ('' for none: never equal to one) and its line, whose files are split out when needed. */
  hosts: Map<string, { fingerprint: string; line: string }>;
  /** The text as read; undefined when there was none. */
  text: string | undefined;
}

// A path from a manifest is used only when it stays inside DIR.
const safe = (path: string): boolean => path !== '' && !path.startsWith('/') && !path.split('/').includes('..');

/** A manifest's text read; one that is not a manifest owns nothing (sync then removes nothing and keeps no host). */
export function parseManifest(text: string | undefined): Manifest {
  const manifest: Manifest = { shared: [], hosts: new Map(), text };
  const lines = text?.split('\n') ?? [];
  if (lines[0] !== header) return manifest;
  for (const line of lines) {
    if (line.startsWith('shared\t')) manifest.shared = line.split('\t').slice(1).filter(safe);
    else if (line.startsWith('host\t')) {
      const nameEnd = line.indexOf('\t', 5);
      const fingerprintEnd = line.indexOf('\t', nameEnd + 1);
      if (nameEnd < 0) continue;
      manifest.hosts.set(line.slice(5, nameEnd), { fingerprint: line.slice(nameEnd + 1, fingerprintEnd < 0 ? undefined : fingerprintEnd), line });
    }
  }
  return manifest;
}

function filesOf(line: string): string[] {
  return line.split('\t').slice(3).filter(safe);
}

/** The manifest of a tree built from `previous` (whose lines kept hosts keep). */
export function manifestText(shared: readonly string[], hosts: ReadonlyMap<string, HostFiles>, previous: Manifest): string {
  const lines = [header, ['shared', ...shared].join('\t')];
  for (const [host, files] of hosts) {
    const line = files.kept ? previous.hosts.get(host)?.line : undefined;
    lines.push(line ?? ['host', host, files.fingerprint ?? '', ...(files.kept ? [] : files.paths)].join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

/** The files the last sync wrote that the tree no longer has: of hosts that left or changed, and shared ones. */
export function removedFiles(previous: Manifest, shared: readonly string[], hosts: ReadonlyMap<string, HostFiles>): string[] {
  // What is made now: a path a changed host gave up may be another's now (two MACs swapped).
  // A kept host's paths need no look: the last sync gave none of them to another host.
  const made = new Set(shared);
  for (const files of hosts.values()) if (!files.kept) for (const path of files.paths) made.add(path);
  const removed = previous.shared.filter((path) => !made.has(path));
  for (const [host, entry] of previous.hosts) {
    if (hosts.get(host)?.kept) continue;
    for (const path of filesOf(entry.line)) if (!made.has(path)) removed.push(path);
  }
  return removed;
}
