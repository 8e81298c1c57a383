/**
 * Each edit written into the host entries that hold the selected hosts (after
 * splitting, those hold only selected hosts), as splices of the text: the new
 * key goes where the entry's own indentation and style say, nothing else moves.
 */
import { isMap, type Pair, type YAMLMap } from 'yaml';
import { MusterError } from '../core/errors.js';
import type { Edit } from './editArgs.js';
import { hostEntries, lineOf, parseEditSource, type EditEntry } from './hostEntries.js';
import type { YamlSource } from './sourcePosition.js';
import { applySplices, columnOf, fillNull, isNullNode, mapOf, pairOf, rangeOf, removeFromMap, setInMap, yamlKey, yamlValue, type Splice } from './yamlSplice.js';

/**
 * Applies one edit to every entry of `texts` (text by source path) that holds
 * any of `targets`; returns the new texts. Refuses (a `MusterError` naming
 * file:line) an entry or `vars` that is not a mapping, and a map carrying a
 * YAML anchor, which would change every alias of it too.
 */
export function applyEdit(texts: Map<string, string>, targets: Set<string>, edit: Edit): Map<string, string> {
  const out = new Map(texts);
  for (const [path, text] of texts) {
    const source = parseEditSource(path, text);
    const splices: Splice[] = [];
    for (const entry of hostEntries(source, targets)) {
      const splice = editEntry(source, entry, edit);
      if (splice) splices.push(splice);
    }
    if (splices.length > 0) out.set(path, applySplices(text, splices));
  }
  return out;
}

function editEntry(source: YamlSource, entry: EditEntry, edit: Edit): Splice | undefined {
  const { text } = source;
  const keyColumn = columnOf(text, rangeOf(entry.pair.key)[0]);
  const hostsColumn = columnOf(text, rangeOf(entry.hostsPair.key)[0]);
  const step = keyColumn > hostsColumn ? keyColumn - hostsColumn : 2;
  const { target } = edit;
  const field = target.field === 'vars' ? 'vars' : target.field;
  const value = edit.value === undefined ? undefined : yamlValue(edit.value);
  const body = entry.pair.value;

  if (isNullNode(body)) {
    if (value === undefined) return undefined;
    const lines = target.field === 'vars' ? ['vars:', `${' '.repeat(step)}${yamlKey(target.key)}: ${value}`] : [`${field}: ${value}`];
    return fillNull(text, entry.pair, lines, keyColumn + step);
  }
  if (!isMap(body)) throw new MusterError(`Cannot edit the host entry at ${lineOf(source, rangeOf(entry.pair.key)[0])}: it is not a mapping`);
  unshared(source, body, entry.pair);
  const bodyLayout = { indent: body.items.length > 0 ? columnOf(text, rangeOf((body.items[0] as Pair).key)[0]) : keyColumn + step, step };
  if (body.items.length > 0 && !body.flow) bodyLayout.step = Math.max(1, bodyLayout.indent - keyColumn);

  if (target.field !== 'vars') {
    if (value === undefined) return removeFromMap(text, body, target.field, entry.pair);
    return setInMap(text, body, target.field, { inline: value }, bodyLayout);
  }
  const varsPair = pairOf(body, 'vars');
  if (value === undefined) {
    const vars = mapOf(varsPair);
    if (vars && varsPair) unshared(source, vars, varsPair);
    return vars && varsPair ? removeFromMap(text, vars, target.key, varsPair) : undefined;
  }
  if (!varsPair) return setInMap(text, body, 'vars', { nested: [target.key, value] }, bodyLayout);
  if (isNullNode(varsPair.value)) return fillNull(text, varsPair, [`${yamlKey(target.key)}: ${value}`], bodyLayout.indent + bodyLayout.step);
  const vars = mapOf(varsPair);
  if (!vars) throw new MusterError(`Cannot edit "vars" at ${lineOf(source, rangeOf(varsPair.key)[0])}: it is not a mapping`);
  unshared(source, vars, varsPair);
  const varsLayout = {
    indent: vars.items.length > 0 ? columnOf(text, rangeOf((vars.items[0] as Pair).key)[0]) : bodyLayout.indent + bodyLayout.step,
    step: bodyLayout.step,
  };
  return setInMap(text, vars, target.key, { inline: value }, varsLayout);
}

/** Refuses to edit a map that carries a YAML anchor: aliases elsewhere would silently change with it. */
function unshared(source: YamlSource, map: YAMLMap, pair: Pair): void {
  if (map.anchor) {
    throw new MusterError(`Cannot edit the map at ${lineOf(source, rangeOf(pair.key)[0])}: it is anchored (&${map.anchor}), so every alias of it would change too; edit it by hand`);
  }
}
