/**
 * The data every export format is made from: the selected hosts, and for each
 * role, group and state the selected hosts that belong to it. Computing it once
 * keeps the formats consistent with each other and with `select`.
 */
import type { Host, Inventory, VarValue } from '../inventory/types.js';
import { select } from '../inventory/index.js';

/** One host as the json/yaml exports show it. */
export interface FleetHost {
  address: string;
  user?: string;
  port?: number;
  state: string;
  note?: string;
  roles: string[];
  vars: Record<string, VarValue>;
}

/**
 * Memberships restricted to the selected hosts, in inventory order. Every
 * declared role, group and state is present (an empty list when none of the
 * selected hosts has it), so a consumer can rely on the key existing.
 */
export interface Fleet {
  hosts: Host[];
  roles: Map<string, Host[]>;
  groups: Map<string, Host[]>;
  states: Map<string, Host[]>;
}

/**
 * Works out the memberships of `hosts` (a selection of `inventory`). A group is
 * a selector; its members here are the hosts it picks when states are ignored,
 * intersected with `hosts` — so the caller's selection alone decides whether
 * hosts in `skip_states` take part.
 */
export function fleetOf(inventory: Inventory, hosts: readonly Host[]): Fleet {
  const chosen = new Set(hosts);
  const roles = new Map<string, Host[]>([...inventory.roles.keys()].map((name) => [name, []]));
  const states = new Map<string, Host[]>(inventory.states.map((name) => [name, []]));
  for (const host of hosts) {
    for (const role of host.roles) listFor(roles, role).push(host);
    listFor(states, host.state).push(host);
  }
  const groups = new Map<string, Host[]>();
  for (const name of inventory.groups.keys()) {
    const members = select(inventory, [`group:${name}`], { allStates: true }).hosts;
    groups.set(name, members.filter((host) => chosen.has(host)));
  }
  return { hosts: [...hosts], roles, groups, states };
}

function listFor(map: Map<string, Host[]>, key: string): Host[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}

/** The json/yaml view of one host: only the fields that are set. */
export function fleetHost(host: Host): FleetHost {
  return {
    address: host.address,
    ...(host.user !== undefined ? { user: host.user } : {}),
    ...(host.port !== undefined ? { port: host.port } : {}),
    state: host.state,
    ...(host.note !== undefined ? { note: host.note } : {}),
    roles: [...host.roles],
    vars: host.vars,
  };
}

/** A map of hosts as a plain object of names. `Object.fromEntries` keeps a key like `__proto__` an own key. */
export function namesOf(map: Map<string, Host[]>): Record<string, string[]> {
  return Object.fromEntries([...map].map(([key, hosts]) => [key, hosts.map((host) => host.name)]));
}
