/**
 * The hosts a fan-out command works on: the inventory, the selected hosts and
 * their transport targets, and how an inventory host becomes a target.
 */
import type { Host, Inventory } from '../../inventory/types.js';
import type { Target } from '../../transport/types.js';
import { inventoryFor, selectFor } from '../inventory.js';

/** The selected hosts of an operation, and their transport targets (same order). */
export interface Fleet {
  inventory: Inventory;
  hosts: Host[];
  targets: Target[];
}

/**
 * The inventory each target was made from (`targetOf`), so that the fan-out front finds
 * the inventory's agents settings from the targets a command hands it, whichever command.
 */
const inventories = new WeakMap<Target, Inventory>();

/**
 * Where to connect for an inventory host: its name (matched against ssh_config
 * `Host` patterns), address, and user/port when the inventory sets them, the
 * inventory's `ssh_config` file, and the transport its `muster_transport` variable names.
 */
export function targetOf(host: Host, inventory: Inventory): Target {
  const transport = host.vars['muster_transport'];
  const target: Target = {
    name: host.name,
    address: host.address,
    ...(host.user !== undefined ? { user: host.user } : {}),
    ...(host.port !== undefined ? { port: host.port } : {}),
    ...(inventory.sshConfig !== undefined ? { sshConfig: inventory.sshConfig } : {}),
    ...(transport !== undefined && transport !== null ? { transport: String(transport) } : {}),
  };
  inventories.set(target, inventory);
  return target;
}

/** The inventory the targets were made from by `targetOf` (the first one's), if any. */
export function inventoryOfTargets(targets: readonly Target[]): Inventory | undefined {
  const first = targets[0];
  return first === undefined ? undefined : inventories.get(first);
}

/**
 * Loads the inventory (`-i`, else $MUSTER_INVENTORY, else muster.yaml/inventory/
 * here or above), selects hosts, and says on stderr how many were left out for
 * their state (folded), unless `-q`. Throws SelectorError / InvalidFileError (exit 2).
 */
export async function selectFleet(selectors: string[], options: { inventory?: string; allStates?: boolean; quiet?: boolean }): Promise<Fleet> {
  const inventory = await inventoryFor(options);
  const selection = selectFor(inventory, selectors, options);
  return { inventory, hosts: selection.hosts, targets: selection.hosts.map((host) => targetOf(host, inventory)) };
}
