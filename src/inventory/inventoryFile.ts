/**
 * One inventory file read as YAML: syntax, keys repeated in one mapping and
 * `__proto__` keys are refused here, before the data reaches the schema.
 */
import { visit, type Document, type Node } from 'yaml';
import type { Problem } from '../core/errors.js';
import { checkFile, type CheckedFile } from './schemaProblems.js';
import { parseFastYaml } from './fastYaml.js';
import { keyText } from './yamlPath.js';
import { lineCounterOf, parseYamlSource, positionAt, syntaxProblems, type YamlSource } from './sourcePosition.js';

/** One inventory file's text, with the path used in messages and to resolve `ssh_config`. */
export interface InventorySource {
  path: string;
  text: string;
}

/** An inventory file parsed and checked against the schema. */
export interface ParsedFile extends YamlSource, CheckedFile {}

/**
 * Reads one source: its YAML, then its data against the schema. Adds every
 * problem found to `problems`; undefined when the file cannot be used at all
 * (bad YAML, a repeated key, not a mapping). `fast: false` reads with the `yaml`
 * package alone (the fast path is on by default; tests compare the two).
 */
export function readInventoryFile(source: InventorySource, problems: Problem[], options: { fast?: boolean } = {}): ParsedFile | undefined {
  // The plain block YAML inventories are written in takes the fast path (fastYaml.ts: the same
  // nodes and data, ~5x faster, a fraction of the memory); anything else, errors included, is
  // parsed by yaml itself, so its messages stay as they are. yaml's own unique-key check is
  // quadratic in the size of a map (seconds for a 10,000-host `hosts:`), so it is off and
  // checkKeys() does the same in one pass.
  const fast = options.fast === false ? undefined : parseFastYaml(source.text);
  const yaml: YamlSource = fast
    ? { path: source.path, text: source.text, doc: fast.doc, lines: lineCounterOf(source.text) }
    : parseYamlSource(source.path, source.text, { uniqueKeys: false });
  const { doc } = yaml;
  const where = (offset: number) => positionAt(yaml, offset);
  if (doc.errors.length > 0) {
    for (const problem of syntaxProblems(yaml)) problems.push({ ...problem, message: `YAML: ${problem.message}` });
    return undefined;
  }
  // The fast path takes no text with a repeated or `__proto__` key.
  const { duplicates, reserved } = fast ? { duplicates: [], reserved: [] } : checkKeys(doc);
  if (duplicates.length > 0) {
    for (const [key, offset, first] of duplicates) problems.push({ message: `YAML: key "${key}" appears twice in the same mapping`, at: where(offset), also: where(first) });
    return undefined;
  }
  if (reserved.length > 0) {
    // The validator drops such keys without a word: a host or var named so would silently vanish.
    for (const offset of reserved) problems.push({ message: 'the key "__proto__" cannot be used (as a host, role, group, state or var name)', at: where(offset) });
    return undefined;
  }
  let raw: unknown = fast?.data;
  try {
    if (!fast) raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    // The yaml package throws a plain Error for alias bombs ("Excessive alias count").
    problems.push({ message: `YAML: ${error instanceof Error ? error.message : String(error)}`, at: where(0) });
    return undefined;
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ message: 'an inventory file must be a mapping of keys (version, defaults, roles, hosts, …)', at: where(doc.contents?.range[0] ?? 0) });
    return undefined;
  }
  return { ...yaml, ...checkFile(yaml, raw as Record<string, unknown>, problems) };
}

/**
 * In one pass over the document: every key that repeats within one mapping
 * ([key, offset, offset of the first]), and the offset of every `__proto__` key.
 */
function checkKeys(doc: Document.Parsed): { duplicates: [string, number, number][]; reserved: number[] } {
  const duplicates: [string, number, number][] = [];
  const reserved: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        const key = keyText(pair);
        const offset = (pair.key as Node | null)?.range?.[0] ?? 0;
        if (key === '__proto__') reserved.push(offset);
        const first = seen.get(key);
        if (first === undefined) seen.set(key, offset);
        else duplicates.push([key, offset, first]);
      }
    },
  });
  return { duplicates, reserved };
}
