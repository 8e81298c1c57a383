/**
 * Parsing an inventory again after an edit of one host entry, without reading
 * the other hosts again: what a long-running caller (muster serve) does when
 * one host's record changes (a 5,000-host file takes ~100 ms to parse whole,
 * one entry well under 1 ms). The entry's new text is read on its own, at its
 * own lines, against the roles, defaults and states the last parse merged;
 * every host of the other entries is kept as it was, object for object.
 *
 * Only an edit that cannot reach past its entry takes this path: one file's
 * text changed, inside one entry of `hosts:`, with the same number of lines
 * (every other place in the file stays where it was), the entry making the
 * same names, in the plain YAML subset (fastYaml.ts: no anchor this entry
 * could lend another), with no problem of its own and no address another host
 * has. Anything else is parsed whole, so every problem is found and worded by
 * the one parser (reparse.test.ts holds the two results equal).
 */
import type { Problem } from '../core/errors.js';
import { parseFastYaml } from './fastYaml.js';
import { expandHosts } from './expandHosts.js';
import { readInventoryFile, type InventorySource } from './inventoryFile.js';
import { hostStates, parseKeeping, selectorProblems, type Parsed } from './parse.js';
import { lineCounterOf } from './sourcePosition.js';
import type { Host, Inventory } from './types.js';

/** Parses sources, redoing only the edited host entry when the last parse allows it. */
export class InventoryReparser {
  #last: { sources: InventorySource[]; parsed: Parsed } | undefined;
  /** How the last `parse` went (for tests and benchmarks). */
  lastWay: 'whole' | 'one entry' = 'whole';

  /** `parseInventory(sources)`, the same result (and the same errors). */
  parse(sources: InventorySource[]): Inventory {
    const again = this.#last && oneEntry(this.#last.sources, this.#last.parsed, sources);
    const parsed = again ?? parseKeeping(sources);
    this.lastWay = again ? 'one entry' : 'whole';
    this.#last = { sources: sources.map(({ path, text }) => ({ path, text })), parsed };
    return parsed.inventory;
  }
}

/** The inventory with one host entry read again, or undefined when the edit is not one this path takes (see the file comment). */
function oneEntry(before: InventorySource[], parsed: Parsed, after: InventorySource[]): Parsed | undefined {
  if (before.length !== after.length || before.some((source, i) => source.path !== after[i]?.path)) return undefined;
  const edited = after.filter((source, i) => source.text !== before[i]?.text);
  const source = edited[0];
  if (edited.length !== 1 || !source) return undefined;
  const old = before.find((b) => b.path === source.path)?.text ?? '';
  const span = changedSpan(old, source.text);
  if (span.lines !== 0) return undefined;
  const { inventory, merged } = parsed;
  // Hosts of no given state are placed at the first file's top when no file has `states`.
  if (!merged.states && source.path !== after[0]?.path) return undefined;
  const entry = entryAround(inventory.hosts, old, source.path, span);
  if (!entry) return undefined;
  const oldText = old.slice(entry.start, entry.end);
  const newText = source.text.slice(entry.start, entry.end + (source.text.length - old.length));
  // The key keeps its indent (its siblings have it) and the old text lent no anchor.
  if (entry.line < 2 || indentOf(newText) !== indentOf(oldText) || !parseFastYaml(`hosts:\n${oldText}`)) return undefined;
  // Read at its own lines and columns, as the whole file would place it.
  const mini = `${'\n'.repeat(entry.line - 2)}hosts:\n${newText}`;
  if (!parseFastYaml(mini)) return undefined;
  const problems: Problem[] = [];
  const file = readInventoryFile({ path: source.path, text: mini }, problems);
  if (!file || problems.length > 0 || Object.keys(file.data).some((key) => key !== 'hosts')) return undefined;
  const { known, defaultState } = hostStates(merged);
  const made = expandHosts([file], merged, known, defaultState, problems);
  const was = inventory.hosts.slice(entry.first, entry.first + entry.count);
  if (problems.length > 0 || made.length !== was.length || made.some((host, i) => host.name !== was[i]?.name)) return undefined;
  // An address another entry's host has is a problem the whole parse words.
  const replaced = new Set(was);
  const addresses = new Set(made.map(addressKey));
  for (const host of inventory.hosts) if (!replaced.has(host) && addresses.has(addressKey(host))) return undefined;
  const hosts = [...inventory.hosts];
  hosts.splice(entry.first, entry.count, ...made);
  const next: Inventory = { ...inventory, files: [...inventory.files], hosts, hostsByName: new Map(hosts.map((host) => [host.name, host])) };
  selectorProblems(next, merged, problems);
  return problems.length > 0 ? undefined : { inventory: next, merged };
}

function indentOf(text: string): number {
  return /^ */.exec(text)?.[0].length ?? 0;
}

/** As expandHosts tells hosts' addresses apart. */
function addressKey(host: Host): string {
  return `${host.address}:${host.port ?? 22}`;
}

/** Where two texts differ: the offsets of the first and after the last differing character in the old one, and the change in line count. */
function changedSpan(old: string, text: string): { from: number; to: number; lines: number } {
  const shorter = Math.min(old.length, text.length);
  let from = 0;
  while (from < shorter && old.charCodeAt(from) === text.charCodeAt(from)) from++;
  let tail = 0;
  while (tail < shorter - from && old.charCodeAt(old.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
  const lines = countLines(text, from, text.length - tail) - countLines(old, from, old.length - tail);
  return { from, to: old.length - tail, lines };
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let at = text.indexOf('\n', from); at >= 0 && at < to; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/**
 * The host entry of `path` whose text holds the whole change: from the start of its key's
 * line to the start of the next entry's key line (for the last entry, the next line at
 * column 0 or the end), with its line and its hosts' place in `hosts`.
 */
function entryAround(hosts: Host[], text: string, path: string, span: { from: number; to: number }): { start: number; end: number; line: number; first: number; count: number } | undefined {
  const lines = lineCounterOf(text);
  const { lineStarts } = lines;
  const changeLine = lines.linePos(span.from).line;
  // The file's entries in order, as the hosts they made say (the last parse had no problem: every entry made hosts).
  let first = -1;
  let count = 0;
  let next: number | undefined;
  let line = 0;
  for (let i = 0; i < hosts.length; i++) {
    const at = (hosts[i] as Host).definedAt;
    if (at.file !== path) continue;
    if (at.line <= changeLine && at.line >= line) {
      if (at.line !== line) [first, count, line] = [i, 0, at.line];
      count++;
    } else if (at.line > changeLine && (next === undefined || at.line < next)) next = at.line;
  }
  if (first < 0) return undefined;
  const start = lineStarts[line - 1] ?? 0;
  let end: number;
  if (next !== undefined) end = lineStarts[next - 1] ?? text.length;
  else {
    // The last entry ends where the next top-level key starts.
    const after = /\n(?=[^\s#])/g;
    after.lastIndex = start;
    end = after.exec(text) ? after.lastIndex : text.length;
  }
  if (span.from < start || span.to > end || span.to < span.from) return undefined;
  return { start, end, line, first, count };
}
