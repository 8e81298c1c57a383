/**
 * The sh binding: shell variable assignments describing the fleet, meant to be
 * `source`d (as KLab MATRIX's `/etc/dsas.conf` was). Safe whatever the inventory
 * holds: every name is a valid shell name and every value is single-quoted.
 */
import { MusterError, OptionError } from '../core/errors.js';
import { shellName, shellQuote } from '../core/shell.js';
import type { Host, Inventory, VarValue } from '../inventory/types.js';
import { fleetOf } from './fleet.js';

/** Options of the sh and env exports. */
export interface ShOptions {
  /** Prefix of every variable name, joined with `_` (default `MUSTER`; empty for none). */
  prefix?: string;
}

/**
 * Exports `hosts` as shell assignments, one per line, for `source` or `eval`:
 *
 * - `MUSTER_HOSTS`, `MUSTER_HOSTS_ADDRS`: every selected host, its address
 * - `MUSTER_ROLE_<role>`, `MUSTER_ROLE_<role>_ADDRS`: per declared role
 * - `MUSTER_GROUP_<group>`, `MUSTER_GROUP_<group>_ADDRS`: per declared group
 * - `MUSTER_STATE_<state>`: per declared state
 * - per host `MUSTER_HOST_<host>_NAME`, `_ADDRESS`, `_STATE`, `_ROLES`, `_USER`,
 *   `_PORT`, `_NOTE` (the last three when set) and `_VAR_<key>` for every resolved var
 *
 * `<…>` is the name through `shellName` (non-[A-Za-z0-9_] → `_`, a leading
 * digit gets a `_`). Lists are space-separated names. Two names that become the
 * same variable throw a `MusterError` naming both.
 */
export function exportSh(inventory: Inventory, hosts: Host[], options: ShOptions = {}): string {
  const prefix = prefixOf(options);
  const fleet = fleetOf(inventory, hosts);
  const out = new Assignments('sh');
  out.comment(`muster export --format sh: ${hosts.length} host${hosts.length === 1 ? '' : 's'}. Every value is single-quoted: safe to source.`);
  out.add(`${prefix}HOSTS`, names(hosts), 'the list of hosts');
  out.add(`${prefix}HOSTS_ADDRS`, addresses(hosts), 'the list of addresses');
  for (const [kind, map] of [['ROLE', fleet.roles], ['GROUP', fleet.groups], ['STATE', fleet.states]] as const) {
    for (const [name, members] of map) {
      const base = `${prefix}${kind}_${shellName(name)}`;
      const what = `${kind.toLowerCase()} ${JSON.stringify(name)}`;
      out.add(base, names(members), what);
      if (kind !== 'STATE') out.add(`${base}_ADDRS`, addresses(members), `the addresses of ${what}`);
    }
  }
  for (const host of hosts) {
    out.blank();
    const base = `${prefix}HOST_${shellName(host.name)}`;
    const what = `host ${JSON.stringify(host.name)}`;
    out.add(`${base}_NAME`, host.name, `the name of ${what}`);
    for (const [field, value] of hostFields(host)) out.add(`${base}_${field}`, value, `the ${field.toLowerCase()} of ${what}`);
    for (const [key, value] of Object.entries(host.vars)) {
      out.add(`${base}_VAR_${shellName(key)}`, varText(value), `var ${JSON.stringify(key)} of ${what}`);
    }
  }
  return out.text();
}

/**
 * One `NAME=value` line per entry (names via `shellName`, values via
 * `shellQuote`), for a record that is already flat, like one host's metadata.
 * Arrays of scalars are joined by spaces; objects and nested arrays become
 * JSON; null becomes the empty string. Two keys that become the same name
 * throw a `MusterError` naming both.
 *
 * @example shAssignments({ name: 'web001', roles: ['web', 'db'] }) // "name=web001\nroles='web db'\n"
 */
export function shAssignments(entries: Record<string, VarValue>): string {
  const out = new Assignments('sh');
  for (const [key, value] of Object.entries(entries)) {
    const text = Array.isArray(value) && value.every(isScalar) ? value.map(scalarText).join(' ') : varText(value);
    out.add(shellName(key), text, `key ${JSON.stringify(key)}`);
  }
  return out.text();
}

/** The per-host fields every binding shows, upper-cased, in a fixed order; unset ones left out. */
export function hostFields(host: Host): [string, string][] {
  const fields: [string, string][] = [['ADDRESS', host.address], ['STATE', host.state], ['ROLES', host.roles.join(' ')]];
  if (host.user !== undefined) fields.push(['USER', host.user]);
  if (host.port !== undefined) fields.push(['PORT', String(host.port)]);
  if (host.note !== undefined) fields.push(['NOTE', host.note]);
  return fields;
}

/** The variable-name prefix with its `_`, checked to be a valid start of a shell name. */
export function prefixOf(options: ShOptions): string {
  const prefix = options.prefix ?? 'MUSTER';
  if (prefix === '') return '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new OptionError('prefix', (name) => `Invalid ${name('prefix')} ${JSON.stringify(prefix)}: it must be a shell name (letters, digits and "_", not starting with a digit), or empty`);
  }
  return `${prefix}_`;
}

/** A var as one shell word's text: scalars as written, null empty, anything else JSON. */
export function varText(value: VarValue): string {
  return isScalar(value) ? scalarText(value) : JSON.stringify(value);
}

function isScalar(value: VarValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function scalarText(value: string | number | boolean | null): string {
  return value === null ? '' : String(value);
}

function names(hosts: readonly Host[]): string {
  return hosts.map((host) => host.name).join(' ');
}

function addresses(hosts: readonly Host[]): string {
  return hosts.map((host) => host.address).join(' ');
}

/**
 * Assignment lines with a check that no two sources land on the same
 * variable: a silent overwrite would hand a script the wrong host's value.
 */
export class Assignments {
  private readonly seen = new Map<string, string>();
  private readonly lines: string[] = [];

  constructor(private readonly format: string) {}

  /** Adds `name=value`; `what` says where it came from, for the collision message. */
  add(name: string, value: string, what: string): void {
    const first = this.seen.get(name);
    if (first !== undefined) {
      throw new MusterError(`Cannot export as ${this.format}: ${first} and ${what} both become the variable ${name}; rename one (names keep only letters, digits and "_")`);
    }
    if (value.includes('\0')) throw new MusterError(`Cannot export as ${this.format}: ${what} contains a NUL character, which no shell variable can hold`);
    this.seen.set(name, what);
    this.lines.push(`${name}=${shellQuote(value)}`);
  }

  /** A `#` comment line; the text must be one line of our own making (never inventory data). */
  comment(text: string): void {
    this.lines.push(`# ${text}`);
  }

  blank(): void {
    this.lines.push('');
  }

  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
