/**
 * The inventory as commands see it: loaded from `-i`/`$MUSTER_INVENTORY`/the
 * nearest muster.yaml, selected, and the hosts left out for their state said
 * once on stderr. Shared by every command that takes a selector.
 */
import { stateDirFor } from '../ca/paths.js';
import { foldNodeset } from '../core/nodeset.js';
// Not through inventory/index.js: that would load the YAML parser and zod even when the
// parse cache answers (they cost ~40 ms of a ~100 ms `muster ls`).
import { loadInventory } from '../inventory/load.js';
import { select, type FactsLookup } from '../inventory/select.js';
import type { Host, Inventory, Selection } from '../inventory/types.js';
import { flattenFacts, type FlatFacts } from '../core/factsFlat.js';
import { readStoredFacts } from '../ops/factsStore.js';
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
 * stderr how many and which hosts were left out for their state. `fact.KEY=VALUE`
 * atoms read the facts last gathered (STATE/facts/, ops/factsStore.ts), only when a
 * selector has one; then, unless `quiet`, says how many hosts have none (they match no
 * `fact.` atom).
 */
export function selectFor(inventory: Inventory, selectors: string[], options: { allStates?: boolean; quiet?: boolean }): Selection {
  const stored = storedFactsLookup(inventory);
  const selection = select(inventory, selectors.length > 0 ? selectors : ['all'], { allStates: options.allStates === true, facts: stored.lookup });
  if (!options.quiet) process.stderr.write(skippedNotice(selection) + noFactsNotice(stored.missing, selection));
  return selection;
}

/** A lookup of the stored facts (read on first use, each host once), and the hosts it found none for. */
function storedFactsLookup(inventory: Inventory): { lookup: FactsLookup; missing: Host[] } {
  const known = new Map<Host, FlatFacts | undefined>();
  const missing: Host[] = [];
  let stateDir: string | undefined;
  const lookup: FactsLookup = (host) => {
    if (known.has(host)) return known.get(host);
    stateDir ??= stateDirFor(inventory);
    const record = readStoredFacts(stateDir, host.name);
    const flat = record ? flattenFacts(record.facts) : undefined;
    if (!flat) missing.push(host);
    known.set(host, flat);
    return flat;
  };
  return { lookup, missing };
}

/** `muster: 2 hosts have no stored facts (lab[05-06]), …`, or '' when every host asked has some. */
function noFactsNotice(missing: readonly Host[], selection: Selection): string {
  if (missing.length === 0) return '';
  const selected = new Set(selection.hosts);
  const inSelection = missing.filter((host) => selected.has(host)).length;
  const folded = foldNodeset(missing.map((host) => host.name));
  const count = missing.length;
  return `muster: ${count} host${count === 1 ? ' has' : 's have'} no stored facts (${folded.length > 160 ? `${folded.slice(0, 160)}…` : folded}), so no fact.KEY=VALUE matches ${count === 1 ? 'it' : 'them'}`
    + `${inSelection > 0 ? ` (${inSelection} selected all the same)` : ''}; gather facts with muster facts (--via ssh, or --refresh)\n`;
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
