/**
 * `muster admit`: a new host written into the inventory YAML as one line at the end of the
 * last `hosts:` section (`web05: { roles: [web], address: 10.0.0.5, state: warn }`), every other
 * byte kept, under the same locks as `muster set`. The edited inventory is parsed again and
 * must hold every old host unchanged and the new one as asked before anything is written.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap } from 'yaml';
import { MusterError, UsageError } from '../core/errors.js';
import { withFileLock } from '../core/fileLock.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { findInventorySources, type FindOptions } from './find.js';
import { parseEditSource } from './hostEntries.js';
import { parseInventory } from './parse.js';
import { readInventorySources, type ReadSource } from './read.js';
import { applySplices, columnOf, pairOf, rangeOf, setInMap, yamlKey, yamlValue } from './yamlSplice.js';
import type { Host, Inventory } from './types.js';

/** The host to add. */
export interface NewHost {
  name: string;
  address: string;
  roles: string[];
  /** Absent: the inventory's default state. */
  state?: string;
}

/** What `addHost` did: the file written and the host as the edited inventory resolves it. */
export interface AddedHost {
  file: string;
  host: Host;
  inventory: Inventory;
}

/**
 * Adds `host` to the inventory `options` names. Refuses (UsageError) a name already there, an
 * undeclared role or state; a file whose text changed since it was read is left alone.
 */
export async function addHost(options: FindOptions, host: NewHost): Promise<AddedHost> {
  const files = [...new Set(findInventorySources(options).files)].sort();
  const lockFrom = (i: number): Promise<AddedHost> => {
    const file = files[i];
    return file === undefined ? planAndWrite(options, host) : withFileLock(file, () => lockFrom(i + 1));
  };
  return lockFrom(0);
}

async function planAndWrite(options: FindOptions, wanted: NewHost): Promise<AddedHost> {
  const { sources } = await readInventorySources(options);
  const before = parseInventory(sources);
  if (before.hostsByName.has(wanted.name)) throw new UsageError(`${wanted.name} is in the inventory already`);
  for (const role of wanted.roles) {
    if (!before.roles.has(role)) throw new UsageError(`No role ${JSON.stringify(role)} in the inventory (roles: ${[...before.roles.keys()].join(', ') || 'none'})`);
  }
  if (wanted.state !== undefined && !before.states.includes(wanted.state)) throw new UsageError(`No state ${JSON.stringify(wanted.state)} in the inventory (states: ${before.states.join(', ')})`);
  const target = [...sources].reverse().find((source) => hostsMapOf(source) !== undefined);
  if (!target) throw new MusterError(`Cannot add ${wanted.name}: no file of the inventory has a hosts: mapping to add it to`);
  const text = withHost(target, wanted);
  const after = parseInventory(sources.map((source) => (source === target ? { ...source, text } : source)));
  const added = after.hostsByName.get(wanted.name);
  const same = before.hosts.every((old) => isDeepStrictEqual(view(old), view(after.hostsByName.get(old.name))));
  const expected = { address: wanted.address, roles: wanted.roles, state: wanted.state ?? before.states[0] };
  if (!added || !same || !isDeepStrictEqual({ address: added.address, roles: added.roles, state: added.state }, expected)) {
    throw new MusterError(`Cannot add ${wanted.name} to ${target.path}: the edited inventory would not hold it as asked (a pattern or a default there changes it); add it by hand`);
  }
  await writeFileAtomic(target.file, text, { expected: target.text });
  return { file: target.path, host: added, inventory: after };
}

/** The `hosts:` block or flow mapping of a file, if it has one. */
function hostsMapOf(source: ReadSource): ReturnType<typeof pairOf> | undefined {
  const root = parseEditSource(source.path, source.text).doc.contents;
  if (!isMap(root)) return undefined;
  const pair = pairOf(root, 'hosts');
  return pair && isMap(pair.value) && pair.value.items.length > 0 ? pair : undefined;
}

/** The file's text with `name: { roles: […], address: …, state: … }` as the last entry of its hosts. */
function withHost(source: ReadSource, host: NewHost): string {
  const parsed = parseEditSource(source.path, source.text);
  const pair = pairOf(parsed.doc.contents as Parameters<typeof pairOf>[0], 'hosts');
  const hosts = pair?.value;
  if (!isMap(hosts)) throw new MusterError(`Cannot add ${host.name}: ${source.path} has no hosts: mapping`);
  const first = hosts.items[0];
  const indent = first ? columnOf(source.text, rangeOf(first.key)[0]) : 2;
  const fields = [`roles: [${host.roles.map(yamlKey).join(', ')}]`, `address: ${yamlValue(host.address)}`, ...(host.state !== undefined ? [`state: ${yamlValue(host.state)}`] : [])];
  return applySplices(source.text, [setInMap(source.text, hosts, host.name, { inline: `{ ${fields.join(', ')} }` }, { indent, step: 2 })]);
}

/** What must not change for an existing host. */
function view(host: Host | undefined): unknown {
  if (!host) return undefined;
  return { address: host.address, user: host.user, port: host.port, roles: host.roles, state: host.state, note: host.note, vars: host.vars };
}
