/**
 * The inventory as commands see it: loaded from `-i`/`$MUSTER_INVENTORY`/the
 * nearest muster.yaml, selected, and the hosts left out for their state said
 * once on stderr. Shared by every command that takes a selector.
 */
import { foldNodeset } from '../core/nodeset.js';
// Not through inventory/index.js: that would load the YAML parser and zod even when the
// parse cache answers (they cost ~40 ms of a ~100 ms `muster ls`).
import { loadInventory } from '../inventory/load.js';
import { select } from '../inventory/select.js';
import type { Inventory, Selection } from '../inventory/types.js';
import { inventoryFromLocalCopy, localCopyDirFor, type SourceOptions } from './localCopySource.js';

/**
 * Loads the inventory the global `-i` option (or the environment, or the cwd) names; or the
 * host's local copy with `--from-local-copy`, and where no inventory is found but the copy is
 * (saying so on stderr: see localCopySource.ts).
 */
export function inventoryFor(options: SourceOptions): Promise<Inventory> {
  const copyDir = localCopyDirFor(options);
  if (copyDir !== undefined) return inventoryFromLocalCopy(copyDir, options);
  return loadInventory({ cache: true, ...(options.inventory === undefined ? {} : { path: options.inventory }) });
}

/**
 * Selects hosts for a command; no selector means `all`. Unless `quiet`, says on
 * stderr how many and which hosts were left out for their state.
 */
export function selectFor(inventory: Inventory, selectors: string[], options: { allStates?: boolean; quiet?: boolean }): Selection {
  const selection = select(inventory, selectors.length > 0 ? selectors : ['all'], { allStates: options.allStates === true });
  if (!options.quiet) process.stderr.write(skippedNotice(selection));
  return selection;
}

/** `muster: left out 2 hosts for their state (stop: db2,web004); add --all-states to include them`, or '' when none. */
export function skippedNotice(selection: Selection): string {
  if (selection.skipped.length === 0) return '';
  const byState = new Map<string, string[]>();
  for (const host of selection.skipped) {
    const list = byState.get(host.state);
    if (list) list.push(host.name);
    else byState.set(host.state, [host.name]);
  }
  const parts = [...byState].map(([state, names]) => {
    const folded = foldNodeset(names);
    // A big fleet can have hundreds of stopped hosts; the notice stays one readable line.
    return `${state}: ${folded.length > 160 ? `${folded.slice(0, 160)}… (see: muster ls state:${state})` : folded}`;
  });
  const count = selection.skipped.length;
  return `muster: left out ${count} host${count === 1 ? '' : 's'} for their state (${parts.join('; ')}); add --all-states to include them\n`;
}
