/**
 * Splitting pattern entries so some of their hosts can be edited alone:
 * `web[001-100]` with web042 selected becomes `web[001-041,043-100]` and
 * `web042`, the address pattern split in step and the body copied. Text is
 * spliced, never re-printed, so every other byte of the file stays.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, type Scalar } from 'yaml';
import { MusterError } from '../core/errors.js';
import { expandNodeset, foldNodeset, foldNodesetInOrder, isNodesetPattern } from '../core/nodeset.js';
import { hostEntries, lineOf, parseEditSource, type EditEntry } from './hostEntries.js';
import type { YamlSource } from './sourcePosition.js';
import { applySplices, isNullNode, lineEndAfter, lineStart, mapOf, pairOf, rangeOf, yamlNodeset, type Splice } from './yamlSplice.js';

/** A pattern entry split so that some of its hosts could be edited alone. */
export interface EditSplit {
  /** The pattern as it was, and where. */
  pattern: string;
  file: string;
  line: number;
  /** The entry keeping the other hosts, and the new entry with the edited ones. */
  kept: string;
  split: string;
}

/**
 * Splits every partly selected pattern entry of `texts` (text by source path)
 * into the unselected rest and, right after it, a copy holding the selected
 * hosts; records each split in `splits`. Returns the new texts. Refuses (a
 * `MusterError` naming the entry's file:line) an entry that cannot be split by
 * splicing: in a flow-style map, not on its own line, or with addresses that do
 * not fold in step with the names.
 */
export function splitPatterns(texts: Map<string, string>, targets: Set<string>, splits: EditSplit[]): Map<string, string> {
  const out = new Map(texts);
  for (const [path, text] of texts) {
    const source = parseEditSource(path, text);
    const splices: Splice[] = [];
    for (const entry of hostEntries(source, targets)) {
      const chosen = entry.names.filter((name) => targets.has(name));
      if (chosen.length === entry.names.length) continue;
      const rest = entry.names.filter((name) => !targets.has(name));
      splices.push(splitEntry(source, entry, rest, chosen, splits));
    }
    if (splices.length > 0) out.set(path, applySplices(text, splices));
  }
  return out;
}

function splitEntry(source: YamlSource, entry: EditEntry, rest: string[], chosen: string[], splits: EditSplit[]): Splice {
  const { text } = source;
  const key = entry.pair.key as Scalar;
  const pattern = String(key.value);
  const refuse = (why: string): never => {
    throw new MusterError(`Cannot edit ${foldNodeset(chosen)} alone: it comes from the pattern "${pattern}" at ${lineOf(source, rangeOf(key)[0])}, which ${why}; edit that entry by hand, or select all of its hosts`);
  };
  if (mapOf(entry.hostsPair)?.flow) refuse('is in a flow-style "hosts: { … }" map');
  const start = lineStart(text, rangeOf(key)[0]);
  if (text.slice(start, rangeOf(key)[0]).trim() !== '') refuse('does not start its own line');
  const valueNode = entry.pair.value;
  const end = lineEndAfter(text, Math.max(rangeOf(key)[1], isNullNode(valueNode) ? 0 : rangeOf(valueNode)[1]));
  const body = isMap(valueNode) ? valueNode : undefined;
  const addressPair = body ? pairOf(body, 'address') : undefined;
  const addressNode = addressPair && isScalar(addressPair.value) ? addressPair.value : undefined;

  // Addresses expand in step with names: each part's folded address pattern must pair up exactly as before.
  let restAddress: string | undefined;
  let chosenAddress: string | undefined;
  if (addressNode) {
    const written = String(addressNode.value);
    const addresses = isNodesetPattern(written) ? expandNodeset(written) : [written];
    const addressOf = new Map(entry.names.map((name, i) => [name, addresses[i] ?? '']));
    const fold = (names: string[]): string => {
      const wanted = expandNodeset(foldNodeset(names)).map((name) => addressOf.get(name) ?? '');
      const folded = foldNodesetInOrder(wanted);
      // Names with nodeset syntax of their own, or repeated addresses, do not fold back as they were.
      if (!isDeepStrictEqual(expandNodeset(folded), wanted)) refuse(`has addresses (${written}) that do not fold in step with the names`);
      return folded;
    };
    restAddress = fold(rest);
    chosenAddress = fold(chosen);
  }
  const flow = body?.flow === true;
  const copy = (names: string[], address: string | undefined): string => {
    const inner: Splice[] = [{ start: rangeOf(key)[0] - start, end: rangeOf(key)[1] - start, text: yamlNodeset(foldNodeset(names), key, false) }];
    if (addressNode && address !== undefined) {
      inner.push({ start: rangeOf(addressNode)[0] - start, end: rangeOf(addressNode)[1] - start, text: yamlNodeset(address, addressNode, flow) });
    }
    const piece = applySplices(text.slice(start, end), inner);
    return piece.endsWith('\n') ? piece : `${piece}\n`;
  };
  const kept = foldNodeset(rest);
  const split = foldNodeset(chosen);
  splits.push({ pattern, file: source.path, line: source.lines.linePos(rangeOf(key)[0]).line, kept, split });
  return { start, end, text: `${copy(rest, restAddress)}${copy(chosen, chosenAddress)}` };
}
