/**
 * What each route of the metadata server answers, as data: a JSON value and
 * the sh text for the same thing. Pure functions of the inventory, so a
 * response can be computed once per reload and served many times.
 *
 * Skip-states: role, group, select and Prometheus lists follow the selection
 * rules (hosts in `skip_states` are left out and listed under `skipped`,
 * unless `all_states`); `/v1/hosts` is the catalog and lists every host, and a
 * host asked for by name is always answered.
 */
import { NotFoundError } from '../core/errors.js';
import { foldNodeset } from '../core/nodeset.js';
import { shellName } from '../core/shell.js';
import { exportSh, shAssignments } from '../bindings/index.js';
import { select } from '../inventory/index.js';
import type { Host, Inventory, VarValue } from '../inventory/index.js';
import type { Json } from './format.js';
import { RequestError } from './requestError.js';

/** A route's answer before encoding: the JSON/YAML value, and how to say it in sh. */
export interface Resource {
  value: Json;
  sh: () => string;
}

/** Query parameters the routes read. */
export interface RouteQuery {
  /** `/v1/select?q=` (several are a union). */
  q: string[];
  /** `/v1/sd/prometheus?sel=` (several are a union; none means all). */
  sel: string[];
  /** `/v1/sd/prometheus?port=`. */
  port?: string;
  /** `?all_states=1`: keep hosts in `skip_states`. */
  allStates: boolean;
}

/** The fixed fields of a host, in the order shown; vars follow. */
const hostFieldNames = ['name', 'address', 'user', 'port', 'state', 'note', 'roles'] as const;

/** A host as the server shows it: the fields that are set, then its resolved vars. */
export function hostObject(host: Host): { [key: string]: Json } {
  const out: { [key: string]: Json } = { name: host.name, address: host.address };
  if (host.user !== undefined) out['user'] = host.user;
  if (host.port !== undefined) out['port'] = host.port;
  out['state'] = host.state;
  if (host.note !== undefined) out['note'] = host.note;
  out['roles'] = [...host.roles];
  out['vars'] = host.vars;
  return out;
}

/** A host's sh form: its fields by name, and each var as `var_<key>`. */
function hostSh(host: Host): string {
  const entries: Record<string, VarValue> = {};
  const object = hostObject(host);
  for (const field of hostFieldNames) if (object[field] !== undefined) entries[field] = object[field] as VarValue;
  for (const [key, value] of Object.entries(host.vars)) entries[`var_${key}`] = value;
  return shAssignments(entries);
}

function hostProperty(host: Host, property: string): VarValue | undefined {
  const object = hostObject(host);
  if ((hostFieldNames as readonly string[]).includes(property)) {
    return object[property] as VarValue | undefined;
  }
  return Object.hasOwn(host.vars, property) ? host.vars[property] : undefined;
}

/** One value in sh: `property=value`. */
function single(property: string, value: Json): Resource {
  return { value, sh: () => shAssignments({ [property]: value as VarValue }) };
}

function getHost(inventory: Inventory, name: string): Host {
  const host = inventory.hostsByName.get(name);
  if (!host) throw new NotFoundError('host', name);
  return host;
}

/** `/v1/hosts`: the catalog, every host whatever its state. */
export function hostsResource(inventory: Inventory): Resource {
  return { value: inventory.hosts.map(hostObject), sh: () => exportSh(inventory, inventory.hosts) };
}

/** `/v1/hosts/{host}` and `/v1/hosts/{host}/{property}`. */
export function hostResource(inventory: Inventory, name: string, property?: string): Resource {
  const host = getHost(inventory, name);
  if (property === undefined) return { value: hostObject(host), sh: () => hostSh(host) };
  const value = hostProperty(host, property);
  if (value === undefined) throw new NotFoundError('property', property, `host ${name} has no such field or var`);
  return single(property, value);
}

/** The members of a role, group or selection, as the set routes show them. */
interface Members {
  hosts: Host[];
  skipped: Host[];
}

function setFields(members: Members): { [key: string]: Json } {
  return {
    hosts: members.hosts.map((host) => host.name),
    addresses: members.hosts.map((host) => host.address),
    count: members.hosts.length,
    nodeset: foldNodeset(members.hosts.map((host) => host.name)),
    skipped: members.skipped.map((host) => host.name),
  };
}

const setProperties = ['hosts', 'addresses', 'count', 'nodeset', 'skipped'];

/**
 * A variable across a set of hosts: `same` when every host has the same value,
 * else `each` host's value (null for a host without it). `fallback` is the
 * role's own value, used when the role has no hosts. Undefined when nobody has it.
 */
type Across = { kind: 'same'; value: VarValue } | { kind: 'each'; values: Record<string, VarValue> };

function varAcross(hosts: Host[], key: string, fallback: VarValue | undefined): Across | undefined {
  if (hosts.length === 0) return fallback === undefined ? undefined : { kind: 'same', value: fallback };
  const values = hosts.map((host) => (Object.hasOwn(host.vars, key) ? host.vars[key] : undefined));
  if (values.every((value) => value === undefined)) return undefined;
  const first = values[0];
  const text = JSON.stringify(first);
  if (first !== undefined && values.every((value) => value !== undefined && JSON.stringify(value) === text)) return { kind: 'same', value: first };
  return { kind: 'each', values: Object.fromEntries(hosts.map((host, i) => [host.name, values[i] ?? null])) };
}

function setProperty(kind: string, name: string, members: Members, property: string, own: Record<string, VarValue>, extra: { [key: string]: Json }): Resource {
  const fields: { [key: string]: Json } = { name, ...extra, ...setFields(members) };
  if (setProperties.includes(property) || Object.hasOwn(extra, property)) {
    return single(property, fields[property] ?? null);
  }
  const across = varAcross(members.hosts, property, Object.hasOwn(own, property) ? own[property] : undefined);
  if (across === undefined) throw new NotFoundError('property', property, `${kind} ${name} has no such field, and none of its hosts has such a var`);
  if (across.kind === 'same') return single(property, across.value);
  const values = across.values;
  return {
    value: values,
    // One variable per host: `<property>_<host>`, names through shellName.
    sh: () => shAssignments(Object.fromEntries(Object.entries(values).map(([host, v]) => [`${property}_${host}`, v]))),
  };
}

function setObject(name: string, members: Members, extra: { [key: string]: Json }, vars?: Record<string, VarValue>): Resource {
  const value: { [key: string]: Json } = { name, ...extra, ...(vars ? { vars } : {}), ...setFields(members) };
  return {
    value,
    sh: () => {
      const entries: Record<string, VarValue> = { name, ...(extra as Record<string, VarValue>), ...(setFields(members) as Record<string, VarValue>) };
      for (const [key, v] of Object.entries(vars ?? {})) entries[`var_${key}`] = v;
      return shAssignments(entries);
    },
  };
}

/** `/v1/roles`: every declared role with its host count and nodeset. */
export function rolesResource(inventory: Inventory, query: RouteQuery): Resource {
  const value = [...inventory.roles.values()].map((role) => {
    const members = select(inventory, [`role:${role.name}`], { allStates: query.allStates });
    return { name: role.name, ...(role.description !== undefined ? { description: role.description } : {}), count: members.hosts.length, nodeset: foldNodeset(members.hosts.map((h) => h.name)) };
  });
  return { value, sh: () => shAssignments({ roles: [...inventory.roles.keys()] }) };
}

/** `/v1/roles/{role}` and `/v1/roles/{role}/{property}`. */
export function roleResource(inventory: Inventory, name: string, property: string | undefined, query: RouteQuery): Resource {
  const role = inventory.roles.get(name);
  if (!role) throw new NotFoundError('role', name);
  const members = select(inventory, [`role:${name}`], { allStates: query.allStates });
  const extra: { [key: string]: Json } = role.description !== undefined ? { description: role.description } : {};
  if (property === undefined) return setObject(name, members, extra, role.vars);
  return setProperty('role', name, members, property, role.vars, extra);
}

/** `/v1/groups`: every declared group with its selector, host count and nodeset. */
export function groupsResource(inventory: Inventory, query: RouteQuery): Resource {
  const value = [...inventory.groups.values()].map((group) => {
    const members = select(inventory, [`group:${group.name}`], { allStates: query.allStates });
    return { name: group.name, selector: group.selector, count: members.hosts.length, nodeset: foldNodeset(members.hosts.map((h) => h.name)) };
  });
  return { value, sh: () => shAssignments({ groups: [...inventory.groups.keys()] }) };
}

/** `/v1/groups/{group}` and `/v1/groups/{group}/{property}`. */
export function groupResource(inventory: Inventory, name: string, property: string | undefined, query: RouteQuery): Resource {
  const group = inventory.groups.get(name);
  if (!group) throw new NotFoundError('group', name);
  const members = select(inventory, [`group:${name}`], { allStates: query.allStates });
  const extra = { selector: group.selector };
  if (property === undefined) return setObject(name, members, extra);
  return setProperty('group', name, members, property, {}, extra);
}

/** `/v1/select?q=SELECTOR`: the hosts a selector picks (several `q` are a union). */
export function selectResource(inventory: Inventory, query: RouteQuery): Resource {
  if (query.q.length === 0) throw new RequestError(400, 'Missing ?q=SELECTOR (e.g. /v1/select?q=web%26dc=tk1)');
  const members = select(inventory, query.q, { allStates: query.allStates });
  const selector = query.q.join(' ');
  const value: { [key: string]: Json } = { selector, ...setFields(members) };
  return { value, sh: () => shAssignments({ selector, ...(setFields(members) as Record<string, VarValue>) }) };
}

/**
 * `/v1/sd/prometheus?sel=SEL&port=N`: Prometheus HTTP service discovery. One
 * target group per host: target `address:port`, labels `role` (the host's
 * roles joined by `,`), `state`, `__meta_muster_host`, `__meta_muster_roles`
 * (`,web,db,` so a relabel regex can match one role) and
 * `__meta_muster_var_<key>` for each var (non-scalars as JSON). `__meta_`
 * labels are dropped by Prometheus after relabeling unless you keep them.
 */
export function prometheusResource(inventory: Inventory, query: RouteQuery): Resource {
  let port: string | undefined;
  if (query.port !== undefined) {
    if (!/^\d{1,5}$/.test(query.port) || Number(query.port) < 1 || Number(query.port) > 65535) {
      throw new RequestError(400, `Invalid port "${query.port}": use a number from 1 to 65535`);
    }
    port = String(Number(query.port));
  }
  const hosts = select(inventory, query.sel.length > 0 ? query.sel : ['all'], { allStates: query.allStates }).hosts;
  const value = hosts.map((host) => {
    const address = host.address.includes(':') ? `[${host.address}]` : host.address;
    const labels: { [key: string]: string } = {
      role: host.roles.join(','),
      state: host.state,
      __meta_muster_host: host.name,
      __meta_muster_roles: `,${host.roles.join(',')},`,
    };
    for (const [key, v] of Object.entries(host.vars)) {
      labels[`__meta_muster_var_${shellName(key)}`] = v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return { targets: [port === undefined ? address : `${address}:${port}`], labels };
  });
  return {
    value,
    sh: () => shAssignments({ targets: value.map((group) => group.targets[0] ?? '') }),
  };
}
