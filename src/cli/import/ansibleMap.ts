/**
 * Ansible's groups and vars in muster's terms. The rule:
 *
 * - a group without children (a leaf) is a role, its own vars the role's vars;
 * - a group with children is a muster group, the selector of its children and
 *   direct hosts (`web,db`); its vars reach the hosts as host vars (below);
 * - `all`'s vars are `defaults.vars`, its ansible_user/ansible_port the defaults';
 * - each host's roles are its leaf groups in Ansible's order (depth, then name);
 *   its host vars are whatever Ansible resolves for it that the defaults and
 *   roles do not already give it, so the resolved vars agree key by key;
 * - ansible_host → address, ansible_user → user, ansible_port → port; every
 *   other ansible_* var is a connection setting muster does not use: left out, said.
 */
import { isDeepStrictEqual } from 'node:util';
import { compareNatural, foldNodeset } from '../../core/nodeset.js';
import type { VarValue } from '../../inventory/index.js';
import { namePattern } from '../../inventory/schema.js';
import type { AnsibleRead } from './ansibleRead.js';
import { emptyFleet, type ImportedFleet, type ImportedHost } from './model.js';

const reserved = new Set(['all', 'ungrouped']);

/** The fleet of an Ansible inventory read by readAnsible. */
export function mapAnsible(read: AnsibleRead, source: string): ImportedFleet {
  const fleet = emptyFleet(`the Ansible inventory ${source}`);
  for (const warning of read.warnings) fleet.unmapped.push(`ansible-inventory: ${warning}`);
  const allVars = read.groups.get('all')?.vars ?? {};
  const user = connection(allVars, 'user');
  const port = connection(allVars, 'port');
  if (typeof user === 'string') fleet.defaults.user = user;
  if (typeof port === 'number') fleet.defaults.port = port;
  fleet.defaults.vars = plainVars(allVars);

  const depth = groupDepths(read, fleet.unmapped);
  const leaves = [...read.groups.keys()].filter((name) => !reserved.has(name) && (read.groups.get(name)?.children.length ?? 0) === 0);
  const hostNames = [...read.resolved.keys()].sort(compareNatural);
  const refused = new Set(hostNames.filter((name) => !namePattern.test(name)));
  for (const name of refused) fleet.unmapped.push(`host ${JSON.stringify(name)}: not a muster host name (letters, digits, "_", "." and "-"); left out`);
  for (const name of leaves) fleet.roles.set(name, { vars: plainVars(read.groups.get(name)?.vars ?? {}) });
  for (const [name, group] of read.groups) {
    if (reserved.has(name) || group.children.length === 0) continue;
    const hosts = group.hosts.filter((host) => !refused.has(host));
    fleet.groups.set(name, [...group.children.filter((child) => !reserved.has(child)), ...(hosts.length > 0 ? [foldNodeset(hosts)] : [])].join(','));
  }

  // Each host's leaf groups, found once (a 10,000-host group must not be searched once per host).
  const leafOf = new Map<string, string[]>();
  for (const role of leaves) for (const host of read.groups.get(role)?.hosts ?? []) leafOf.set(host, [...(leafOf.get(host) ?? []), role]);
  const ignored = new Map<string, string[]>();
  const addressOwners = new Map<string, string>();
  for (const name of hostNames) {
    if (refused.has(name)) continue;
    const resolved = read.resolved.get(name) ?? {};
    const roles = [...(leafOf.get(name) ?? [])]
      .sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
    const host: ImportedHost = { name, roles, vars: {} };
    const address = connection(resolved, 'host');
    if (typeof address === 'string' && address !== name) {
      const owner = addressOwners.get(address);
      // muster refuses two hosts on one address; the first keeps it, the others are said.
      if (owner === undefined) {
        host.address = address;
        addressOwners.set(address, name);
      } else {
        fleet.unmapped.push(`host ${name}: ansible_host ${address} is already ${owner}'s (muster gives an address to one host); left out, so muster connects to the name ${name}`);
      }
    }
    const hostUser = connection(resolved, 'user');
    if (typeof hostUser === 'string' && hostUser !== fleet.defaults.user) host.user = hostUser;
    const hostPort = connection(resolved, 'port');
    if (typeof hostPort === 'number' && hostPort !== fleet.defaults.port) host.port = hostPort;
    if (hostPort === 'invalid') fleet.unmapped.push(`host ${name}: ansible_port ${JSON.stringify(resolved['ansible_port'])} is not a port number; left out`);
    const given: Record<string, VarValue> = { ...fleet.defaults.vars };
    for (const role of roles) Object.assign(given, fleet.roles.get(role)?.vars);
    for (const [key, value] of Object.entries(resolved)) {
      if (key.startsWith('ansible_')) {
        if (!mapped.has(key)) ignored.set(key, [...(ignored.get(key) ?? []), name]);
      } else if (!isDeepStrictEqual(given[key], value)) {
        host.vars[key] = value;
      }
    }
    for (const key of Object.keys(given)) {
      if (!(key in resolved)) fleet.unmapped.push(`host ${name}: var ${key} comes with its roles in muster but Ansible does not give it; kept`);
    }
    fleet.hosts.push(host);
  }
  for (const [key, hosts] of ignored) fleet.unmapped.push(`${key} on ${foldNodeset(hosts)}: an Ansible connection setting muster does not use; left out`);
  return fleet;
}

const mapped = new Set(['ansible_host', 'ansible_ssh_host', 'ansible_user', 'ansible_ssh_user', 'ansible_port', 'ansible_ssh_port']);

/** ansible_host / ansible_user / ansible_port (or their old ansible_ssh_* names); a port is a number or 'invalid'. */
function connection(vars: Record<string, VarValue>, what: 'host' | 'user' | 'port'): string | number | undefined {
  const value = vars[`ansible_${what}`] ?? vars[`ansible_ssh_${what}`];
  if (value === undefined || value === null) return undefined;
  if (what !== 'port') return String(value);
  const port = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? port : 'invalid';
}

/** Vars without Ansible's own ansible_* ones (those are mapped or left out host by host). */
function plainVars(vars: Record<string, VarValue>): Record<string, VarValue> {
  return Object.fromEntries(Object.entries(vars).filter(([key]) => !key.startsWith('ansible_')));
}

/** Each group's depth below `all` (the longest path), Ansible's first sort key for merging; a loop is said and cut. */
function groupDepths(read: AnsibleRead, unmapped: string[]): Map<string, number> {
  const depth = new Map<string, number>();
  const visit = (name: string, level: number, path: string[]): void => {
    if (path.includes(name)) {
      unmapped.push(`children loop ${[...path.slice(path.indexOf(name)), name].join(' → ')}: the last link is left out`);
      const parent = read.groups.get(path.at(-1) ?? '');
      if (parent) parent.children = parent.children.filter((child) => child !== name);
      return;
    }
    if ((depth.get(name) ?? -1) >= level) return;
    depth.set(name, level);
    for (const child of [...(read.groups.get(name)?.children ?? [])]) visit(child, level + 1, [...path, name]);
  };
  visit('all', 0, []);
  return depth;
}
