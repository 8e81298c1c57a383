/**
 * Where things are in a YAML source, as file:line:col: an offset, a validator's
 * path (at its key or its value), a pair's key or value. Shared by the inventory
 * parser, `muster set` and task files, so every message names places the same way.
 */
import { LineCounter, isMap, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { Problem, SourceLocation } from '../core/errors.js';
import type { Section } from './types.js';
import { findPair, keyText, yamlOffset } from './yamlPath.js';

/** A YAML text parsed with the line index that turns its offsets into places. */
export interface YamlSource {
  /** The path messages show. */
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A value with the place it was written. */
export interface Placed<T> {
  value: T;
  at: SourceLocation;
}

/**
 * Parses `text` keeping its line index. `uniqueKeys` is the yaml package's own
 * duplicate-key check; `prettyErrors` (off unless asked) adds the line and a
 * code excerpt to each error message.
 */
export function parseYamlSource(path: string, text: string, options: { uniqueKeys: boolean; prettyErrors?: boolean }): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: options.prettyErrors ?? false, uniqueKeys: options.uniqueKeys });
  return { path, text, doc, lines };
}

/** The line index of `text`, as `parseDocument` fills it: the start of the first line and of each line after a newline. */
export function lineCounterOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) lines.addNewLine(nl + 1);
  return lines;
}

/** The YAML syntax errors of a source, each the first line of the parser's message at its place. */
export function syntaxProblems(source: YamlSource): Problem[] {
  return source.doc.errors.map((error) => ({ message: error.message.split('\n')[0] ?? error.message, at: positionAt(source, error.pos[0]) }));
}

/** The place of a source offset. */
export function positionAt(source: YamlSource, offset: number): SourceLocation {
  // Not `{ file, ...linePos() }`: one object, not two, for each of the million places of a large inventory.
  const { line, col } = source.lines.linePos(offset);
  return { file: source.path, line, col };
}

/** The place of a validator's path: the key's (`want: 'key'`) or the value's; the deepest existing node when the path goes further. */
export function pathPosition(source: YamlSource, path: readonly PropertyKey[], want: 'key' | 'value'): SourceLocation {
  return positionAt(source, yamlOffset(source.doc, path, want));
}

/** The place of a pair's key. */
export function keyPosition(source: YamlSource, pair: Pair): SourceLocation {
  return positionAt(source, (pair.key as Node | null)?.range?.[0] ?? 0);
}

/** The place of a pair's value (its key's when the value is absent, as in `key:`). */
export function valuePosition(source: YamlSource, pair: Pair): SourceLocation {
  return positionAt(source, (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? 0);
}

/** The pairs of a mapping node, by key text (empty when it is not a mapping). */
export function childPairs(node: unknown): Map<string, Pair> {
  const out = new Map<string, Pair>();
  if (isMap(node)) for (const pair of node.items as Pair[]) out.set(keyText(pair), pair);
  return out;
}

/** The pairs of the mapping at `key` of the source's root (empty when absent or not a mapping). */
export function section(source: YamlSource, key: string): Pair[] {
  const root = source.doc.contents;
  if (!isMap(root)) return [];
  const value = findPair(root, key)?.value;
  return isMap(value) ? (value.items as Pair[]) : [];
}

/** The entries of `values` (validated data of the mapping `node`), each placed at its key. */
export function placedEntries<T>(source: YamlSource, node: unknown, values: Record<string, T> | undefined): Map<string, Placed<T>> {
  const out = new Map<string, Placed<T>>();
  if (!values || !isMap(node)) return out;
  for (const pair of node.items as Pair[]) {
    const key = keyText(pair);
    if (Object.hasOwn(values, key)) out.set(key, { value: values[key] as T, at: keyPosition(source, pair) });
  }
  return out;
}

/**
 * A validated nested section (`files:`, `provision:`, `profiles:`) with the
 * place of every key and list item under `pair`'s value, so that it can be
 * checked after its YAML nodes are let go.
 */
export function sectionOf<T>(source: YamlSource, pair: Pair, value: T): Section<T> {
  const places: Record<string, SourceLocation> = Object.create(null) as Record<string, SourceLocation>;
  const walk = (node: unknown, prefix: string): void => {
    const below = (key: string): string => (prefix === '' ? key : `${prefix}\0${key}`);
    if (isMap(node)) {
      for (const child of node.items as Pair[]) {
        const path = below(keyText(child));
        places[path] = keyPosition(source, child);
        walk(child.value, path);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const path = below(String(i));
        places[path] = positionAt(source, (item as Node | null)?.range?.[0] ?? 0);
        walk(item, path);
      });
    }
  };
  walk(pair.value, '');
  return { value, at: keyPosition(source, pair), places };
}

/** The place of a key path below a section (`['/etc/motd', 'src']`): the deepest written part of it, else the section's key. */
export function placeOf(section: Section<unknown>, path: readonly string[]): SourceLocation {
  for (let n = path.length; n > 0; n--) {
    const at = section.places[path.slice(0, n).join('\0')];
    if (at) return at;
  }
  return section.at;
}
