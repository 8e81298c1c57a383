/** `muster ls [SEL…]`: list hosts, as names, a table, JSON, YAML or one folded nodeset. */
import { Option, type Command } from 'commander';
import { foldNodeset } from '../../core/nodeset.js';
import type { Host } from '../../inventory/types.js';
import { newCommand, type GlobalOptions } from '../globals.js';
import { inventoryFor, selectFor } from '../inventory.js';

type Format = 'names' | 'table' | 'json' | 'yaml' | 'fold';

interface LsOptions extends GlobalOptions {
  output: Format;
  allStates?: boolean;
}

/** The `ls` command. Hosts in inventory order; no selector lists every host (skip_states left out). */
export function command(): Command {
  const cmd = newCommand('ls', 'list hosts')
    .argument('[selector...]', 'selectors (union); default: all')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['names', 'table', 'json', 'yaml', 'fold']).default('table'))
    .option('--all-states', 'include hosts whose state is in skip_states');
  return cmd.action(async (selectors: string[]) => {
    const options = cmd.opts<LsOptions>();
    const inventory = await inventoryFor(options);
    const { hosts } = selectFor(inventory, selectors, options);
    if (options.json) {
      process.stdout.write(hosts.map((host) => `${JSON.stringify(hostData(host))}\n`).join(''));
      return;
    }
    process.stdout.write(await render(hosts, options.output));
  });
}

/** A host as data: what the inventory says about it, without provenance. */
export function hostData(host: Host): Record<string, unknown> {
  return {
    name: host.name,
    address: host.address,
    ...(host.user !== undefined ? { user: host.user } : {}),
    ...(host.port !== undefined ? { port: host.port } : {}),
    roles: host.roles,
    state: host.state,
    ...(host.note !== undefined ? { note: host.note } : {}),
    vars: host.vars,
  };
}

async function render(hosts: Host[], format: Format): Promise<string> {
  switch (format) {
    case 'names':
      return hosts.map((host) => `${host.name}\n`).join('');
    case 'fold':
      return hosts.length > 0 ? `${foldNodeset(hosts.map((host) => host.name))}\n` : '';
    case 'json':
      return `${JSON.stringify(hosts.map(hostData), null, 2)}\n`;
    case 'yaml': {
      const { stringify } = await import('yaml');
      return hosts.length > 0 ? stringify(hosts.map(hostData)) : '[]\n';
    }
    case 'table':
      return table(hosts);
  }
}

function table(hosts: Host[]): string {
  const rows = [['NAME', 'ADDRESS', 'STATE', 'ROLES'], ...hosts.map((host) => [host.name, host.address, host.state, host.roles.join(',')])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => `${row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  ').trimEnd()}\n`).join('');
}
