/**
 * Host entries turned into hosts: each pattern expanded (its address pattern in
 * step), its roles and state checked, its vars resolved with the place each
 * value came from, and duplicate names and addresses reported at both places.
 */
import { isMap, isSeq, type Node, type Pair } from 'yaml';
import { UsageError, type Problem, type SourceLocation } from '../core/errors.js';
import { expandNodeset, foldNodeset, isNodesetPattern } from '../core/nodeset.js';
import type { ParsedFile } from './inventoryFile.js';
import { maxInventoryHosts } from './limits.js';
import type { Merged } from './mergeFiles.js';
import { namePattern, type HostEntry } from './schema.js';
import { childPairs, keyPosition, positionAt, section, sectionOf, valuePosition } from './sourcePosition.js';
import { keyText } from './yamlPath.js';
// zod leaves absent optional keys out (never `key: undefined`), so its data is these types as they are.
import type { Host, HostProvisionSpec, ManagedFileSpec, Provenance, VarValue } from './types.js';

/** Where the hosts of one entry come from: the file, the entry's key and its fields. */
interface EntryAt {
  file: ParsedFile;
  pattern: string;
  at: SourceLocation;
  fields: Map<string, Pair>;
}

/**
 * Expands every host entry of `files` in order into hosts. Vars are resolved
 * lowest first: defaults < each role in the order listed < the host's own, each
 * with its provenance. `states` is undefined when the states themselves had
 * problems (host states are then not checked); the first state is the default.
 * Problems are added to `problems`; an entry with a bad pattern makes no host.
 * It consumes the `hosts:` of each file's document: an entry's value node is
 * let go (set to null) once its hosts are made; nothing reads it after this.
 */
export function expandHosts(files: ParsedFile[], merged: Merged, states: string[] | undefined, defaultState: string, problems: Problem[]): Host[] {
  const hosts: Host[] = [];
  const byName = new Map<string, Host>();
  const byAddress = new Map<string, Host>();
  const layers = new Layers(merged);
  const stateProvenance: Provenance = { layer: 'defaults', at: merged.states?.at ?? { file: files[0]?.path ?? '', line: 1, col: 1 } };

  // Names made so far (duplicates too), counted before each pattern is expanded.
  let made = 0;
  for (const file of files) {
    for (const pair of section(file, 'hosts')) {
      const pattern = keyText(pair);
      if (!file.data.hosts || !Object.hasOwn(file.data.hosts, pattern)) continue;
      const spec: HostEntry = file.data.hosts[pattern] ?? {};
      const entry: EntryAt = { file, pattern, at: keyPosition(file, pair), fields: childPairs(pair.value) };
      const names = hostNames(entry, problems);
      if (!names) continue;
      if (overLimit(entry, made + names.length, problems)) return hosts;
      made += names.length;
      const addresses = spec.address === undefined ? undefined : addressesOf(entry, spec.address, names.length, problems);
      checkRolesAndState(entry, spec, merged, states, problems);

      // Resolve once per entry; every host of a pattern shares the result (copied, so hosts stay independent).
      const { vars, provenance } = resolveVars(entry, spec, merged, layers, stateProvenance);
      // A single host owns what was resolved for it; the hosts of a pattern get copies, so they stay independent.
      const single = names.length === 1;
      const user = spec.user ?? merged.user?.value;
      const port = spec.port ?? merged.port?.value;
      const filesPair = entry.fields.get('files');
      const files = spec.files && filesPair ? sectionOf(entry.file, filesPair, spec.files as Record<string, ManagedFileSpec>) : undefined;
      const provisionPair = entry.fields.get('provision');
      const provision = spec.provision && provisionPair ? sectionOf(entry.file, provisionPair, spec.provision as HostProvisionSpec) : undefined;
      const duplicates = new Map<Host, string[]>();
      const sharedAddress = new Map<Host, string[]>();
      names.forEach((name, i) => {
        const host: Host = { name, address: addresses?.[i] ?? name, roles: [...(spec.roles ?? [])], state: spec.state ?? defaultState, vars: single ? vars : { ...vars }, provenance, definedAt: entry.at };
        if (user !== undefined) host.user = user;
        if (port !== undefined) host.port = port;
        if (spec.note !== undefined) host.note = spec.note;
        if (files) host.files = files;
        if (provision) host.provision = provision;
        const first = byName.get(name);
        if (first) {
          duplicates.set(first, [...(duplicates.get(first) ?? []), name]);
          return;
        }
        byName.set(name, host);
        const addressKey = `${host.address}:${host.port ?? 22}`;
        const owner = byAddress.get(addressKey);
        if (owner) sharedAddress.set(owner, [...(sharedAddress.get(owner) ?? []), `${name} (${host.address})`]);
        else byAddress.set(addressKey, host);
        hosts.push(host);
      });
      clashProblems(entry, duplicates, sharedAddress, problems);
      // The entry's nodes are of no more use (every place its hosts need is made): at 96,000 hosts
      // they are most of the heap, and letting them go as we go keeps the peak down.
      pair.value = null;
    }
  }
  return hosts;
}

/**
 * Whether the entry's hosts take the inventory past `maxInventoryHosts` (then
 * with a problem, and no more hosts are made: a few lines of patterns can name
 * more hosts than memory holds; one pattern is bounded by `maxNodesetSize`).
 */
function overLimit(entry: EntryAt, total: number, problems: Problem[]): boolean {
  if (total <= maxInventoryHosts) return false;
  problems.push({ message: `host pattern "${entry.pattern}" takes the inventory to ${total.toLocaleString('en-US')} hosts, past its limit of ${maxInventoryHosts.toLocaleString('en-US')} (see docs/inventory.md, "Limits")`, at: entry.at });
  return true;
}

/** The names an entry's pattern makes, or undefined (with a problem) when it is bad. */
function hostNames(entry: EntryAt, problems: Problem[]): string[] | undefined {
  let names: string[];
  try {
    names = expandNodeset(entry.pattern);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push({ message: `bad host pattern: ${error.message}`, at: entry.at });
    return undefined;
  }
  const badName = names.find((name) => !namePattern.test(name));
  if (badName === undefined) return names;
  problems.push({ message: `host name "${badName}" may use only letters, digits, "_", "." and "-" (and not start with "." or "-")`, at: entry.at });
  return undefined;
}

/** One address per name: an address pattern expanded in step, or a plain address for a single host. */
function addressesOf(entry: EntryAt, address: string, count: number, problems: Problem[]): string[] | undefined {
  const at = (): SourceLocation => valuePosition(entry.file, entry.fields.get('address') as Pair);
  if (!isNodesetPattern(address)) {
    if (count === 1) return [address];
    problems.push({ message: `address "${address}" would be shared by the ${count} hosts of "${entry.pattern}": give an address pattern of the same size (e.g. 192.0.2.[1-${count}])`, at: at() });
    return undefined;
  }
  let addresses: string[];
  try {
    addresses = expandNodeset(address);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push({ message: `bad address pattern: ${error.message}`, at: at() });
    return undefined;
  }
  if (addresses.length === count) return addresses;
  problems.push({ message: `address pattern "${address}" makes ${addresses.length} addresses but host pattern "${entry.pattern}" makes ${count} hosts`, at: at() });
  return undefined;
}

function checkRolesAndState(entry: EntryAt, spec: HostEntry, merged: Merged, states: string[] | undefined, problems: Problem[]): void {
  const rolesNode = entry.fields.get('roles')?.value;
  (spec.roles ?? []).forEach((role, i) => {
    if (!merged.rolesKnown || merged.roles.has(role) || merged.declaredRoles.has(role)) return;
    const item = isSeq(rolesNode) ? (rolesNode.items[i] as Node | undefined) : undefined;
    const list = [...merged.roles.keys()];
    problems.push({ message: `unknown role "${role}" (${list.length > 0 ? `roles: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}` : 'no roles are declared'})`, at: item ? positionAt(entry.file, item.range?.[0] ?? 0) : fieldAt(entry, 'roles') });
  });
  if (spec.state !== undefined && states && !states.includes(spec.state)) {
    problems.push({ message: `unknown state "${spec.state}" (states: ${states.join(', ')})`, at: valuePosition(entry.file, entry.fields.get('state') as Pair) });
  }
}

/** The place of one of the entry's fields; the entry's key when the field is absent. */
function fieldAt(entry: EntryAt, key: string): SourceLocation {
  const field = entry.fields.get(key);
  return field ? keyPosition(entry.file, field) : entry.at;
}

/** The vars of one layer (defaults, or one role) with their provenance, made once and shared by every host naming it. */
type Layer = [key: string, value: VarValue, provenance: Provenance][];

/** The layers of defaults and of every role, each var's provenance one object shared by all hosts (it describes the file). */
class Layers {
  private readonly roles = new Map<string, Layer>();
  readonly defaults: Layer;

  constructor(private readonly merged: Merged) {
    this.defaults = [...merged.defaultVars].map(([key, placed]) => [key, placed.value, { layer: 'defaults', at: placed.at }]);
  }

  role(name: string): Layer {
    let layer = this.roles.get(name);
    if (!layer) {
      layer = [...(this.merged.roles.get(name)?.placed ?? [])].map(([key, placed]) => [key, placed.value, { layer: `role:${name}`, at: placed.at }]);
      this.roles.set(name, layer);
    }
    return layer;
  }
}

/**
 * The entry's resolved vars and the provenance of every value (vars, user,
 * port, state, note, address), frozen: it describes the file, not one host,
 * and is shared by every host of the entry. Built straight into the two
 * objects, lowest layer first (a key keeps the place it was first set, as in
 * a Map): at 96,000 hosts every object made per host counts.
 */
function resolveVars(entry: EntryAt, spec: HostEntry, merged: Merged, layers: Layers, stateProvenance: Provenance): { vars: Record<string, VarValue>; provenance: Record<string, Provenance> } {
  const vars: Record<string, VarValue> = {};
  const provenance: Record<string, Provenance> = {};
  // Plain loops, no tuple destructuring: this runs once per host entry, for every var.
  const put = (layer: Layer): void => {
    for (let i = 0; i < layer.length; i++) {
      const item = layer[i] as Layer[number];
      setOwn(vars, item[0], item[1]);
      setOwn(provenance, item[0], item[2]);
    }
  };
  put(layers.defaults);
  for (const role of spec.roles ?? []) put(layers.role(role));
  const own = spec.vars;
  const node = entry.fields.get('vars')?.value;
  if (own && isMap(node)) {
    const pairs = node.items as Pair[];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i] as Pair;
      const key = keyText(pair);
      if (!Object.hasOwn(own, key)) continue;
      setOwn(vars, key, own[key] as VarValue);
      setOwn(provenance, key, { layer: 'host', at: keyPosition(entry.file, pair) });
    }
  }
  const hostLayer = (key: string): Provenance => ({ layer: 'host', at: fieldAt(entry, key) });
  if (spec.user !== undefined) setOwn(provenance, 'user', hostLayer('user'));
  else if (merged.user) setOwn(provenance, 'user', { layer: 'defaults', at: merged.user.at });
  if (spec.port !== undefined) setOwn(provenance, 'port', hostLayer('port'));
  else if (merged.port) setOwn(provenance, 'port', { layer: 'defaults', at: merged.port.at });
  setOwn(provenance, 'state', spec.state !== undefined ? hostLayer('state') : stateProvenance);
  if (spec.note !== undefined) setOwn(provenance, 'note', hostLayer('note'));
  setOwn(provenance, 'address', spec.address !== undefined ? hostLayer('address') : { layer: 'host', at: entry.at });
  return { vars, provenance: Object.freeze(provenance) };
}

/** One problem per earlier entry clashed with, not one per host: a pattern defined twice is one mistake. */
function clashProblems(entry: EntryAt, duplicates: Map<Host, string[]>, sharedAddress: Map<Host, string[]>, problems: Problem[]): void {
  for (const [first, clash] of groupByEntry(duplicates)) {
    problems.push({ message: `host ${clash.length === 1 ? `"${clash[0]}" is` : `${foldNodeset(clash)} (${clash.length} hosts) are`} defined twice`, at: entry.at, also: first.definedAt });
  }
  const address = entry.fields.get('address');
  for (const [first, clash] of groupByEntry(sharedAddress)) {
    problems.push({ message: `address of ${clash.length === 1 ? `host ${clash[0]}` : `${clash.length} hosts (${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ', …' : ''})`} is already used by host "${first.name}"`, at: address ? valuePosition(entry.file, address) : entry.at, also: first.provenance['address']?.at ?? first.definedAt });
  }
}

/** Sets an own property, even one named `__proto__` (which plain assignment would turn into a prototype change). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Groups clashes by the entry (definedAt) of the host clashed with. */
function groupByEntry(clashes: Map<Host, string[]>): [Host, string[]][] {
  const byEntry = new Map<SourceLocation, [Host, string[]]>();
  for (const [host, names] of clashes) {
    const found = byEntry.get(host.definedAt);
    if (found) found[1].push(...names);
    else byEntry.set(host.definedAt, [host, [...names]]);
  }
  return [...byEntry.values()];
}
