/**
 * The yaml binding: the same document as the json binding, as YAML.
 */
import { stringify } from 'yaml';
import type { Host, Inventory } from '../inventory/types.js';
import { fleetDocument } from './json.js';

/**
 * Exports `hosts` as YAML (the shape of `fleetDocument`). Strings that a YAML
 * 1.1 reader (PyYAML, hence Ansible) would take for something else — `yes`,
 * `on`, `0777` — are quoted, so every reader gets the same values back.
 */
export function exportYaml(inventory: Inventory, hosts: Host[]): string {
  return stringify(fleetDocument(inventory, hosts), { version: '1.1', aliasDuplicateObjects: false, lineWidth: 0 });
}
