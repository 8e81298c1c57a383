/**
 * The export formats by name, for callers that take the format as a string
 * (the CLI's `--format`, the metadata server's `?format=`).
 */
import type { Host, Inventory } from '../inventory/types.js';
import { exportAnsible } from './ansible.js';
import { exportEnv } from './env.js';
import { exportJson } from './json.js';
import { exportSh, type ShOptions } from './sh.js';
import { exportYaml } from './yaml.js';

/** The names of the export formats, the default first. */
export const exportFormats = ['sh', 'json', 'yaml', 'env', 'ansible'] as const;

export type ExportFormat = (typeof exportFormats)[number];

/** Whether `name` is one of `exportFormats`. */
export function isExportFormat(name: string): name is ExportFormat {
  return (exportFormats as readonly string[]).includes(name);
}

/** Exports `hosts` in `format`; `options.prefix` applies to sh and env only. */
export function exportAs(format: ExportFormat, inventory: Inventory, hosts: Host[], options: ShOptions = {}): string {
  switch (format) {
    case 'sh': return exportSh(inventory, hosts, options);
    case 'env': return exportEnv(inventory, hosts, options);
    case 'json': return exportJson(inventory, hosts);
    case 'yaml': return exportYaml(inventory, hosts);
    case 'ansible': return exportAnsible(inventory, hosts);
  }
}
