/**
 * The local half of drift and converge: every managed file of the selected hosts
 * read (and rendered) before any host is touched. Whatever is wrong — a src that
 * is missing or unreadable, two roles claiming one path differently, a template
 * that does not render for some host — is collected in one pass and thrown as one
 * InvalidFileError, each problem at the file:line:col of its key, once, with the
 * hosts it concerns folded. `muster check` runs the same pass on every host.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidFileError, MusterError, formatProblem, type Problem, type SourceLocation } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';
import { declaredFiles, inventoryRoot, type DeclaredFile } from '../inventory/managedFiles.js';
import { placeOf } from '../inventory/sourcePosition.js';
import type { Host, Inventory, ManagedFileSpec, Section } from '../inventory/types.js';
import { checkTreeDest } from './push-dest.js';
import { sha256 } from './push.js';
import type { PreparedSource } from './push-source.js';

/** One managed file of one host, ready to compare or install. */
export interface ManagedFile {
  path: string;
  spec: ManagedFileSpec;
  /** `absent`: must not exist; `file`/`dir`: src is a file, or a folder pushed whole (push -r). */
  kind: 'file' | 'dir' | 'absent';
  /** The absolute local src ('' when absent). */
  src: string;
  /** The prepared content (per host for templates); undefined when absent. */
  source?: PreparedSource;
  declared: DeclaredFile;
}

/** Every selected host's managed files, in declaration order. */
export type ManagedPlan = Map<string, ManagedFile[]>;

/** The section a declared file comes from: its role's `files:` or the host entry's. */
function sectionOf(inventory: Inventory, host: Host, file: DeclaredFile): Section<Record<string, ManagedFileSpec>> | undefined {
  return file.layer === 'host' ? host.files : inventory.roles.get(file.layer.slice(5))?.files;
}

/** Problems said once, whatever the number of hosts: keyed by their text, with the hosts collected. */
class Problems {
  private readonly byKey = new Map<string, { problem: Problem; hosts: string[] }>();

  add(problem: Problem, host?: string): void {
    const key = formatProblem(problem);
    const seen = this.byKey.get(key);
    if (!seen) this.byKey.set(key, { problem, hosts: host === undefined ? [] : [host] });
    else if (host !== undefined) seen.hosts.push(host);
  }

  get size(): number {
    return this.byKey.size;
  }

  list(): Problem[] {
    return [...this.byKey.values()].map(({ problem, hosts }) => (hosts.length === 0 ? problem
      : { ...problem, message: `${problem.message} (for ${foldNodeset(hosts)}${hosts.length > 1 ? `, ${hosts.length} hosts` : ''})` }));
  }
}

/**
 * Reads every managed file of `hosts` (templates rendered for each), or throws
 * InvalidFileError naming every problem. `signal` stops the tar of a folder src.
 */
export async function prepareManaged(inventory: Inventory, hosts: readonly Host[], options: { signal?: AbortSignal } = {}): Promise<ManagedPlan> {
  const root = inventoryRoot(inventory);
  const problems = new Problems();
  // One source per distinct (path, spec): the hosts of a role share its reading and rendering.
  const groups = new Map<string, { file: DeclaredFile; at: SourceLocation; hosts: Host[] }>();
  const perHost = new Map<string, { key: string; file: DeclaredFile }[]>();
  for (const host of hosts) {
    const { files, conflicts } = declaredFiles(inventory, host);
    for (const conflict of conflicts) {
      problems.add({
        message: `${conflict.path} is declared differently by ${conflict.first.layer} and ${conflict.second.layer}; give the host its own entry, or make them agree`,
        at: conflict.second.at,
        also: conflict.first.at,
      }, host.name);
    }
    const list: { key: string; file: DeclaredFile }[] = [];
    for (const file of files) {
      const key = `${file.path}\0${JSON.stringify(file.spec)}`;
      const section = sectionOf(inventory, host, file);
      const at = section && file.spec.src !== undefined ? placeOf(section, [file.path, 'src']) : file.at;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { file, at, hosts: [] }));
      group.hosts.push(host);
      list.push({ key, file });
    }
    perHost.set(host.name, list);
  }

  const prepared = new Map<string, { kind: ManagedFile['kind']; src: string; source?: PreparedSource }>();
  for (const [key, { file, at, hosts: users }] of groups) {
    const { spec } = file;
    if (spec.absent || spec.src === undefined) {
      prepared.set(key, { kind: 'absent', src: '' });
      continue;
    }
    const src = join(root, spec.src);
    let isDir = false;
    try {
      isDir = (await stat(src)).isDirectory();
      await access(src, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
      problems.add({ message: `cannot read src ${spec.src} of ${file.path}: ${why} (${src})`, at });
      continue;
    }
    if (isDir && spec.template) {
      problems.add({ message: `src ${spec.src} of ${file.path} is a folder: a template renders one file`, at });
      continue;
    }
    try {
      if (isDir) checkTreeDest(file.path, src);
      const source = await prepare(src, { recursive: isDir, template: spec.template === true, inventory, hosts: users, ...(options.signal ? { signal: options.signal } : {}) });
      prepared.set(key, { kind: isDir ? 'dir' : 'file', src, source });
    } catch (error) {
      if (error instanceof InvalidFileError) for (const problem of error.problems) problems.add(problem);
      else if (error instanceof MusterError) problems.add({ message: `${file.path}: ${error.message}`, at });
      else throw error;
    }
  }
  if (problems.size > 0) throw new InvalidFileError('the managed files', problems.list());

  const plan: ManagedPlan = new Map();
  for (const host of hosts) {
    plan.set(host.name, (perHost.get(host.name) ?? []).map(({ key, file }) => {
      const ready = prepared.get(key);
      if (!ready) throw new Error(`managed file ${file.path} was not prepared`);
      return { path: file.path, spec: file.spec, kind: ready.kind, src: ready.src, ...(ready.source ? { source: ready.source } : {}), declared: file };
    }));
  }
  return plan;
}

/**
 * A plain file is read here; a template or a folder goes through push's
 * `prepareSource`, loaded only then: the template engine costs a fifth of a
 * second of start-up that a fleet of plain files need not pay.
 */
async function prepare(src: string, options: { recursive: boolean; template: boolean; inventory: Inventory; hosts: Host[]; signal?: AbortSignal }): Promise<PreparedSource> {
  if (!options.recursive && !options.template) {
    const data = await readFile(src);
    const content = { kind: 'file' as const, data, sha256: sha256(data) };
    return { kind: 'file', contentFor: () => content };
  }
  const { prepareSource } = await import('./push-source.js');
  return prepareSource(src, options);
}

/** Whether any selected host manages a file at all (drift and converge say so when none does). */
export function managesAny(plan: ManagedPlan): boolean {
  for (const files of plan.values()) if (files.length > 0) return true;
  return false;
}
