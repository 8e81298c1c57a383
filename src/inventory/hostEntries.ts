/**
 * The host entries an edit touches: in one inventory file, each entry of
 * `hosts:` that makes any of the selected names, with the names it makes.
 */
import { isMap, isScalar, type Pair } from 'yaml';
import { MusterError } from '../core/errors.js';
import { expandNodeset } from '../core/nodeset.js';
import { parseYamlSource, positionAt, type YamlSource } from './sourcePosition.js';
import { mapOf, pairOf } from './yamlSplice.js';

/** One host entry: its pair in `hosts:` (and that pair), and the names its pattern makes. */
export interface EditEntry {
  pair: Pair;
  hostsPair: Pair;
  names: string[];
}

/** Parses one file's text for editing; bad YAML (only an edit can make it so) is a `MusterError` naming the file. */
export function parseEditSource(path: string, text: string): YamlSource {
  const source = parseYamlSource(path, text, { uniqueKeys: true, prettyErrors: true });
  const error = source.doc.errors[0];
  if (error) throw new MusterError(`Cannot edit ${path}: ${error.message.split('\n')[0] ?? 'YAML error'}`);
  return source;
}

/** The host entries of one file that hold any of `targets`, in file order. */
export function hostEntries(source: YamlSource, targets: Set<string>): EditEntry[] {
  const root = source.doc.contents;
  if (!isMap(root)) return [];
  const hostsPair = pairOf(root, 'hosts');
  const hosts = mapOf(hostsPair);
  if (!hostsPair || !hosts) return [];
  const entries: EditEntry[] = [];
  for (const pair of hosts.items as Pair[]) {
    if (!isScalar(pair.key)) continue;
    const names = expandNodeset(String(pair.key.value));
    if (names.some((name) => targets.has(name))) entries.push({ pair, hostsPair, names });
  }
  return entries;
}

/** `file:line` of an offset, as edit messages name a place. */
export function lineOf(source: YamlSource, offset: number): string {
  return `${source.path}:${positionAt(source, offset).line}`;
}
