/**
 * What `muster adopt` will do, decided before anything is written: the hosts'
 * live files grouped into variants (same bytes, mode and owner), the largest
 * variant the role's file and every other host an override (or, with --host,
 * every host its own file), the repository files to write and the `files:`
 * entries to add. Pure but for reading the repository files already there (to
 * write only what changed, and to refuse replacing what adopt did not write).
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { MusterError, UsageError } from '../core/errors.js';
import { formatLocation } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';
import type { FileEntryEdit } from '../inventory/editFiles.js';
import { declaredFiles } from '../inventory/managedFiles.js';
import type { Host, Inventory, ManagedFileSpec } from '../inventory/types.js';
import type { LiveFile } from './adoptRead.js';
import { localName, safeSegment } from './fetch.js';

/** Into the role (its largest variant; the others host overrides), or every host its own file. */
export type AdoptInto = { role: string } | { host: true };

/** Hosts with the same bytes, mode and owner at one path, and where adopt puts that content. */
export interface Variant {
  hosts: string[];
  mode: string;
  owner: string;
  sha256: string;
  size: number;
  content: Buffer;
  /** Not readable by others (0600, 0640, …): adopted, never printed. */
  secret: boolean;
  /** `role` for the role's file; `host` when each of its hosts gets its own copy. */
  as: 'role' | 'host';
}

/** One repository file to write (relative to the root), and whether it changes. */
export interface RepoWrite {
  src: string;
  content: Buffer;
  secret: boolean;
  /** False when the repository already holds exactly this. */
  changes: boolean;
}

/** Everything about one adopted path. */
export interface PathPlan {
  path: string;
  /** Largest first (the role's when adopting into a role). */
  variants: Variant[];
  /** Hosts that answered without the file: reported, not adopted for them. */
  missing: string[];
  /** Hosts where it is not a file one can adopt (a folder, a dangling link), by reason. */
  other: { what: string; hosts: string[] }[];
  writes: RepoWrite[];
  edits: FileEntryEdit[];
  /** Where the path was declared already, for the selected hosts (before this adopt). */
  declaredAt: string[];
  /** Whether adopting it changes the repository at all. */
  changes: boolean;
  /** The src each host that had the file gets once adopted. */
  srcOf: Map<string, string>;
  /** Host overrides removed, the host now matching the role's file (their src stays in the repository, unnamed). */
  dropped: { host: string; src: string | undefined }[];
}

/** The plan of one `muster adopt`. */
export interface AdoptPlan {
  into: AdoptInto;
  paths: PathPlan[];
}

/**
 * The role to adopt into: the one given (it must exist and every host must
 * have it), else the only role every selected host has; else a UsageError
 * asking for --role.
 */
export function adoptRole(inventory: Inventory, hosts: readonly Host[], given: string | undefined): string {
  if (given !== undefined) {
    if (!inventory.roles.has(given)) throw new UsageError(`Unknown role "${given}" (roles: ${[...inventory.roles.keys()].join(', ') || 'none'})`);
    const outside = hosts.filter((host) => !host.roles.includes(given)).map((host) => host.name);
    if (outside.length > 0) throw new UsageError(`${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in role "${given}": a role's file would not reach ${outside.length === 1 ? 'it' : 'them'} (select the role's hosts, or use --host)`);
    return given;
  }
  const shared = (hosts[0]?.roles ?? []).filter((role) => hosts.every((host) => host.roles.includes(role)));
  if (shared.length === 1) return shared[0] as string;
  if (shared.length === 0) throw new UsageError('The selected hosts share no role: say where the files go with --role ROLE or --host');
  throw new UsageError(`The selected hosts share the roles ${shared.join(', ')}: say which with --role ROLE (or --host)`);
}

/** Checks a path given on the command line: absolute and normal (`/etc/x`, not `etc/x`, `/etc/../x` or `/etc/`). */
export function checkAdoptPath(path: string): void {
  if (!path.startsWith('/') || posix.normalize(path) !== path || path.endsWith('/') || path === '/') {
    throw new UsageError(`Invalid path "${path}": give the file's absolute path on the hosts, as /etc/nginx/nginx.conf`);
  }
}

/** Where a role's, or a host's, copy of `path` goes in the repository. */
export function repoSrc(path: string, owner: { role: string } | { host: string }): string {
  const rest = localName(path, { fullPath: true });
  return 'role' in owner ? posix.join('files', safeSegment(owner.role), ...rest) : posix.join('files', 'host', safeSegment(owner.host), ...rest);
}

/**
 * Plans the adoption of `paths` from the hosts that answered (`live`, host →
 * path → what it has), against the inventory as it is now and the repository
 * at `root`. Throws a MusterError for a path no host has, a path declared
 * already (unless `force`, or unless adopting it again would change nothing)
 * and a repository file adopt would replace that it did not write (unless `force`).
 */
export async function planAdopt(inventory: Inventory, hosts: readonly Host[], paths: readonly string[], live: ReadonlyMap<string, ReadonlyMap<string, LiveFile>>, into: AdoptInto, root: string, force: boolean): Promise<AdoptPlan> {
  const plans: PathPlan[] = [];
  for (const path of paths) {
    const plan = groupPath(path, hosts, live, into);
    if (plan.variants.length === 0) {
      const why = plan.other.map((other) => `${other.what} on ${foldNodeset(other.hosts)}`);
      if (plan.missing.length > 0) why.unshift(`missing on ${foldNodeset(plan.missing)}`);
      throw new MusterError(`${path}: no selected host has it as a file${why.length > 0 ? ` (${why.join('; ')})` : ''}; nothing was adopted`);
    }
    const specs = new Map<string, DeclaredSpec>();
    for (const variant of plan.variants) {
      const spec = { mode: variant.mode, owner: variant.owner };
      if (variant.as === 'role' && 'role' in into) {
        const src = repoSrc(path, { role: into.role });
        plan.writes.push({ src, content: variant.content, secret: variant.secret, changes: true });
        specs.set(`role:${into.role}`, { owner: { role: into.role }, spec: { ...spec, src } });
        for (const host of variant.hosts) {
          plan.srcOf.set(host, src);
          // A host override of the path (an earlier adopt's, say) would keep winning over the role's file: it goes.
          if (hosts.find((candidate) => candidate.name === host)?.files?.value[path] !== undefined) specs.set(`host:${host}`, { owner: { host }, spec: undefined });
        }
      } else {
        for (const host of variant.hosts) {
          const src = repoSrc(path, { host });
          plan.writes.push({ src, content: variant.content, secret: variant.secret, changes: true });
          specs.set(`host:${host}`, { owner: { host }, spec: { ...spec, src } });
          plan.srcOf.set(host, src);
        }
      }
    }
    for (const write of plan.writes) {
      const before = await readFile(join(root, write.src)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw new MusterError(`Cannot read ${write.src}: ${error.message}`);
      });
      write.changes = !before?.equals(write.content);
      if (before && write.changes && !force && !declaresSrc(inventory, write.src)) {
        throw new MusterError(`${path}: ${write.src} is in the repository already, with other content, and no files: entry names it; add --force to replace it; nothing was adopted`);
      }
    }
    // The role first, then the hosts in inventory order (the order their entries are split in).
    const order = (entry: DeclaredSpec): number => ('role' in entry.owner ? -1 : hosts.findIndex((host) => 'host' in entry.owner && host.name === entry.owner.host));
    for (const { owner, spec } of [...specs.values()].sort((a, b) => order(a) - order(b))) {
      const section = 'role' in owner ? inventory.roles.get(owner.role)?.files : inventory.hostsByName.get(owner.host)?.files;
      const existing = section?.value[path];
      if (spec === undefined) {
        plan.edits.push({ owner, path, spec: undefined });
        if ('host' in owner) plan.dropped.push({ host: owner.host, src: existing?.src });
        plan.changes = true;
        continue;
      }
      // Keys adopt does not know (test, then, template) are kept: --force refreshes the content, not the checks.
      const merged: ManagedFileSpec = { ...existing, ...spec };
      delete merged.absent;
      plan.edits.push({ owner, path, spec: merged });
      if (JSON.stringify(existing) !== JSON.stringify(merged)) plan.changes = true;
    }
    if (plan.writes.some((write) => write.changes)) plan.changes = true;
    plan.declaredAt = declaredPlaces(inventory, hosts, path);
    if (plan.declaredAt.length > 0 && plan.changes && !force) {
      throw new MusterError(`${path} is managed already (declared in ${plan.declaredAt.join(', ')}); add --force to adopt it again from the hosts; nothing was adopted`);
    }
    plans.push(plan);
  }
  return { into, paths: plans };
}

interface DeclaredSpec {
  owner: FileEntryEdit['owner'];
  /** Undefined: the owner's entry for the path is removed. */
  spec: ManagedFileSpec | undefined;
}

/** Groups the hosts' answers for one path into variants (largest first, first seen on a tie), missing, and the rest. */
function groupPath(path: string, hosts: readonly Host[], live: ReadonlyMap<string, ReadonlyMap<string, LiveFile>>, into: AdoptInto): PathPlan {
  const variants = new Map<string, Variant>();
  const other = new Map<string, string[]>();
  const missing: string[] = [];
  for (const host of hosts) {
    const file = live.get(host.name)?.get(path);
    if (!file) continue;
    if (file.kind === 'missing') missing.push(host.name);
    else if (file.kind === 'other') other.set(file.what, [...(other.get(file.what) ?? []), host.name]);
    else {
      const key = `${file.sha256} ${file.mode} ${file.owner}`;
      const variant = variants.get(key);
      if (variant) variant.hosts.push(host.name);
      else {
        const secret = (Number.parseInt(file.mode, 8) & 0o004) === 0;
        variants.set(key, { hosts: [host.name], mode: file.mode, owner: file.owner, sha256: file.sha256, size: file.content.length, content: file.content, secret, as: 'host' });
      }
    }
  }
  const sorted = [...variants.values()].sort((a, b) => b.hosts.length - a.hosts.length);
  if (sorted[0] && 'role' in into) sorted[0].as = 'role';
  return { path, variants: sorted, missing, other: [...other].map(([what, names]) => ({ what, hosts: names })), writes: [], edits: [], declaredAt: [], changes: false, srcOf: new Map(), dropped: [] };
}

function declaresSrc(inventory: Inventory, src: string): boolean {
  const sections = [...[...inventory.roles.values()].map((role) => role.files), ...inventory.hosts.map((host) => host.files)];
  return sections.some((section) => Object.values(section?.value ?? {}).some((spec) => spec.src === src));
}

/** The places (file:line:col) that declare `path` for any of `hosts`, each once. */
function declaredPlaces(inventory: Inventory, hosts: readonly Host[], path: string): string[] {
  const places = new Set<string>();
  for (const host of hosts) {
    for (const file of declaredFiles(inventory, host).files) if (file.path === path) places.add(`${file.layer === 'host' ? `host ${host.name}` : `role ${file.layer.slice(5)}`} at ${formatLocation(file.at)}`);
  }
  return [...places];
}
