/**
 * The env binding: one host's values as `KEY=value` lines, for a process's
 * environment (`set -a; . ./host.env`, systemd `EnvironmentFile=`). Values are
 * quoted exactly as in the sh binding, so the file is also safe to `source`.
 */
import { OptionError } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';
import { shellName } from '../core/shell.js';
import type { Host, Inventory } from '../inventory/types.js';
import { Assignments, hostFields, prefixOf, varText, type ShOptions } from './sh.js';

/**
 * Exports exactly one host: `MUSTER_NAME`, `MUSTER_ADDRESS`, `MUSTER_STATE`,
 * `MUSTER_ROLES`, `MUSTER_USER`/`_PORT`/`_NOTE` when set, and `MUSTER_VAR_<key>`
 * per resolved var (non-scalars as JSON). A selection of zero or several hosts
 * is an `OptionError` (a UsageError): an environment describes one machine.
 */
export function exportEnv(_inventory: Inventory, hosts: Host[], options: ShOptions = {}): string {
  const [host, ...others] = hosts;
  if (host === undefined) throw new OptionError('format', (name) => `${name('format')} env exports one host, and the selection is empty`);
  if (others.length > 0) {
    throw new OptionError('format', (name) => `${name('format')} env exports one host, and the selection has ${hosts.length}: ${foldNodeset(hosts.map((h) => h.name))}`);
  }
  const prefix = prefixOf(options);
  const out = new Assignments('env');
  out.add(`${prefix}NAME`, host.name, 'the host name');
  for (const [field, value] of hostFields(host)) out.add(`${prefix}${field}`, value, `the ${field.toLowerCase()}`);
  for (const [key, value] of Object.entries(host.vars)) {
    out.add(`${prefix}VAR_${shellName(key)}`, varText(value), `var ${JSON.stringify(key)}`);
  }
  return out.text();
}
