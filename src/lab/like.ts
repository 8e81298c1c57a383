/**
 * A lab "like" real hosts (`muster lab up --like SEL`): a second inventory the
 * lab owns, `LABDIR/like/muster.yaml`, naming each lab host as the real host
 * it stands for, with that host's roles, vars, state and managed files, and
 * the lab's address and keys — so `muster converge --check` can be tried on
 * throwaway hosts. The repository files its `src` paths name are reached
 * through symlinks beside it (`like/files -> REPO/files`): the lab reads them
 * where they are and never copies them, and `lab down` removes the links, not
 * what they lead to. The lab layer knows no inventory: it is handed plain data
 * (the CLI reads the real inventory).
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';

/** A role as the like inventory declares it. */
export interface LikeRole {
  name: string;
  description?: string;
  vars: Record<string, unknown>;
  files?: Record<string, Record<string, unknown>>;
}

/** A real host, and the lab address that stands in for it. */
export interface LikeHost {
  name: string;
  address: string;
  roles: string[];
  state: string;
  note?: string;
  vars: Record<string, unknown>;
  files?: Record<string, Record<string, unknown>>;
}

/** What the like inventory is made of. */
export interface LikeSpec {
  /** The lab's name and folder. */
  lab: string;
  dir: string;
  /** The selector and the real inventory's files, for the header. */
  selector: string;
  from: string[];
  /** The real inventory's root (what its `src` paths are relative to). */
  root: string;
  /** The real `defaults.vars` the selected hosts resolve. */
  defaultVars: Record<string, unknown>;
  states: string[];
  skipStates: string[];
  roles: LikeRole[];
  hosts: LikeHost[];
}

/** The like inventory's folder and file in a lab folder. */
export function likePaths(dir: string): { folder: string; inventory: string } {
  const folder = join(dir, 'like');
  return { folder, inventory: join(folder, 'muster.yaml') };
}

/**
 * The like inventory's text. Each entry is one line of JSON, which is YAML:
 * what the real inventory says, byte for byte in meaning, with no YAML
 * quoting rules to get wrong.
 */
export function likeInventoryText(spec: LikeSpec): string {
  const line = (value: unknown): string => JSON.stringify(value);
  const lines = [
    `# Lab "${spec.lab}", made by \`muster lab up --like ${spec.selector.replace(/\n/g, ' ')}\`: its hosts named,`,
    `# roled and given files like the real ones of ${spec.from.join(', ')},`,
    `# on the lab's own addresses. Throwaway: \`muster lab down --name ${spec.lab}\` removes it.`,
    'version: 1',
    `states: ${line(spec.states)}`,
    `skip_states: ${line(spec.skipStates)}`,
    'defaults:',
    '  user: root',
    `  vars: ${line(spec.defaultVars)}`,
    'ssh_config: ../ssh_config',
    'roles:',
    ...spec.roles.map((role) => `  ${line(role.name)}: ${line({ ...(role.description !== undefined ? { description: role.description } : {}), vars: role.vars, ...(role.files ? { files: role.files } : {}) })}`),
    ...(spec.roles.length === 0 ? ['  {}'] : []),
    'hosts:',
    ...spec.hosts.map((host) => `  ${line(host.name)}: ${line({
      address: host.address,
      roles: host.roles,
      state: host.state,
      ...(host.note !== undefined ? { note: host.note } : {}),
      vars: host.vars,
      ...(host.files ? { files: host.files } : {}),
    })}`),
  ];
  if (spec.roles.length === 0) lines.splice(lines.indexOf('roles:'), 2, 'roles: {}');
  return `${lines.join('\n')}\n`;
}

/** The first segment of every repository path the managed files name (`files` of `files/web/x`). */
export function linkedSegments(spec: LikeSpec): string[] {
  const segments = new Set<string>();
  const all = [...spec.roles.map((role) => role.files), ...spec.hosts.map((host) => host.files)];
  for (const files of all) {
    for (const entry of Object.values(files ?? {})) {
      const src = entry['src'];
      const first = typeof src === 'string' ? src.split('/').find((part) => part !== '' && part !== '.') : undefined;
      if (first !== undefined) segments.add(first);
    }
  }
  for (const segment of segments) {
    if (segment === '..' || segment === 'muster.yaml') throw new UsageError(`A managed file's src starts with "${segment}": the lab cannot link it beside its inventory`);
  }
  return [...segments].sort();
}

/** Writes the like inventory and its links into the lab's folder (replacing any from an earlier `--like`); returns its path. */
export async function writeLikeInventory(spec: LikeSpec): Promise<string> {
  const paths = likePaths(spec.dir);
  await rm(paths.folder, { recursive: true, force: true });
  await mkdir(paths.folder, { recursive: true });
  for (const segment of linkedSegments(spec)) await symlink(join(spec.root, segment), join(paths.folder, segment));
  await writeFile(paths.inventory, likeInventoryText(spec));
  return paths.inventory;
}
