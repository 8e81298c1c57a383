/**
 * The hosts a fan-out command works on: the inventory, the selected hosts and
 * their transport targets, and how an inventory host becomes a target. The
 * selection is the union of the selectors (inventory hosts, `@failed`) and the hosts
 * named on the command line (`-w`, `--hostfile`), less `-x`, `--pick` of them at random;
 * `-l`/`-p` then set every target's login.
 */
import { MusterError } from '../../core/errors.js';
import type { Host, Inventory } from '../../inventory/types.js';
import type { Target } from '../../transport/types.js';
import { inventoryFor, selectFor } from '../inventory.js';
import { parseHostList, parsePortOption, readHostfile, type AdhocHost } from './adhocHosts.js';
import { excludedNames } from './exclude.js';
import { mentionsFailed, resolveFailed } from './failedSelector.js';
import { pickRandom } from './pick.js';

/** The selected hosts of an operation, and their transport targets (same order). */
export interface Fleet {
  inventory: Inventory;
  hosts: Host[];
  targets: Target[];
}

/** What picks the hosts besides the selectors (the target options, targetOptions.ts). */
export interface FleetOptions {
  inventory?: string;
  allStates?: boolean;
  quiet?: boolean;
  /** `-w`, repeatable: nodesets of `[user@]host`. */
  hosts?: string[];
  /** `--hostfile`, repeatable. */
  hostfile?: string[];
  /** `-l`: the login for every host (a host file's `user@` still wins for its line). */
  user?: string;
  /** `-p`: the port for every host (a host file's `:port` still wins for its line). */
  port?: string;
  /** `-x`, repeatable: selectors or nodesets left out. */
  exclude?: string[];
  /** `--pick N`: a random N of what is left. */
  pick?: string;
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
 * here or above), selects hosts, adds the ones `-w`/`--hostfile` name, leaves out `-x`,
 * and says on stderr how many were left out for their state (folded), unless `-q`.
 * Empty selectors (`''`) are none: `muster run -w h1 -- uptime` selects h1 only. Without
 * inventory selectors no inventory is needed: with none found, hosts named on the command
 * line are reached through ssh_config alone, as pdsh reaches them.
 * Throws SelectorError / InvalidFileError / UsageError (exit 2).
 */
export async function selectFleet(selectors: string[], options: FleetOptions): Promise<Fleet> {
  const adhoc: AdhocHost[] = (options.hosts ?? []).flatMap((text) => parseHostList(text));
  for (const file of options.hostfile ?? []) adhoc.push(...await readHostfile(file));
  const port = options.port === undefined ? undefined : parsePortOption(options.port);
  let given = selectors.filter((selector) => selector.trim() !== '');
  const adhocOnly = given.length === 0 && (adhoc.length > 0 || (options.hosts ?? []).length > 0 || (options.hostfile ?? []).length > 0);
  const inventory = adhocOnly ? await inventoryOrNone(options) : await inventoryFor(options);
  if (mentionsFailed(given)) {
    const resolved = await resolveFailed(given, inventory);
    if (!options.quiet) for (const note of resolved.notes) process.stderr.write(note);
    given = resolved.selectors;
    adhoc.unshift(...resolved.named.map((name) => ({ name })));
  }
  const picked = given.length > 0 ? selectFor(inventory, given, options).hosts : [];
  const byName = new Map<string, { host: Host; login: AdhocHost | undefined }>(picked.map((host) => [host.name, { host, login: undefined }]));
  for (const named of adhoc) {
    if (byName.has(named.name)) continue;
    byName.set(named.name, { host: inventory.hostsByName.get(named.name) ?? adhocHost(named.name, inventory), login: named });
  }
  const excluded = await excludedNames(options.exclude ?? [], inventory);
  const kept = [...byName.values()].filter(({ host }) => !excluded.has(host.name));
  const chosen = options.pick === undefined ? kept : pickRandom(kept, options.pick);
  const targets = chosen.map(({ host, login }) => {
    const target = targetOf(host, inventory);
    const user = login?.user ?? options.user;
    const at = login?.port ?? port;
    if (user !== undefined) target.user = user;
    if (at !== undefined) target.port = at;
    return target;
  });
  return { inventory, hosts: chosen.map(({ host }) => host), targets };
}

/**
 * A host the inventory does not have: its name is its address (ssh_config's `Host` and
 * `HostName` still apply, as for `ssh NAME`), no roles, no vars, the default state.
 */
function adhocHost(name: string, inventory: Inventory): Host {
  return { name, address: name, roles: [], state: inventory.states[0] ?? 'ok', vars: {}, provenance: {}, definedAt: { file: '(command line)', line: 1, col: 1 } };
}

/** The inventory when there is one; an empty one when none is found and none was asked for. */
async function inventoryOrNone(options: FleetOptions): Promise<Inventory> {
  try {
    return await inventoryFor(options);
  } catch (error) {
    const asked = options.inventory !== undefined || (process.env['MUSTER_INVENTORY'] ?? '') !== '';
    if (asked || !(error instanceof MusterError) || !error.message.startsWith('No inventory found')) throw error;
    return { files: [], states: ['ok'], skipStates: [], hosts: [], hostsByName: new Map(), roles: new Map(), groups: new Map(), checks: new Map() };
  }
}
