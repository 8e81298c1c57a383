/**
 * `-x SEL` (clush `-x`/`-X`): hosts left out of a fan-out's selection. A word is read both
 * ways the selection can hold hosts: as an inventory selector (`-x db`, `-x 'dc=dc2'`) and,
 * when it is a nodeset, as names (`-x 10.0.0.[5-6]`, hosts `-w` named that the inventory
 * does not have). It is an error only when it is neither.
 */
import { MusterError, SelectorError } from '../../core/errors.js';
import { expandNodeset } from '../../core/nodeset.js';
import { select } from '../../inventory/select.js';
import type { Inventory } from '../../inventory/types.js';
import { mentionsFailed, resolveFailed } from './failedSelector.js';

/** The names `-x` leaves out (every state: leaving a stopped host out is never wrong). */
export async function excludedNames(selectors: readonly string[], inventory: Inventory): Promise<Set<string>> {
  const names = new Set<string>();
  let words = [...selectors];
  if (mentionsFailed(words)) {
    const resolved = await resolveFailed(words, inventory);
    for (const name of resolved.named) names.add(name);
    words = resolved.selectors;
  }
  for (const word of words) {
    let asNames: string[] | undefined;
    try {
      asNames = expandNodeset(word);
    } catch (error) {
      if (!(error instanceof MusterError)) throw error;
    }
    try {
      for (const host of select(inventory, [word], { allStates: true }).hosts) names.add(host.name);
    } catch (error) {
      // "no host named …" for a name only -w gave: the nodeset reading below covers it.
      if (!(error instanceof SelectorError) || asNames === undefined) throw error;
    }
    for (const name of asNames ?? []) names.add(name.slice(name.lastIndexOf('@') + 1));
  }
  return names;
}
