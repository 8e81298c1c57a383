/**
 * `muster set`: edits of a host's state, note and vars in the inventory YAML.
 * The file keeps every byte the edit does not touch (comments, order, layout);
 * a host that comes from a pattern is split out of it first; the edited
 * inventory is re-parsed and compared with the old one before anything is
 * written, and each file is replaced atomically.
 */
import { isDeepStrictEqual } from 'node:util';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { InvalidFileError, MusterError, UsageError, formatProblem } from '../core/errors.js';
import { expandNodeset, foldNodeset, isNodesetPattern } from '../core/nodeset.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';
import { findInventoryFiles, type FindOptions } from './find.js';
import { parseInventory, type InventorySource } from './parse.js';
import { select } from './select.js';
import type { Host, Inventory, Selection, VarValue } from './types.js';
import {
  applySplices, columnOf, fillNull, isNullNode, lineEndAfter, lineStart, mapOf, pairOf, rangeOf,
  removeFromMap, setInMap, yamlKey, yamlNodeset, yamlValue, type Splice,
} from './yamlSplice.js';

/** What an edit changes: the host's state, its note, or one of its own vars. */
export type EditField = { field: 'state' } | { field: 'note' } | { field: 'vars'; key: string };

/** One edit: set the field to `value`, or, when `value` is absent, remove the host's own value. */
export interface Edit {
  target: EditField;
  value?: VarValue;
}

/**
 * Parses `state=VALUE`, `note=VALUE` or `vars.KEY=VALUE`. State and note take
 * the text as it is; a var's value is read as YAML (`8080` a number, `true` a
 * boolean, `null`, `[a, b]`, `{k: v}`), except that text YAML would read as a
 * block collection (`a: b`) stays a string, and `vars.KEY=` (nothing after the
 * `=`) is the empty string. `note=` removes the note. Throws `UsageError`.
 *
 * @example parseEdit('vars.http_port=8080') // { target: { field: 'vars', key: 'http_port' }, value: 8080 }
 */
export function parseEdit(assignment: string): Edit {
  const eq = assignment.indexOf('=');
  if (eq === -1) throw new UsageError(`Expected KEY=VALUE (state=, note=, vars.KEY=), got ${JSON.stringify(assignment)}`);
  const target = parseField(assignment.slice(0, eq), assignment);
  const text = assignment.slice(eq + 1);
  switch (target.field) {
    case 'state':
      if (text === '') throw new UsageError('state= needs a state (use --unset state to fall back to the default state)');
      return { target, value: text };
    case 'note':
      return text === '' ? { target } : { target, value: text };
    case 'vars':
      return { target, value: yamlScalar(text) };
  }
}

/** Parses the argument of `--unset`: `state`, `note` or `vars.KEY`. Throws `UsageError`. */
export function parseUnset(path: string): Edit {
  return { target: parseField(path, path) };
}

function parseField(path: string, whole: string): EditField {
  if (path === 'state' || path === 'note') return { field: path };
  if (path.startsWith('vars.') && path.length > 'vars.'.length) return { field: 'vars', key: path.slice('vars.'.length) };
  throw new UsageError(`Cannot set ${JSON.stringify(path)} in ${JSON.stringify(whole)}: muster set edits state, note and vars.KEY`);
}

/**
 * A var's value from the command line: what YAML reads as a number, boolean or
 * null, a quoted string, or a flow list/map is taken as such; anything else
 * (plain text, text with a `#` comment, block syntax) is the text exactly as
 * typed, so YAML's folding and comment stripping never change a string.
 */
function yamlScalar(text: string): VarValue {
  if (text === '') return '';
  const doc = parseDocument(text);
  const node = doc.contents;
  if (doc.errors.length > 0 || doc.warnings.length > 0 || doc.comment || doc.commentBefore || !node || node.comment || node.commentBefore) return text;
  if (isScalar(node)) {
    if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' || typeof node.value !== 'string') return doc.toJS() as VarValue;
    return text;
  }
  if ((isMap(node) || isSeq(node)) && node.flow === true && !hasComments(node)) return doc.toJS() as VarValue;
  return text;
}

function hasComments(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  const { comment, commentBefore } = node as { comment?: string | null; commentBefore?: string | null };
  if (comment || commentBefore) return true;
  if (isMap(node)) return (node.items as Pair[]).some((pair) => hasComments(pair.key) || hasComments(pair.value));
  if (isSeq(node)) return node.items.some(hasComments);
  return false;
}

/** How an edit's field is named in messages: `state`, `note`, `vars.http_port`. */
function fieldLabel(target: EditField): string {
  return target.field === 'vars' ? `vars.${target.key}` : target.field;
}

/** One line of what changed: these hosts had `old` and now have `new` (undefined: unset). */
export interface EditChange {
  field: string;
  hosts: string[];
  old?: VarValue;
  new?: VarValue;
}

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

/** The outcome of planning an edit: the new text of each changed file, and what it changes. */
export interface EditPlan {
  /** New text by source path, only for files whose text changed. */
  texts: Map<string, string>;
  changes: EditChange[];
  splits: EditSplit[];
  /** The inventory as it will be once written. */
  inventory: Inventory;
}

interface Entry {
  source: string;
  pair: Pair;
  hostsPair: Pair;
  names: string[];
}

interface ParsedSource {
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/**
 * Plans `edits` for the hosts named `names` in the inventory made of
 * `sources` (pure: nothing is read or written). Hosts of a pattern entry that
 * is only partly selected are split out of it (`web[001-100]` → `web[001-041,
 * 043-100]` plus `web042`, the address pattern split in step, the body
 * copied); the new entry goes right after the one it came from, so those hosts
 * move after their siblings in inventory order. The edited text is re-parsed
 * and every host compared with the old inventory: any difference other than
 * the intended one — or an invalid result — throws, naming the problem.
 */
export function planEdit(sources: InventorySource[], names: string[], edits: Edit[]): EditPlan {
  if (edits.length === 0) throw new UsageError('Nothing to set: give state=, note=, vars.KEY= or --unset');
  const seen = new Set<string>();
  for (const edit of edits) {
    const label = fieldLabel(edit.target);
    if (seen.has(label)) throw new UsageError(`${label} is given twice`);
    seen.add(label);
  }
  const before = parseInventory(sources);
  const targets = new Set(names);
  for (const name of targets) if (!before.hostsByName.has(name)) throw new UsageError(`No host named "${name}" in the inventory`);
  for (const { target, value } of edits) {
    if (target.field === 'state' && value !== undefined && !before.states.includes(String(value))) {
      throw new MusterError(`Refusing the edit: unknown state ${JSON.stringify(value)} (states: ${before.states.join(', ')}); nothing was written`);
    }
  }
  let texts = new Map(sources.map((source) => [source.path, source.text]));

  const splits: EditSplit[] = [];
  texts = splitPatterns(texts, targets, splits);
  for (const edit of edits) texts = applyEdit(texts, targets, edit);

  const edited = sources.map((source) => ({ path: source.path, text: texts.get(source.path) ?? source.text }));
  let after: Inventory;
  try {
    after = parseInventory(edited);
  } catch (error) {
    if (!(error instanceof InvalidFileError)) throw error;
    throw new MusterError(`Refusing the edit: it would make the inventory invalid (nothing was written; lines are those of the edited text):\n  ${error.problems.map(formatProblem).join('\n  ')}`, { cause: error });
  }
  verify(before, after, targets, edits);

  const changed = new Map<string, string>();
  for (const source of edited) if (source.text !== sources.find((s) => s.path === source.path)?.text) changed.set(source.path, source.text);
  return { texts: changed, changes: describeChanges(before, after, names, edits), splits, inventory: after };
}

function parseSource(path: string, text: string): ParsedSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) throw new MusterError(`Cannot edit ${path}: ${doc.errors[0]?.message.split('\n')[0] ?? 'YAML error'}`);
  return { path, text, doc, lines };
}

/** The host entries of one file that hold any of `targets`, each with the names it makes. */
function entriesOf(source: ParsedSource, targets: Set<string>): Entry[] {
  const root = source.doc.contents;
  if (!isMap(root)) return [];
  const hostsPair = pairOf(root, 'hosts');
  const hosts = mapOf(hostsPair);
  if (!hostsPair || !hosts) return [];
  const entries: Entry[] = [];
  for (const pair of hosts.items as Pair[]) {
    if (!isScalar(pair.key)) continue;
    const names = expandNodeset(String(pair.key.value));
    if (names.some((name) => targets.has(name))) entries.push({ source: source.path, pair, hostsPair, names });
  }
  return entries;
}

function where(source: ParsedSource, offset: number): string {
  return `${source.path}:${source.lines.linePos(offset).line}`;
}

/** Splits every partly selected pattern entry into the unselected rest and a copy holding the selected hosts. */
function splitPatterns(texts: Map<string, string>, targets: Set<string>, splits: EditSplit[]): Map<string, string> {
  const out = new Map(texts);
  for (const [path, text] of texts) {
    const source = parseSource(path, text);
    const splices: Splice[] = [];
    for (const entry of entriesOf(source, targets)) {
      const chosen = entry.names.filter((name) => targets.has(name));
      if (chosen.length === entry.names.length) continue;
      const rest = entry.names.filter((name) => !targets.has(name));
      splices.push(splitEntry(source, entry, rest, chosen, splits));
    }
    if (splices.length > 0) out.set(path, applySplices(text, splices));
  }
  return out;
}

function splitEntry(source: ParsedSource, entry: Entry, rest: string[], chosen: string[], splits: EditSplit[]): Splice {
  const { text } = source;
  const key = entry.pair.key as Scalar;
  const pattern = String(key.value);
  const at = where(source, rangeOf(key)[0]);
  const refuse = (why: string): never => {
    throw new MusterError(`Cannot edit ${foldNodeset(chosen)} alone: it comes from the pattern "${pattern}" at ${at}, which ${why}; edit that entry by hand, or select all of its hosts`);
  };
  const hosts = mapOf(entry.hostsPair);
  if (hosts?.flow) refuse('is in a flow-style "hosts: { … }" map');
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
      const pattern = foldInOrder(wanted);
      if (!isDeepStrictEqual(expandNodeset(pattern), wanted)) refuse(`has addresses (${written}) that do not fold in step with the names`);
      return pattern;
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

/**
 * A nodeset whose expansion is exactly `items`, in that order: consecutive
 * runs that fold without reordering, joined by commas (a top-level comma list
 * expands in written order). Runs are found by galloping, so a long list costs
 * O(n log n) folds rather than one per item.
 */
function foldInOrder(items: string[]): string {
  const inOrder = (from: number, to: number): boolean => {
    const chunk = items.slice(from, to);
    return isDeepStrictEqual(expandNodeset(foldNodeset(chunk)), chunk);
  };
  const parts: string[] = [];
  for (let start = 0; start < items.length;) {
    let good = 1;
    while (start + good < items.length) {
      const next = Math.min(good * 2, items.length - start);
      if (inOrder(start, start + next)) {
        good = next;
        continue;
      }
      let bad = next;
      while (bad - good > 1) {
        const middle = (good + bad) >> 1;
        if (inOrder(start, start + middle)) good = middle;
        else bad = middle;
      }
      break;
    }
    parts.push(foldNodeset(items.slice(start, start + good)));
    start += good;
  }
  return parts.join(',');
}

/** Applies one edit to every entry that holds selected hosts (after splitting, those hold only selected hosts). */
function applyEdit(texts: Map<string, string>, targets: Set<string>, edit: Edit): Map<string, string> {
  const out = new Map(texts);
  for (const [path, text] of texts) {
    const source = parseSource(path, text);
    const splices: Splice[] = [];
    for (const entry of entriesOf(source, targets)) {
      const splice = editEntry(source, entry, edit);
      if (splice) splices.push(splice);
    }
    if (splices.length > 0) out.set(path, applySplices(text, splices));
  }
  return out;
}

function editEntry(source: ParsedSource, entry: Entry, edit: Edit): Splice | undefined {
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
  if (!isMap(body)) throw new MusterError(`Cannot edit the host entry at ${where(source, rangeOf(entry.pair.key)[0])}: it is not a mapping`);
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
  if (!vars) throw new MusterError(`Cannot edit "vars" at ${where(source, rangeOf(varsPair.key)[0])}: it is not a mapping`);
  unshared(source, vars, varsPair);
  const varsLayout = {
    indent: vars.items.length > 0 ? columnOf(text, rangeOf((vars.items[0] as Pair).key)[0]) : bodyLayout.indent + bodyLayout.step,
    step: bodyLayout.step,
  };
  return setInMap(text, vars, target.key, { inline: value }, varsLayout);
}

/** Refuses to edit a map that carries a YAML anchor: aliases elsewhere would silently change with it. */
function unshared(source: ParsedSource, map: YAMLMap, pair: Pair): void {
  if (map.anchor) {
    throw new MusterError(`Cannot edit the map at ${where(source, rangeOf(pair.key)[0])}: it is anchored (&${map.anchor}), so every alias of it would change too; edit it by hand`);
  }
}

/** What a host looks like for the comparison below: every field, and the vars minus `ignored`. */
function viewOf(host: { address: string; user?: string | undefined; port?: number | undefined; roles: string[]; state: string; note?: string | undefined; vars: Record<string, VarValue> }, ignored: Set<string>): Record<string, unknown> {
  const vars = Object.fromEntries(Object.entries(host.vars).filter(([key]) => !ignored.has(key)));
  return { address: host.address, user: host.user, port: host.port, roles: host.roles, state: host.state, note: host.note, vars };
}

/** The view a selected host should have once the edits are applied, and the vars whose new value is not predicted. */
function expectedView(host: Host, edits: Edit[], defaultState: string): { view: Record<string, unknown>; ignored: Set<string> } {
  let { state, note } = host;
  const vars: Record<string, VarValue> = { ...host.vars };
  const ignored = new Set<string>();
  for (const { target, value } of edits) {
    if (target.field === 'state') state = value === undefined ? defaultState : String(value);
    else if (target.field === 'note') note = value === undefined ? undefined : String(value);
    else if (value === undefined) ignored.add(target.key);
    else Object.defineProperty(vars, target.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { view: viewOf({ ...host, state, note, vars }, ignored), ignored };
}

/**
 * The safety net: the edited inventory must hold the same hosts, each equal
 * to what it was except for the intended change on the selected ones. (A var
 * that is unset falls back to a role's or the defaults' value, which is not
 * predicted here; that one key is left out of the comparison.)
 */
function verify(before: Inventory, after: Inventory, targets: Set<string>, edits: Edit[]): void {
  const problems: string[] = [];
  if (after.hosts.length !== before.hosts.length) problems.push(`it would hold ${after.hosts.length} hosts instead of ${before.hosts.length}`);
  for (const host of before.hosts) {
    const now = after.hostsByName.get(host.name);
    if (!now) {
      problems.push(`host ${host.name} would disappear`);
    } else {
      const want = targets.has(host.name) ? expectedView(host, edits, before.states[0] ?? 'ok') : { view: viewOf(host, new Set()), ignored: new Set<string>() };
      if (!isDeepStrictEqual(viewOf(now, want.ignored), want.view)) problems.push(`host ${host.name} would change in more than the edit`);
    }
    if (problems.length >= 5) break;
  }
  if (problems.length > 0) throw new MusterError(`Refusing the edit: it would not do exactly what was asked (nothing was written): ${problems.join('; ')}. Shared YAML (anchors, aliases) can cause this; otherwise it is a bug in muster set, please report it with the inventory`);
}

function describeChanges(before: Inventory, after: Inventory, names: string[], edits: Edit[]): EditChange[] {
  const changes: EditChange[] = [];
  for (const edit of edits) {
    const field = fieldLabel(edit.target);
    const groups = new Map<string, EditChange>();
    for (const name of names) {
      const old = fieldValue(before.hostsByName.get(name), edit.target);
      const now = fieldValue(after.hostsByName.get(name), edit.target);
      const key = JSON.stringify([old ?? null, old === undefined, now ?? null, now === undefined]);
      let group = groups.get(key);
      if (!group) {
        group = { field, hosts: [] };
        if (old !== undefined) group.old = old;
        if (now !== undefined) group.new = now;
        groups.set(key, group);
      }
      group.hosts.push(name);
    }
    changes.push(...groups.values());
  }
  return changes;
}

function fieldValue(host: Host | undefined, target: EditField): VarValue | undefined {
  if (!host) return undefined;
  if (target.field === 'vars') return Object.hasOwn(host.vars, target.key) ? host.vars[target.key] : undefined;
  return host[target.field];
}

/** Options of `editInventory`: where the inventory is, what to select, what to change. */
export interface EditOptions extends FindOptions {
  selectors: string[];
  edits: Edit[];
  allStates?: boolean;
  /** Plan and check, but write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** What `editInventory` did. */
export interface EditResult extends EditPlan {
  selection: Selection;
  /** Absolute paths of the files written. */
  written: string[];
}

/**
 * Finds and reads the inventory, selects hosts, plans the edits (see
 * `planEdit`) and writes each changed file atomically. A file that changed
 * on disk since it was read is not overwritten. Multi-file inventories are
 * edited in the file where each host is defined; each file is replaced
 * atomically, but several files are not one transaction.
 *
 * @example await editInventory({ selectors: ['web042'], edits: [parseEdit('state=stop')] })
 */
export async function editInventory(options: EditOptions): Promise<EditResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const files = findInventoryFiles(options);
  const sources = await Promise.all(files.map(async (file) => {
    const shown = relative(cwd, file);
    return { file, path: shown.startsWith('..') || isAbsolute(shown) ? file : shown, text: await readFile(file, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) }) };
  }));
  const inventory = parseInventory(sources);
  const selection = select(inventory, options.selectors.length > 0 ? options.selectors : ['all'], { allStates: options.allStates === true });
  if (selection.hosts.length === 0) throw new UsageError(`The selection ${options.selectors.join(' ')} matches no host${selection.skipped.length > 0 ? ` (${selection.skipped.length} left out for their state; add --all-states)` : ''}`);
  const plan = planEdit(sources, selection.hosts.map((host) => host.name), options.edits);
  const written: string[] = [];
  if (!options.dryRun) {
    for (const source of sources) {
      const text = plan.texts.get(source.path);
      if (text === undefined) continue;
      options.signal?.throwIfAborted();
      await writeFileAtomic(source.file, text, { expected: source.text });
      written.push(source.file);
    }
  }
  return { ...plan, selection, written };
}
