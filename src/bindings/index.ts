/**
 * The bindings layer: the inventory exported as sh, env, json, yaml or Ansible
 * dynamic-inventory JSON. Each format is a pure function of (inventory, hosts).
 */
export { exportSh, shAssignments, prefixOf, type ShOptions } from './sh.js';
export { exportEnv } from './env.js';
export { exportJson, fleetDocument, type FleetDocument } from './json.js';
export { exportYaml } from './yaml.js';
export { exportAnsible, type AnsibleGroup } from './ansible.js';
export type { FleetHost } from './fleet.js';
export { exportAs, exportFormats, isExportFormat, type ExportFormat } from './exportAs.js';
