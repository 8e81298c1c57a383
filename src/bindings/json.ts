/**
 * The json binding: the selected fleet as one JSON document, for tools that
 * would rather not parse YAML or shell.
 */
import type { Host, Inventory } from '../inventory/types.js';
import { fleetOf, fleetHost, namesOf, type FleetHost } from './fleet.js';

/** The document the json and yaml exports write. */
export interface FleetDocument {
  hosts: Record<string, FleetHost>;
  roles: Record<string, string[]>;
  groups: Record<string, string[]>;
  states: Record<string, string[]>;
}

/**
 * The json/yaml document of `hosts`: `hosts` (name → address, user, port,
 * state, note, roles, vars — user/port/note only when set), and for every
 * declared role, group and state the names of the selected hosts in it.
 */
export function fleetDocument(inventory: Inventory, hosts: Host[]): FleetDocument {
  const fleet = fleetOf(inventory, hosts);
  return {
    hosts: Object.fromEntries(fleet.hosts.map((host) => [host.name, fleetHost(host)])),
    roles: namesOf(fleet.roles),
    groups: namesOf(fleet.groups),
    states: namesOf(fleet.states),
  };
}

/** Exports `hosts` as pretty-printed JSON (see `fleetDocument` for the shape), ending in a newline. */
export function exportJson(inventory: Inventory, hosts: Host[]): string {
  return `${JSON.stringify(fleetDocument(inventory, hosts), null, 2)}\n`;
}
