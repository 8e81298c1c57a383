/** `muster show HOST`: one host, every resolved value, and where each came from. */
import type { Command } from 'commander';
import { formatLocation } from '../../core/errors.js';
import { resolveHost } from '../../inventory/resolve.js';
import type { Host, Provenance, VarValue } from '../../inventory/types.js';
import { newCommand, printJsonLine, type GlobalOptions } from '../globals.js';
import { inventoryFor } from '../inventory.js';

/** The `show` command; `--json` prints the same as one JSON object. */
export function command(): Command {
  const cmd = newCommand('show', 'one host, resolved, with provenance').argument('<host>', 'host name');
  return cmd.action(async (name: string) => {
    const options = cmd.opts<GlobalOptions>();
    const host = resolveHost(await inventoryFor(options), name);
    if (options.json) printJsonLine(showData(host));
    else process.stdout.write(showText(host));
  });
}

function where(provenance: Provenance | undefined): { layer: string; file: string; line: number; col: number } | null {
  return provenance ? { layer: provenance.layer, ...provenance.at } : null;
}

/** The host with the provenance of each value, as data. */
export function showData(host: Host): Record<string, unknown> {
  const fixed = ['address', 'user', 'port', 'state', 'note'] as const;
  const fields: Record<string, unknown> = { name: host.name, definedAt: host.definedAt, roles: host.roles };
  for (const key of fixed) {
    if (host[key] !== undefined) fields[key] = { value: host[key], from: where(host.provenance[key]) };
  }
  const vars: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(host.vars)) vars[key] = { value, from: where(host.provenance[key]) };
  return { ...fields, vars };
}

function display(value: VarValue | undefined): string {
  if (typeof value === 'string') return /^[\x20-\x7e]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? '';
}

/** The host as aligned text: `key  value  file:line:col (layer)`. */
export function showText(host: Host): string {
  const rows: [string, string, Provenance | undefined][] = [];
  for (const key of ['address', 'user', 'port', 'state', 'note'] as const) {
    const value = host[key];
    if (value !== undefined) rows.push([key, display(value), host.provenance[key]]);
  }
  rows.push(['roles', host.roles.join(', ') || '(none)', undefined]);
  const varRows: [string, string, Provenance | undefined][] = Object.entries(host.vars).map(([key, value]) => [key, display(value), host.provenance[key]]);
  const all = [...rows, ...varRows];
  const keyWidth = Math.max(...all.map(([key]) => key.length));
  const valueWidth = Math.min(40, Math.max(...all.map(([, value]) => value.length)));
  const line = ([key, value, from]: [string, string, Provenance | undefined]): string =>
    `  ${key.padEnd(keyWidth)}  ${from ? `${value.padEnd(valueWidth)}  ${formatLocation(from.at)} (${from.layer})` : value}\n`;
  return [
    `${host.name}  (defined at ${formatLocation(host.definedAt)})\n`,
    ...rows.map(line),
    varRows.length > 0 ? 'vars:\n' : 'vars: (none)\n',
    ...varRows.map(line),
  ].join('');
}
