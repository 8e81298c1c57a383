/**
 * Adding `files:` entries to a role or a host entry (what `muster adopt`
 * writes), by splicing the text as `muster set` does: every byte the edit does
 * not mean to change stays, comments included. A host of a pattern entry is
 * split out of it first (splitPatterns.ts), since a pattern's hosts share one
 * `files:` and a host override must be that host's alone. Pure: texts in,
 * texts out; the caller re-parses, checks and writes.
 */
import { isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import { MusterError } from '../core/errors.js';
import { hostEntries, lineOf, parseEditSource } from './hostEntries.js';
import type { InventorySource } from './inventoryFile.js';
import type { YamlSource } from './sourcePosition.js';
import { splitPatterns, type EditSplit } from './splitPatterns.js';
import type { ManagedFileSpec } from './types.js';
import { applySplices, columnOf, fillNull, isNullNode, lineEndAfter, mapOf, pairOf, rangeOf, removeFromMap, setInMap, yamlKey, yamlValue, type Splice } from './yamlSplice.js';

/** One managed file to declare: under role `role`'s `files:`, or under host `host`'s own entry. */
export interface FileEntryEdit {
  owner: { role: string } | { host: string };
  /** The absolute path on the hosts (the key under `files:`). */
  path: string;
  /** The entry to write; undefined removes the path's entry (a host override no longer wanted). */
  spec: ManagedFileSpec | undefined;
}

/** What `addFileEntries` made: the new text of every file it changed, and the patterns it split. */
export interface FileEntriesResult {
  texts: Map<string, string>;
  splits: EditSplit[];
}

/**
 * Declares every edit's file in the texts of `sources` (an entry already there
 * for the path is replaced, so doing the same edits twice changes nothing the
 * second time). Throws a `MusterError` naming file:line for a role that is
 * not under `roles:`, a host in no entry, or a map that is anchored or not a mapping.
 */
export function addFileEntries(sources: readonly InventorySource[], edits: readonly FileEntryEdit[]): FileEntriesResult {
  let texts = new Map(sources.map((source) => [source.path, source.text]));
  const splits: EditSplit[] = [];
  // Each host of an override alone in its entry, split last host first: each new entry goes
  // right after the one it came from, so the hosts keep their order in the file.
  const overridden = [...new Set(edits.flatMap((edit) => ('host' in edit.owner ? [edit.owner.host] : [])))];
  for (const host of overridden.reverse()) texts = splitPatterns(texts, new Set([host]), splits);
  for (const edit of edits) {
    const found = findOwner(texts, edit.owner);
    const splice = edit.spec === undefined
      ? removeFileEntry(found.source, found.pair, edit.path)
      : plainKey(setFileEntry(found.source, found.pair, found.parentColumn, edit.path, specText(edit.spec)), edit.path);
    texts.set(found.source.path, applySplices(found.source.text, splice));
  }
  const changed = new Map<string, string>();
  for (const source of sources) {
    const text = texts.get(source.path);
    if (text !== undefined && text !== source.text) changed.set(source.path, text);
  }
  return { texts: changed, splits };
}

/** A spec as one line of flow YAML, its keys in the order people write them. */
export function specText(spec: ManagedFileSpec): string {
  const order: (keyof ManagedFileSpec)[] = ['src', 'mode', 'owner', 'template', 'test', 'then', 'absent'];
  const parts = order.filter((key) => spec[key] !== undefined).map((key) => `${key}: ${yamlValue(spec[key] as string | boolean)}`);
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

/**
 * The splice with the path's key written plain, as people write paths, when it
 * has only the characters paths usually have (YAML reads `/etc/x` as that
 * text); `yamlKey`, made for var names, quotes anything starting with `/`. The
 * key comes before the value in the splice, so its first quoted form is the key.
 */
function plainKey(splices: Splice | Splice[], path: string): Splice[] {
  const list = Array.isArray(splices) ? splices : [splices];
  if (!/^\/[A-Za-z0-9_./@+-]*$/.test(path)) return list;
  return list.map((splice) => ({ ...splice, text: splice.text.replace(`${JSON.stringify(path)}:`, `${path}:`) }));
}

interface Found {
  source: YamlSource;
  /** The role's pair under `roles:`, or the host entry's pair under `hosts:`. */
  pair: Pair;
  /** The column of the key holding that pair (`roles:` or `hosts:`), for the indent step. */
  parentColumn: number;
}

function findOwner(texts: Map<string, string>, owner: FileEntryEdit['owner']): Found {
  for (const [path, text] of texts) {
    const source = parseEditSource(path, text);
    if ('host' in owner) {
      const entries = hostEntries(source, new Set([owner.host]));
      const entry = entries[0];
      if (!entry) continue;
      if (entry.names.length !== 1) throw new Error(`host ${owner.host} is still in a pattern after splitting`);
      return { source, pair: entry.pair, parentColumn: columnOf(text, rangeOf(entry.hostsPair.key)[0]) };
    }
    const root = source.doc.contents;
    const rolesPair = isMap(root) ? pairOf(root, 'roles') : undefined;
    const roles = mapOf(rolesPair);
    const pair = roles ? pairOf(roles, owner.role) : undefined;
    if (rolesPair && pair) return { source, pair, parentColumn: columnOf(text, rangeOf(rolesPair.key)[0]) };
  }
  throw new MusterError('host' in owner ? `No host entry holds "${owner.host}"` : `No role "${owner.role}" under roles: in the inventory`);
}

/** The splice that sets `files: { PATH: VALUE }` in the body of `pair` (the same text again when it already says that). */
function setFileEntry(source: YamlSource, pair: Pair, parentColumn: number, path: string, value: string): Splice | Splice[] {
  const { text } = source;
  const keyColumn = columnOf(text, rangeOf(pair.key)[0]);
  const step = keyColumn > parentColumn ? keyColumn - parentColumn : 2;
  const body = pair.value;
  // `web:`, `web: ~` and `web: {}` become a block map: a one-line flow map would grow unreadable.
  if (isNullNode(body) || (isMap(body) && body.items.length === 0)) {
    unshared(source, body, pair);
    return emptyToBlock(text, pair, [`files:`, `${' '.repeat(step)}${yamlKey(path)}: ${value}`], keyColumn + step);
  }
  if (!isMap(body)) throw new MusterError(`Cannot add files to the entry at ${lineOf(source, rangeOf(pair.key)[0])}: it is not a mapping`);
  unshared(source, body, pair);
  const indent = columnOf(text, rangeOf((body.items[0] as Pair).key)[0]);
  const layout = { indent, step: body.flow ? step : Math.max(1, indent - keyColumn) };
  const filesPair = pairOf(body, 'files');
  if (!filesPair) return setInMap(text, body, 'files', { nested: [path, value] }, layout);
  if (isNullNode(filesPair.value)) return fillNull(text, filesPair, [`${yamlKey(path)}: ${value}`], layout.indent + layout.step);
  const files = mapOf(filesPair);
  if (!files) throw new MusterError(`Cannot add to "files" at ${lineOf(source, rangeOf(filesPair.key)[0])}: it is not a mapping`);
  unshared(source, files, filesPair);
  if (files.items.length === 0) {
    const [start, end] = rangeOf(files);
    return { start, end, text: `{ ${yamlKey(path)}: ${value} }` };
  }
  const filesIndent = columnOf(text, rangeOf((files.items[0] as Pair).key)[0]);
  return setInMap(text, files, path, { inline: value }, { indent: filesIndent, step: layout.step });
}

/** The splices that remove PATH from the entry's `files:` (none when it has no such entry). */
function removeFileEntry(source: YamlSource, pair: Pair, path: string): Splice[] {
  const body = mapOf(pair);
  const filesPair = body ? pairOf(body, 'files') : undefined;
  const files = mapOf(filesPair);
  if (!files || !filesPair) return [];
  unshared(source, files, filesPair);
  const splice = removeFromMap(source.text, files, path, filesPair);
  return splice ? [splice] : [];
}

/**
 * `web: {}   # comment` (or `web:`, `web: ~`) given a block body: the empty
 * value goes, the comment stays on the key's line, the lines go below it.
 */
function emptyToBlock(text: string, pair: Pair, lines: string[], indent: number): Splice[] {
  const body = pair.value as { range?: [number, number, number] } | null;
  const keyEnd = rangeOf(pair.key)[1];
  const [start, end] = body?.range && body.range[1] > body.range[0] ? body.range : [keyEnd, keyEnd];
  const colon = text.indexOf(':', keyEnd);
  const at = lineEndAfter(text, Math.max(end, colon + 1));
  const newline = at > 0 && text[at - 1] !== '\n' ? '\n' : '';
  const block = lines.map((line) => `${' '.repeat(indent)}${line}\n`).join('');
  // From just past the colon, so `web: {}   # c` keeps the comment as written: `web:   # c`.
  return [...(end > start ? [{ start: colon + 1, end, text: '' }] : []), { start: at, end: at, text: `${newline}${block}` }];
}

/** Refuses to edit a map that carries a YAML anchor: its aliases elsewhere would change with it. */
function unshared(source: YamlSource, map: unknown, pair: Pair): void {
  const anchor = isMap(map) || isScalar(map) ? (map as YAMLMap).anchor : undefined;
  if (anchor) throw new MusterError(`Cannot edit the map at ${lineOf(source, rangeOf(pair.key)[0])}: it is anchored (&${anchor}), so every alias of it would change too; edit it by hand`);
}
