/**
 * The host entries an edit touches: in one inventory file, each entry of
 * `hosts:` that makes any of the selected names, with the names it makes.
 */
import { isMap, isScalar, visit, type Document, type Pair } from 'yaml';
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

/**
 * The last text parsed for editing. An edit reads one text twice (patterns split out, then the
 * edit itself) and a 5,000-host file takes ~0.4 s to parse, so the second read takes the first's
 * document (edits splice the text, never the document). Weak: it outlives the edit that made it
 * only until the next collection (a long-running serve keeps no inventory's document).
 */
let lastParsed: WeakRef<{ path: string; text: string; source: YamlSource }> | undefined;

/**
 * Parses one file's text for editing; bad YAML (only an edit can make it so),
 * a key repeated in one mapping included, is a `MusterError` naming the file,
 * worded as yaml words it.
 */
export function parseEditSource(path: string, text: string): YamlSource {
  const last = lastParsed?.deref();
  if (last?.path === path && last.text === text) return last.source;
  // yaml's own unique-key check is quadratic in the size of a map (~0.7 s for a 10,000-host
  // `hosts:`): it is off, and firstRepeatedKey() does the same check in one pass.
  const source = parseYamlSource(path, text, { uniqueKeys: false, prettyErrors: true });
  const error = source.doc.errors[0];
  if (error) throw new MusterError(`Cannot edit ${path}: ${error.message.split('\n')[0] ?? 'YAML error'}`);
  const repeated = firstRepeatedKey(source.doc);
  if (repeated !== undefined) {
    const { line, col } = source.lines.linePos(repeated);
    throw new MusterError(`Cannot edit ${path}: Map keys must be unique at line ${line}, column ${col}:`);
  }
  lastParsed = new WeakRef({ path, text, source });
  return source;
}

/**
 * The offset of the first key (in the text) that repeats an earlier key of its
 * mapping, as yaml's `uniqueKeys` finds them: scalars equal in type and value
 * (`1` and `"1"` differ; `a` and `"a"` do not). Undefined when there is none.
 */
export function firstRepeatedKey(doc: Document): number | undefined {
  let first: number | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items as Pair[]) {
        if (!isScalar(pair.key)) continue;
        const { value } = pair.key;
        const id = `${typeof value}:${String(value)}`;
        const offset = pair.key.range?.[0] ?? 0;
        if (seen.has(id)) {
          if (first === undefined || offset < first) first = offset;
          break;
        }
        seen.add(id);
      }
    },
  });
  return first;
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
