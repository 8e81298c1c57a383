/**
 * `muster provision enable|disable HOST` and the installer's callback: the
 * host entry's `provision: netboot:` set in the YAML, every other byte kept,
 * under the lock `muster set` takes, with the same checks before writing (the
 * edited text re-parsed, the host's netboot now what was asked and nothing
 * else changed). A host of a pattern entry is split out of it first.
 */
import { isMap, type Pair } from 'yaml';
import { MusterError, UsageError } from '../core/errors.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { withInventoryLocked } from './edit.js';
import { hostEntries, lineOf, parseEditSource } from './hostEntries.js';
import { cacheParsed, parseSources, type LoadOptions } from './load.js';
import { parseInventory } from './parse.js';
import { readInventorySources } from './read.js';
import { splitPatterns, type EditSplit } from './splitPatterns.js';
import type { Inventory } from './types.js';
import { applySplices, columnOf, fillNull, isNullNode, mapOf, pairOf, rangeOf, setInMap, type Splice } from './yamlSplice.js';

/** What `setNetboot` did. */
export interface NetbootEdit {
  host: string;
  /** The host entry's own netboot before (undefined when it had none). */
  old: boolean | undefined;
  netboot: boolean;
  /** Absolute paths of the files written (none when the entry already said so). */
  written: string[];
  splits: EditSplit[];
}

/** Options of `setNetboot` (`cache`: read the inventory from the parse cache and leave the edited one in it, as `muster set` does). */
export interface NetbootOptions extends LoadOptions {
  host: string;
  netboot: boolean;
  /** Checks the edited inventory before anything is written (the provisioning layer's own checks); throws to refuse. */
  verify?: (after: Inventory, host: string) => void;
}

/** Sets `provision: netboot: VALUE` on the entry of `host` (see the file comment). */
export async function setNetboot(options: NetbootOptions): Promise<NetbootEdit> {
  return withInventoryLocked(options, () => planAndWrite(options));
}

async function planAndWrite(options: NetbootOptions): Promise<NetbootEdit> {
  const { files, sources } = await readInventorySources(options);
  const before = await parseSources(files, sources, options);
  const host = before.hostsByName.get(options.host);
  if (!host) throw new UsageError(`No host named "${options.host}" in the inventory`);
  const old = host.provision?.value.netboot;
  if (old === options.netboot) return { host: host.name, old, netboot: options.netboot, written: [], splits: [] };
  const targets = new Set([host.name]);
  const splits: EditSplit[] = [];
  let texts = splitPatterns(new Map(sources.map((s) => [s.path, s.text])), targets, splits);
  texts = new Map([...texts].map(([path, text]) => [path, editText(path, text, targets, options.netboot)]));
  const edited = sources.map((source) => ({ ...source, text: texts.get(source.path) ?? source.text }));
  let after: Inventory;
  try {
    after = parseInventory(edited);
  } catch (error) {
    throw new MusterError(`Refusing the edit: it would make the inventory invalid (nothing was written): ${(error as Error).message}`, { cause: error });
  }
  const now = after.hostsByName.get(host.name)?.provision?.value.netboot;
  if (now !== options.netboot || after.hosts.length !== before.hosts.length) {
    throw new MusterError(`Refusing the edit: the edited inventory does not say netboot: ${options.netboot} for ${host.name} (nothing was written)`);
  }
  options.verify?.(after, host.name);
  const written: string[] = [];
  for (const source of sources) {
    const text = texts.get(source.path);
    if (text === undefined || text === source.text) continue;
    await writeFileAtomic(source.file, text, { expected: source.text });
    written.push(source.file);
  }
  // Parsed to be checked: the sync that usually follows reads it from the cache.
  cacheParsed(files, edited, after, options);
  return { host: host.name, old, netboot: options.netboot, written, splits };
}

/** The text with `provision: netboot:` set in the entry that holds only `targets` (after the split). */
function editText(path: string, text: string, targets: Set<string>, netboot: boolean): string {
  const source = parseEditSource(path, text);
  const splices: Splice[] = [];
  for (const entry of hostEntries(source, targets)) {
    const keyColumn = columnOf(text, rangeOf(entry.pair.key)[0]);
    const hostsColumn = columnOf(text, rangeOf(entry.hostsPair.key)[0]);
    const step = keyColumn > hostsColumn ? keyColumn - hostsColumn : 2;
    const body = entry.pair.value;
    const value = String(netboot);
    if (isNullNode(body)) {
      splices.push(fillNull(text, entry.pair, ['provision:', `${' '.repeat(step)}netboot: ${value}`], keyColumn + step));
      continue;
    }
    if (!isMap(body)) throw new MusterError(`Cannot edit the host entry at ${lineOf(source, rangeOf(entry.pair.key)[0])}: it is not a mapping`);
    const first = body.items[0] as Pair | undefined;
    const indent = first ? columnOf(text, rangeOf(first.key)[0]) : keyColumn + step;
    const layout = { indent, step: body.flow ? step : Math.max(1, indent - keyColumn) };
    const provisionPair = pairOf(body, 'provision');
    if (!provisionPair) {
      splices.push(setInMap(text, body, 'provision', { nested: ['netboot', value] }, layout));
      continue;
    }
    if (isNullNode(provisionPair.value)) {
      splices.push(fillNull(text, provisionPair, [`netboot: ${value}`], indent + layout.step));
      continue;
    }
    const provision = mapOf(provisionPair);
    if (!provision) throw new MusterError(`Cannot edit "provision" at ${lineOf(source, rangeOf(provisionPair.key)[0])}: it is not a mapping`);
    if (provision.anchor || body.anchor) throw new MusterError(`Cannot edit the map at ${lineOf(source, rangeOf(provisionPair.key)[0])}: it is anchored, so every alias of it would change too; edit it by hand`);
    const inner = provision.items[0] as Pair | undefined;
    const innerIndent = inner ? columnOf(text, rangeOf(inner.key)[0]) : indent + layout.step;
    splices.push(setInMap(text, provision, 'netboot', { inline: value }, { indent: innerIndent, step: layout.step }));
  }
  return splices.length > 0 ? applySplices(text, splices) : text;
}
