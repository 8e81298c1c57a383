/**
 * `@failed` and `@failed:ID` in a fan-out command's selectors: the hosts the last run (or
 * run ID) of the history left failed, unreachable or timed out, so that what failed can be
 * run again (`muster run @failed -- …`). Resolved here, in the fan-out front, before the
 * inventory's selector language sees the words: the journal knows host names, not roles.
 */
import { UsageError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import type { Inventory } from '../../inventory/types.js';
import { failureStatuses } from '../../run/outcome.js';

/** A whole selector argument that is a reference: `@failed`, `@failed:42`. */
const wholeRef = /^@failed(?::(\d+))?$/;
/** A reference inside an expression (`@failed&web`); the ID, when given, is its digits. */
const innerRef = /@failed(?::(\d+))?/g;

/** The selectors with every reference resolved. */
export interface ResolvedSelectors {
  /** What is left for the inventory's selector language (references inside expressions replaced by the hosts). */
  selectors: string[];
  /** Hosts named by whole-argument references, in run order: inventory hosts or not (ad-hoc hosts of that run). */
  named: string[];
  /** One line per reference for stderr: which run it was and what it named. */
  notes: string[];
}

/** Whether any selector uses `@failed`: only then is the journal (and SQLite) loaded. */
export function mentionsFailed(selectors: readonly string[]): boolean {
  return selectors.some((selector) => selector.includes('@failed'));
}

/**
 * Replaces the references. A whole argument becomes its hosts (`named`), so hosts of an
 * ad-hoc run that are not in the inventory can be retried too; a reference inside an
 * expression becomes `(host:NODESET)` (or an empty set), which only inventory hosts can
 * be, so an expression naming other hosts is a UsageError saying what to do instead.
 */
export async function resolveFailed(selectors: readonly string[], inventory: Inventory): Promise<ResolvedSelectors> {
  const { hostsOfRun } = await import('../../history/journal.js');
  const cache = new Map<string, { id: number; command: string; hosts: string[] }>();
  const notes: string[] = [];
  const lookup = (id: string | undefined): string[] => {
    const key = id ?? 'last';
    let found = cache.get(key);
    if (!found) {
      found = hostsOfRun(id === undefined ? 'last' : Number(id), failureStatuses);
      cache.set(key, found);
      const count = found.hosts.length;
      notes.push(`muster: @failed${id === undefined ? '' : `:${id}`} is run #${found.id} (${found.command}): ${count === 0 ? 'no host failed' : `${foldNodeset(found.hosts)} (${count})`}\n`);
    }
    return found.hosts;
  };
  const named: string[] = [];
  const rest: string[] = [];
  for (const selector of selectors) {
    const whole = wholeRef.exec(selector);
    if (whole) {
      named.push(...lookup(whole[1]));
      continue;
    }
    if (!selector.includes('@failed')) {
      rest.push(selector);
      continue;
    }
    rest.push(selector.replace(innerRef, (_text, id: string | undefined) => {
      const hosts = lookup(id);
      const strangers = hosts.filter((host) => !inventory.hostsByName.has(host));
      if (strangers.length > 0) {
        throw new UsageError(`@failed${id === undefined ? '' : `:${id}`} in "${selector}" names hosts that are not in the inventory (${foldNodeset(strangers)}): give it as a selector of its own (muster run @failed …) and use -x to leave hosts out`);
      }
      // An empty set the selector language can write: nothing failed, nothing is picked.
      return hosts.length === 0 ? '(all!all)' : `(host:${foldNodeset(hosts)})`;
    }));
  }
  return { selectors: rest, named, notes };
}
