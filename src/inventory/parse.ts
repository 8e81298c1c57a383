/**
 * Turns inventory YAML into an `Inventory`: read each file (inventoryFile.ts,
 * with its schema problems from schemaProblems.ts), merge the files
 * (mergeFiles.ts), expand the hosts (expandHosts.ts), then check what spans
 * files: skip_states against states, the selectors of groups and checks. Every
 * problem is collected and reported at once, each with its file:line:col.
 */
import { resolve } from 'node:path';
import { InvalidFileError, SelectorError, type Problem, type SourceLocation } from '../core/errors.js';
import { expandHosts } from './expandHosts.js';
import { GeneralYamlBudget, readInventoryFile, type InventorySource, type ParsedFile } from './inventoryFile.js';
import { mergeFiles, type Merged, type WrittenSelector } from './mergeFiles.js';
import { checkSelector } from './select.js';
import type { Inventory } from './types.js';

/** Used when the inventory declares no `states`. */
export const defaultStates = ['ok', 'warn', 'stop'];
/** Used when the inventory declares neither `states` nor `skip_states`. */
export const defaultSkipStates = ['stop'];

/**
 * Parses and validates inventory sources (one `muster.yaml`, or the files of an
 * `inventory/` folder in order) into a resolved `Inventory`. Pure and
 * synchronous: no file is read (only `ssh_config` is made absolute against the
 * source's folder). Throws `InvalidFileError` listing every problem, each with
 * file:line:col; duplicates name both places.
 *
 * @example parseInventory([{ path: 'muster.yaml', text: 'hosts:\n  web[1-2]: { }\n' }]).hosts.length // 2
 */
export function parseInventory(sources: InventorySource[]): Inventory {
  return parseKeeping(sources).inventory;
}

/** An inventory with what its files said together (reparse.ts takes it to redo one host entry). */
export interface Parsed {
  inventory: Inventory;
  merged: Merged;
}

/** `parseInventory`, keeping the merged files. */
export function parseKeeping(sources: InventorySource[]): Parsed {
  const problems: Problem[] = [];
  const files: ParsedFile[] = [];
  const generalBudget = new GeneralYamlBudget();
  for (const source of sources) {
    const file = readInventoryFile(source, problems, { generalBudget });
    if (file) files.push(file);
  }
  const parsed = build(files, problems);
  if (problems.length > 0) {
    const order = new Map(sources.map((source, i) => [source.path, i]));
    problems.sort((a, b) => (order.get(a.at?.file ?? '') ?? -1) - (order.get(b.at?.file ?? '') ?? -1) || (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0));
    throw new InvalidFileError('inventory', problems);
  }
  return parsed;
}

/** The states hosts are checked against (undefined when the states themselves had problems), and the default one. */
export function hostStates(merged: Merged): { known: string[] | undefined; defaultState: string } {
  const known = merged.statesKnown ? (merged.states?.value ?? defaultStates) : undefined;
  return { known, defaultState: known?.[0] ?? defaultStates[0] ?? 'ok' };
}

function build(files: ParsedFile[], problems: Problem[]): Parsed {
  const merged = mergeFiles(files, problems);
  const { states, skipStates, statesKnown } = merged;
  const stateList = states?.value ?? defaultStates;
  const skipList = skipStates?.value ?? (states ? [] : defaultSkipStates);
  if (skipStates && statesKnown) {
    for (const state of skipStates.value) {
      if (!stateList.includes(state)) problems.push({ message: `unknown state "${state}" in "skip_states" (states: ${stateList.join(', ')})`, at: skipStates.at });
    }
  }
  const { known, defaultState } = hostStates(merged);
  const hosts = expandHosts(files, merged, known, defaultState, problems);

  const inventory: Inventory = {
    files: files.map((file) => resolve(file.path)),
    states: stateList,
    skipStates: skipList,
    hosts,
    hostsByName: new Map(hosts.map((host) => [host.name, host])),
    roles: new Map([...merged.roles].map(([name, { placed: _placed, ...role }]) => [name, role])),
    groups: new Map([...merged.groups].map(([name, group]) => [name, { name, selector: group.selector, definedAt: group.definedAt }])),
    checks: new Map([...merged.checks].map(([name, { valueAt: _valueAt, quoted: _quoted, ...check }]) => [name, check])),
  };
  if (merged.sshConfig) inventory.sshConfig = merged.sshConfig.value;
  if (merged.agents) inventory.agents = merged.agents.value;
  if (merged.profiles) inventory.profiles = merged.profiles;
  selectorProblems(inventory, merged, problems);
  return { inventory, merged };
}

/** The problems of the groups' and checks' selectors against the inventory's hosts. */
export function selectorProblems(inventory: Inventory, merged: Merged, problems: Problem[]): void {
  for (const group of merged.groups.values()) {
    selectorProblem(inventory, group.selector, group, `group "${group.name}"`, problems, group.name);
  }
  for (const check of merged.checks.values()) {
    selectorProblem(inventory, check.on, check, `check "${check.name}": "on"`, problems);
  }
}

/** A selector's problem at the column of the bad part, when the selector is written on one line as it is. */
function selectorProblem(inventory: Inventory, selector: string, written: WrittenSelector, what: string, problems: Problem[], group?: string): void {
  try {
    checkSelector(inventory, selector, group);
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    const at: SourceLocation = written.valueAt;
    const col = error.selector === selector && !selector.includes('\n') ? at.col + (written.quoted ? 1 : 0) + error.offset : at.col;
    problems.push({ message: `${what}: ${error.reason}`, at: { ...at, col } });
  }
}
