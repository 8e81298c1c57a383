/**
 * After `muster ca sign` and `ca revoke`: make the running brokers see the change (regenerate
 * their authorization, reload them), so a revoked identity is refused within seconds.
 * Resolves with a one-line summary to print, or undefined when there is nothing to say.
 */
import type { Inventory } from '../inventory/types.js';

/** Regenerates and reloads the running brokers of `stateDir`; a summary line, or undefined when none runs. */
export async function refreshRunningBrokers(_inventory: Inventory, _stateDir: string): Promise<string | undefined> {
  // replaced at merge by broker/'s refreshBrokers
  return undefined;
}
