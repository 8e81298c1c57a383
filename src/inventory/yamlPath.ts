/**
 * Where a path of keys and indexes (as a validator reports it, e.g.
 * `['hosts', 'web01', 'port']`) is in a parsed YAML document, so a problem found
 * on the data can be shown at file:line:col. Used for the inventory and task files.
 */
import { isMap, isNode, isPair, isScalar, isSeq, type Document, type Pair, type YAMLMap } from 'yaml';

/**
 * The source offset of `path` in `doc`: the key's position (`want: 'key'`, e.g.
 * for an unknown key) or the value's. When the path goes further than the
 * document (a missing key), the deepest node that exists: the map that lacks it.
 */
export function yamlOffset(doc: Document, path: readonly PropertyKey[], want: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let at = (isNode(node) ? node.range?.[0] : undefined) ?? 0;
  for (const [index, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = findPair(node, String(segment));
      if (!pair) break;
      const key = isNode(pair.key) ? pair.key.range?.[0] : undefined;
      const last = index === path.length - 1;
      const value = isNode(pair.value) ? pair.value.range?.[0] : undefined;
      at = (last && want === 'key') || value === undefined ? (key ?? at) : value;
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      if (!isNode(item)) break;
      at = item.range?.[0] ?? at;
      node = item;
    } else {
      break;
    }
  }
  return at;
}

/** The pair of a mapping whose key reads as `key`. */
export function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isPair(pair) && keyText(pair) === key);
}

/** A pair's key as text. */
export function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}
