/**
 * Planning `muster set`: the edits applied to the text of the inventory's
 * files, pure (nothing read or written): split the patterns that are partly
 * selected, write each edit, re-parse, and check the result does exactly what
 * was asked.
 */
import { InvalidFileError, MusterError, OptionError, UsageError, formatProblem } from '../core/errors.js';
import { fieldLabel, type Edit } from './editArgs.js';
import { applyEdit } from './editYaml.js';
import type { InventorySource } from './inventoryFile.js';
import { parseInventory } from './parse.js';
import { splitPatterns, type EditSplit } from './splitPatterns.js';
import type { Inventory } from './types.js';
import { describeChanges, verifyEdit, type EditChange } from './verifyEdit.js';

/** The outcome of planning an edit: the new text of each changed file, and what it changes. */
export interface EditPlan {
  /** New text by source path, only for files whose text changed. */
  texts: Map<string, string>;
  changes: EditChange[];
  splits: EditSplit[];
  /** The inventory as it will be once written. */
  inventory: Inventory;
}

/**
 * Plans `edits` for the hosts named `names` in the inventory made of
 * `sources` (pure: nothing is read or written). Hosts of a pattern entry that
 * is only partly selected are split out of it (`web[001-100]` → `web[001-041,
 * 043-100]` plus `web042`, the address pattern split in step, the body
 * copied); the new entry goes right after the one it came from, so those hosts
 * move after their siblings in inventory order. The edited text is re-parsed
 * and every host compared with the old inventory: any difference other than
 * the intended one — or an invalid result — throws, naming the problem. No
 * edits at all is an `OptionError` of `edits` (it names the `unset` option).
 */
export function planEdit(sources: InventorySource[], names: string[], edits: Edit[], parsed?: Inventory): EditPlan {
  if (edits.length === 0) throw new OptionError('edits', (name) => `Nothing to set: give state=, note=, vars.KEY= or ${name('unset')}`);
  const seen = new Set<string>();
  for (const edit of edits) {
    const label = fieldLabel(edit.target);
    if (seen.has(label)) throw new UsageError(`${label} is given twice`);
    seen.add(label);
  }
  const before = parsed ?? parseInventory(sources);
  const targets = new Set(names);
  for (const name of targets) if (!before.hostsByName.has(name)) throw new UsageError(`No host named "${name}" in the inventory`);
  for (const { target, value } of edits) {
    if (target.field === 'state' && value !== undefined && !before.states.includes(String(value))) {
      throw new MusterError(`Refusing the edit: unknown state ${JSON.stringify(value)} (states: ${before.states.join(', ')}); nothing was written`);
    }
  }
  let texts = new Map(sources.map((source) => [source.path, source.text]));

  const splits: EditSplit[] = [];
  texts = splitPatterns(texts, targets, splits);
  for (const edit of edits) texts = applyEdit(texts, targets, edit);

  const edited = sources.map((source) => ({ path: source.path, text: texts.get(source.path) ?? source.text }));
  let after: Inventory;
  try {
    after = parseInventory(edited);
  } catch (error) {
    if (!(error instanceof InvalidFileError)) throw error;
    throw new MusterError(`Refusing the edit: it would make the inventory invalid (nothing was written; lines are those of the edited text):\n  ${error.problems.map(formatProblem).join('\n  ')}`, { cause: error });
  }
  verifyEdit(before, after, targets, edits);

  const changed = new Map<string, string>();
  for (const source of edited) if (source.text !== sources.find((s) => s.path === source.path)?.text) changed.set(source.path, source.text);
  return { texts: changed, changes: describeChanges(before, after, names, edits), splits, inventory: after };
}
