/**
 * `muster lab up --like SEL`, the inventory-reading half (the lab layer reads
 * no inventory): the selected real hosts, their roles, vars, state and
 * managed files, handed to lab/like.ts as plain data, one lab host standing in
 * for each real host in inventory order.
 */
import { UsageError } from '../../core/errors.js';
import { inventoryRoot } from '../../inventory/managedFiles.js';
import type { Host, Inventory, VarValue } from '../../inventory/types.js';
import type { Lab } from '../../lab/index.js';
import type { LikeSpec } from '../../lab/like.js';
import { inventoryFor, selectFor } from '../inventory.js';

/** The real inventory and the hosts `--like` selected (at least one). */
export async function likeSelection(selector: string, options: { inventory?: string; quiet?: boolean }): Promise<{ inventory: Inventory; hosts: Host[] }> {
  const inventory = await inventoryFor(options);
  const { hosts } = selectFor(inventory, [selector], { quiet: options.quiet === true });
  if (hosts.length === 0) throw new UsageError(`--like ${selector}: the selection matches no host`);
  return { inventory, hosts };
}

/**
 * The like inventory of `lab` for `hosts`: lab host i stands for real host i.
 * Vars are written in the layer they resolve from (defaults, role, host), so
 * they resolve the same in the lab, with the same provenance layers,
 * less `muster_transport` (on roles too): the lab is reached over SSH whatever the real
 * hosts use. Address, port and user are the lab's.
 */
export function likeSpec(lab: Lab, selector: string, inventory: Inventory, hosts: readonly Host[]): LikeSpec {
  const used = new Set(hosts.flatMap((host) => host.roles));
  const roles = [...inventory.roles.values()].filter((role) => used.has(role.name)).map((role) => ({
    name: role.name,
    ...(role.description !== undefined ? { description: role.description } : {}),
    vars: withoutTransport(role.vars),
    ...(role.files ? { files: role.files.value as Record<string, Record<string, unknown>> } : {}),
  }));
  return {
    lab: lab.name,
    dir: lab.dir,
    selector,
    from: inventory.files,
    root: inventoryRoot(inventory),
    defaultVars: withoutTransport(Object.fromEntries(hosts.flatMap((host) => Object.entries(host.vars).filter(([key]) => host.provenance[key]?.layer === 'defaults')))),
    states: inventory.states,
    skipStates: inventory.skipStates,
    roles,
    hosts: hosts.map((host, index) => {
      // The host's own vars only: defaults and roles give the rest, so each var resolves from the layer it does in the real inventory.
      const vars = withoutTransport(Object.fromEntries(Object.entries(host.vars).filter(([key]) => host.provenance[key]?.layer === 'host')));
      return {
        name: host.name,
        address: lab.hosts[index]?.address ?? '',
        roles: host.roles,
        state: host.state,
        ...(host.note !== undefined ? { note: host.note } : {}),
        vars,
        ...(host.files ? { files: host.files.value as Record<string, Record<string, unknown>> } : {}),
      };
    }),
  };
}

function withoutTransport(vars: Record<string, VarValue>): Record<string, VarValue> {
  const { muster_transport: _transport, ...rest } = vars;
  return rest;
}
