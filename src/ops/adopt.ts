/**
 * `muster adopt`, the writing half: with the hosts' live files in hand (see
 * adoptRead.ts), under the lock `muster set` takes on every inventory file,
 * re-read the inventory, plan (adoptPlan.ts), add the `files:` entries
 * (inventory/editFiles.ts), re-parse and check that the edited inventory
 * gives every host exactly the file adopted for it and changes nothing else —
 * all before a byte is written. Then the repository files (each by a rename),
 * then the inventory files (each atomically, refused if edited meanwhile).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidFileError, MusterError, formatProblem } from '../core/errors.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { addFileEntries } from '../inventory/editFiles.js';
import { withInventoryLocked } from '../inventory/edit.js';
import type { FindOptions } from '../inventory/find.js';
import { declaredFiles, inventoryRoot } from '../inventory/managedFiles.js';
import { parseInventory } from '../inventory/parse.js';
import { readInventorySources } from '../inventory/read.js';
import type { EditSplit } from '../inventory/splitPatterns.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { LiveFile } from './adoptRead.js';
import { adoptRole, planAdopt, type AdoptPlan } from './adoptPlan.js';

/** What to adopt, from which hosts, into what. */
export interface AdoptRequest extends FindOptions {
  /** The selected hosts that answered, and what each has (path → LiveFile). */
  live: ReadonlyMap<string, ReadonlyMap<string, LiveFile>>;
  /** Every selected host, answered or not (their order is the report's). */
  hosts: readonly string[];
  paths: readonly string[];
  /** `--host`, else the role (given, or the only one the hosts share). */
  host?: boolean;
  role?: string;
  force?: boolean;
  dryRun?: boolean;
}

/** What `adoptFiles` did. */
export interface AdoptResult {
  plan: AdoptPlan;
  /** The folder `src` paths are relative to. */
  root: string;
  /** Repository files written (relative to `root`), and inventory files written (absolute). */
  wrote: string[];
  inventoryWritten: string[];
  splits: EditSplit[];
  /** Hosts of the role that were not selected: its file now reaches them too. */
  roleOthers: string[];
}

/** Plans and writes one adoption, holding the inventory's file locks throughout (see the file comment). */
export async function adoptFiles(request: AdoptRequest): Promise<AdoptResult> {
  return withInventoryLocked(request, () => planAndWrite(request));
}

async function planAndWrite(request: AdoptRequest): Promise<AdoptResult> {
  const { sources } = await readInventorySources(request);
  const before = parseInventory(sources);
  const hosts = request.hosts.map((name) => {
    const host = before.hostsByName.get(name);
    if (!host) throw new MusterError(`${name} is no longer in the inventory (edited meanwhile); nothing was adopted`);
    return host;
  });
  const into = request.host ? { host: true as const } : { role: adoptRole(before, hosts, request.role) };
  const root = inventoryRoot(before);
  const plan = await planAdopt(before, hosts, request.paths, request.live, into, root, request.force === true);
  const edited = addFileEntries(sources, plan.paths.flatMap((path) => path.edits));
  const after = parseEdited(sources.map((source) => ({ path: source.path, text: edited.texts.get(source.path) ?? source.text })));
  verify(before, after, hosts, plan);
  const role = 'role' in into ? into.role : undefined;
  const roleOthers = role === undefined ? [] : before.hosts.filter((host) => host.roles.includes(role) && !request.hosts.includes(host.name)).map((host) => host.name);
  const result: AdoptResult = { plan, root, wrote: [], inventoryWritten: [], splits: edited.splits, roleOthers };
  if (request.dryRun) return result;
  // The repository files first: an inventory that names a src always finds it.
  for (const write of plan.paths.flatMap((path) => path.writes)) {
    if (!write.changes) continue;
    await writeRepoFile(join(root, write.src), write.content, write.secret ? 0o600 : 0o644);
    result.wrote.push(write.src);
  }
  for (const source of sources) {
    const text = edited.texts.get(source.path);
    if (text === undefined) continue;
    await writeFileAtomic(source.file, text, { expected: source.text });
    result.inventoryWritten.push(source.file);
  }
  return result;
}

function parseEdited(sources: { path: string; text: string }[]): Inventory {
  try {
    return parseInventory(sources);
  } catch (error) {
    if (!(error instanceof InvalidFileError)) throw error;
    throw new MusterError(`Refusing the adoption: it would make the inventory invalid (nothing was written; lines are those of the edited text):\n  ${error.problems.map(formatProblem).join('\n  ')}`, { cause: error });
  }
}

/**
 * The edited inventory must give every selected host, for every adopted path
 * it had as a file, the src planned for its variant (no role conflict), and
 * leave every host's name, address, roles, state and vars as they were.
 */
function verify(before: Inventory, after: Inventory, hosts: readonly Host[], plan: AdoptPlan): void {
  const shape = (host: Host | undefined): string => JSON.stringify(host && [host.address, host.user, host.port, host.roles, host.state, host.note, host.vars]);
  for (const host of before.hosts) {
    if (shape(host) !== shape(after.hostsByName.get(host.name))) throw new Error(`adopt: the edit changed host ${host.name} beyond its files`);
  }
  for (const host of hosts) {
    const declared = declaredFiles(after, after.hostsByName.get(host.name) as Host);
    for (const path of plan.paths) {
      const variant = path.variants.find((candidate) => candidate.hosts.includes(host.name));
      if (!variant) continue;
      const conflict = declared.conflicts.find((candidate) => candidate.path === path.path);
      if (conflict) throw new MusterError(`${path.path}: ${host.name} would get it from two roles that differ (${conflict.first.layer} and ${conflict.second.layer}); adopt it with --host, or into one role; nothing was adopted`);
      const file = declared.files.find((candidate) => candidate.path === path.path);
      const src = path.srcOf.get(host.name);
      if (!file || file.spec.src !== src || file.spec.mode !== variant.mode || file.spec.owner !== variant.owner) {
        const where = file ? `${file.layer} at ${file.at.file}:${file.at.line}, src ${file.spec.src ?? '(none)'}` : 'nothing';
        throw new MusterError(`${path.path}: after the edit ${host.name} would get ${where}, not ${src ?? '?'} (an override elsewhere in the inventory wins); nothing was adopted`);
      }
    }
  }
}

/** Writes a repository file whole or not at all: an exclusive temporary file beside it, then a rename. */
async function writeRepoFile(path: string, content: Buffer, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.muster-${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new MusterError(`Cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

