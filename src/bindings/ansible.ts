/**
 * The ansible binding: Ansible's dynamic-inventory JSON (what an inventory
 * script prints for `--list`), so `ansible -i` and `ansible-inventory -i` read
 * the fleet from muster instead of a second, drifting host list.
 */
import { MusterError } from '../core/errors.js';
import { shellName } from '../core/shell.js';
import type { Host, Inventory, VarValue } from '../inventory/types.js';
import { fleetOf } from './fleet.js';

/** One Ansible group of the dynamic-inventory JSON. */
export interface AnsibleGroup {
  hosts: string[];
  children?: string[];
}

/**
 * Exports `hosts` as Ansible dynamic-inventory JSON:
 *
 * - one group per role (named after the role), per muster group (named after
 *   the group) and per state (`state_<state>`), each listing its selected hosts;
 * - `all` with every selected host and those groups as children;
 * - `_meta.hostvars`: each host's resolved vars, then `ansible_host` (address),
 *   `ansible_user` and `ansible_port` when set, `muster_state`, `muster_roles`
 *   and `muster_note` when set. These win over a var of the same name: the
 *   inventory's fields are the source of truth. A string holding Jinja
 *   delimiters (`{{`, `{%`, `{#`) is marked `__ansible_unsafe`, so Ansible keeps
 *   it as text instead of running it as a template.
 *
 * Ansible group names must be identifiers; a name that is not (`web-front`)
 * is rewritten as `shellName` does (`web_front`), the way Ansible's own
 * `force_valid_group_names` would. Two names that end up the same — or a role
 * named `all`, `ungrouped` or `_meta` — throw a `MusterError` naming both.
 */
export function exportAnsible(inventory: Inventory, hosts: Host[]): string {
  const fleet = fleetOf(inventory, hosts);
  const groups = new Map<string, AnsibleGroup>();
  const origins = new Map<string, string>([['all', 'Ansible\'s group "all"'], ['ungrouped', 'Ansible\'s group "ungrouped"'], ['_meta', 'the "_meta" key']]);
  const addGroup = (name: string, members: Host[], what: string): void => {
    const first = origins.get(name);
    if (first !== undefined) throw new MusterError(`Cannot export as ansible: ${first} and ${what} both become the Ansible group "${name}"; rename one`);
    origins.set(name, what);
    groups.set(name, { hosts: members.map((host) => host.name) });
  };
  for (const [name, members] of fleet.roles) addGroup(shellName(name), members, `role ${JSON.stringify(name)}`);
  for (const [name, members] of fleet.groups) addGroup(shellName(name), members, `group ${JSON.stringify(name)}`);
  for (const [name, members] of fleet.states) addGroup(`state_${shellName(name)}`, members, `state ${JSON.stringify(name)}`);

  const document = {
    _meta: { hostvars: Object.fromEntries(fleet.hosts.map((host) => [host.name, hostvars(host)])) },
    all: { hosts: fleet.hosts.map((host) => host.name), children: [...groups.keys()] },
    ...Object.fromEntries(groups),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function hostvars(host: Host): Record<string, AnsibleValue> {
  const vars: Record<string, AnsibleValue> = Object.fromEntries(Object.entries(host.vars).map(([key, value]) => [key, literal(value)]));
  const own: [string, VarValue][] = [['ansible_host', host.address]];
  if (host.user !== undefined) own.push(['ansible_user', host.user]);
  if (host.port !== undefined) own.push(['ansible_port', host.port]);
  own.push(['muster_state', host.state], ['muster_roles', [...host.roles]]);
  if (host.note !== undefined) own.push(['muster_note', host.note]);
  for (const [key, value] of own) vars[key] = literal(value);
  return vars;
}

/** A var as Ansible's JSON gets it; `{ __ansible_unsafe: text }` is text Ansible never templates. */
type AnsibleValue = VarValue | { __ansible_unsafe: string } | AnsibleValue[] | { [key: string]: AnsibleValue };

/**
 * Ansible templates every string var it uses, so a value holding `{{ lookup('pipe', …) }}`
 * would run a command on the control node. Strings that hold Jinja delimiters are marked
 * unsafe (Ansible's own marker for inventory scripts) and stay literal text; the others are
 * left plain, so the JSON reads as usual.
 */
function literal(value: VarValue): AnsibleValue {
  if (typeof value === 'string') return /\{[{%#]/.test(value) ? { __ansible_unsafe: value } : value;
  if (Array.isArray(value)) return value.map(literal);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, literal(item)]));
  return value;
}
