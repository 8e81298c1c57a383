/**
 * `muster set`: edits of a host's state, note and vars in the inventory YAML.
 * The file keeps every byte the edit does not touch (comments, order, layout);
 * a host that comes from a pattern is split out of it first; the edited
 * inventory is re-parsed and compared with the old one before anything is
 * written (see planEdit.ts), and each file is replaced atomically.
 */
import { realpathSync } from 'node:fs';
import { OptionError, UsageError } from '../core/errors.js';
import { withFileLock } from '../core/fileLock.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import type { Edit } from './editArgs.js';
import { findInventorySources, type FindOptions } from './find.js';
import { cacheParsed, parseSources, type LoadOptions } from './load.js';
import { planEdit, type EditPlan } from './planEdit.js';
import { readInventorySources } from './read.js';
import { select } from './select.js';
import type { Selection } from './types.js';

export { parseEdit, parseUnset, type Edit, type EditField } from './editArgs.js';
export { planEdit, type EditPlan } from './planEdit.js';
export type { EditSplit } from './splitPatterns.js';
export type { EditChange } from './verifyEdit.js';

/** Options of `editInventory`: where the inventory is, what to select, what to change. */
export interface EditOptions extends LoadOptions {
  selectors: string[];
  edits: Edit[];
  allStates?: boolean;
  /** Plan and check, but write nothing. */
  dryRun?: boolean;
}

/** What `editInventory` did. */
export interface EditResult extends EditPlan {
  selection: Selection;
  /** Absolute paths of the files written. */
  written: string[];
}

/**
 * Finds and reads the inventory, selects hosts, plans the edits (see
 * `planEdit`) and writes each changed file atomically, all while holding
 * `withFileLock` on every file of the inventory: a concurrent `muster set`
 * waits (up to 10 s, then fails naming the file) and then edits the new text.
 * A file that changed on disk since it was read (an editor that does not
 * lock) is not overwritten. Multi-file inventories are
 * edited in the file where each host is defined; each file is replaced
 * atomically, but several files are not one transaction.
 *
 * @example await editInventory({ selectors: ['web042'], edits: [parseEdit('state=stop')] })
 */
export async function editInventory(options: EditOptions): Promise<EditResult> {
  if (options.dryRun) return planAndWrite(options);
  return withInventoryLocked(options, () => planAndWrite(options));
}

/**
 * Runs `work` (read, plan, verify, write) under a lock on every file of the
 * inventory, so two edits at once serialize: the second reads the text the first
 * wrote (it used to read the old text too, and its rename then dropped the first
 * edit). Sorted, so two editors never hold one file each while waiting for the
 * other's; by real path, so two links to one file take one lock. Every command
 * that edits the inventory YAML (set, adopt, provision enable) goes through here.
 */
export function withInventoryLocked<T>(options: FindOptions, work: () => Promise<T>): Promise<T> {
  const files = [...new Set(findInventorySources(options).files.map(realPathOf))].sort();
  const lockFrom = (i: number): Promise<T> => {
    const file = files[i];
    return file === undefined ? work() : withFileLock(file, () => lockFrom(i + 1));
  };
  return lockFrom(0);
}

function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch (error) {
    // Gone meanwhile: the read under the lock says so.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return file;
    throw error;
  }
}

async function planAndWrite(options: EditOptions): Promise<EditResult> {
  const { files, sources } = await readInventorySources(options);
  const inventory = await parseSources(files, sources, options);
  const selection = select(inventory, options.selectors.length > 0 ? options.selectors : ['all'], { allStates: options.allStates === true });
  if (selection.hosts.length === 0) {
    const why = `The selection ${options.selectors.join(' ')} matches no host`;
    if (selection.skipped.length === 0) throw new UsageError(why);
    throw new OptionError('allStates', (name) => `${why} (${selection.skipped.length} left out for their state; add ${name('allStates')})`);
  }
  const plan = planEdit(sources, selection.hosts.map((host) => host.name), options.edits, inventory);
  const written: string[] = [];
  if (!options.dryRun) {
    for (const source of sources) {
      const text = plan.texts.get(source.path);
      if (text === undefined) continue;
      options.signal?.throwIfAborted();
      await writeFileAtomic(source.file, text, { expected: source.text });
      written.push(source.file);
    }
    // The edit parsed what it wrote (to check it): the next command (a publish) need not again.
    cacheParsed(files, sources.map((source) => ({ ...source, text: plan.texts.get(source.path) ?? source.text })), plan.inventory, options);
  }
  return { ...plan, selection, written };
}
