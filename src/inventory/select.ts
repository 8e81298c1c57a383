/**
 * Selectors: which hosts an operation is for. Grammar (DESIGN.md "Nodesets and
 * selectors"): atoms joined by `,` (union), `&` (intersection) and `!`
 * (exclusion), evaluated left to right as in clush, with parentheses. An atom is
 * `all`, `role:NAME`, `group:NAME`, `state:NAME`, `host:GLOB|NODESET`,
 * `KEY=VALUE` (on resolved vars; the value may be a glob), `fact.KEY=VALUE` (on
 * the host's facts, through the caller's `facts` lookup: this layer reads no
 * files), or a bare word: a role, else a group, else a host name or nodeset of host names.
 *
 * selectorParse.ts turns the text into a postfix program; this file gives its
 * atoms their hosts, and hostSetProgram.ts runs it on a stack of host sets (one
 * byte per host), without recursion except through groups naming groups, whose depth has the
 * same limit as parentheses (`maxSelectorDepth`).
 */
import { SelectorError, UsageError } from '../core/errors.js';
import { expandNodeset, isNodesetPattern } from '../core/nodeset.js';
import { or, runProgram, type Operand } from './hostSetProgram.js';
import { globToRegExp, matcher, matching } from './selectMatch.js';
import { maxSelectorDepth, parseSelector, type Step } from './selectorParse.js';
import type { Host, Inventory, Selection } from './types.js';

/** What an atom of a selector stands for, once its names are checked. */
type Atom =
  | { kind: 'set'; indexes: readonly number[]; broad: boolean }
  | { kind: 'all' }
  | { kind: 'group'; name: string }
  | { kind: 'vars'; key: string; match: (value: string) => boolean }
  | { kind: 'fact'; key: string; match: (value: string) => boolean };

/**
 * A host's facts as dotted keys (`os.id`, `memory.total`, `addresses`: core/factsFlat.ts),
 * or undefined when none are known: such a host matches no `fact.` atom.
 */
export type FactsLookup = (host: Host) => Readonly<Record<string, unknown>> | undefined;

type Program = Step<Atom>[];

/** A group's hosts, evaluated once per inventory: which it picks, and which it names host by host. */
interface GroupHosts {
  picked: Uint8Array;
  named: Uint8Array;
}

/** Lookups built once per inventory: selecting from 10,000 hosts should not rescan them per atom. */
interface Index {
  byName: Map<string, number>;
  byRole: Map<string, number[]>;
  byState: Map<string, number[]>;
  skip: Uint8Array;
  /**
   * Each group's program, compiled (its names checked) once, how deep its groups nest (1: it
   * names none), and whether it (or a group it names) has a `fact.` atom.
   */
  groups: Map<string, Compiled>;
  /** Each group's hosts, evaluated once (not a group with `fact.` atoms: facts change between calls). */
  groupHosts: Map<string, GroupHosts>;
}

interface Compiled {
  program: Program;
  depth: number;
  usesFacts: boolean;
}

const indexes = new WeakMap<Inventory, Index>();

function indexOf(inventory: Inventory): Index {
  let index = indexes.get(inventory);
  if (index) return index;
  const skipStates = new Set(inventory.skipStates);
  index = { byName: new Map(), byRole: new Map(), byState: new Map(), skip: new Uint8Array(inventory.hosts.length), groups: new Map(), groupHosts: new Map() };
  inventory.hosts.forEach((host, i) => {
    index.byName.set(host.name, i);
    for (const role of host.roles) push(index.byRole, role, i);
    push(index.byState, host.state, i);
    if (skipStates.has(host.state)) index.skip[i] = 1;
  });
  indexes.set(inventory, index);
  return index;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Picks hosts. Several selectors are a union. Hosts whose state is in
 * `skip_states` are left out of the result (and listed in `skipped`) unless
 * `allStates`, or unless the selector names them host by host (a host name or
 * nodeset, `host:NAME`, `state:NAME`, also inside a group). The operators work on
 * the whole fleet first and the skip rule applies once, to the result: so
 * `db1!dc=tk1` drops db1 whatever its state, and `--all-states` never selects
 * fewer hosts. Hosts come back in inventory order. `fact.KEY=VALUE` atoms ask
 * `options.facts` (without it, or for a host it knows nothing of, they match no host).
 * Throws `SelectorError` (with the offset of the offending character) for a
 * selector that does not parse or names an unknown role, group, state or host.
 *
 * @example select(inventory, ['web&dc=tk1!web[001-003]']).hosts.map((h) => h.name)
 */
export function select(inventory: Inventory, selectors: string[], options: SelectOptions = {}): Selection {
  const index = indexOf(inventory);
  const programs = selectors.map((selector) => compileOuter(inventory, selector, []));
  const picked = new Uint8Array(inventory.hosts.length);
  const named = new Uint8Array(inventory.hosts.length);
  for (const program of programs) {
    or(picked, evaluate(inventory, index, program, options.facts));
    markNamed(inventory, index, program, named, options.facts);
  }
  const hosts: Host[] = [];
  const skipped: Host[] = [];
  inventory.hosts.forEach((host, i) => {
    if (!picked[i]) return;
    if (options.allStates || !index.skip[i] || named[i]) hosts.push(host);
    else skipped.push(host);
  });
  return { hosts, skipped };
}

/** The options of `select`. */
export interface SelectOptions {
  allStates?: boolean;
  /** What `fact.KEY=VALUE` atoms look at. */
  facts?: FactsLookup | undefined;
}

/** Marks the hosts a selector names host by host (not through a role, group pattern, glob or `all`). */
function markNamed(inventory: Inventory, index: Index, program: Program, into: Uint8Array, facts: FactsLookup | undefined): void {
  for (const step of program) {
    if (step.kind !== 'atom') continue;
    const atom = step.atom;
    if (atom.kind === 'set' && !atom.broad) for (const i of atom.indexes) into[i] = 1;
    else if (atom.kind === 'group') or(into, groupHosts(inventory, index, atom.name, facts).named);
  }
}

/**
 * Checks that a selector parses and names only known things, without selecting.
 * Throws `SelectorError`. `group` is the group whose selector this is, so that a
 * group naming itself is caught.
 */
export function checkSelector(inventory: Inventory, selector: string, group?: string): void {
  compileOuter(inventory, selector, group === undefined ? [] : [group]);
}

/**
 * Groups nested too deep. Said once, about the outermost selector, not
 * wrapped in every group of the chain: each group on the way out only moves
 * `at` to where it was named (one error for the whole chain, since a
 * thousand-group chain would otherwise build a thousand errors and stacks).
 */
class NestingError extends Error {
  constructor(
    public at: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** `compile` for `select` and `checkSelector`: a chain of groups too deep becomes a `SelectorError` about `selector`. */
function compileOuter(inventory: Inventory, selector: string, groupStack: string[]): Program {
  try {
    return compile(inventory, indexOf(inventory), selector, groupStack).program;
  } catch (error) {
    if (error instanceof NestingError) throw new SelectorError(selector, error.at, error.reason);
    throw error;
  }
}

/**
 * The program of `selector`, its atoms checked, and how deep the groups it
 * names nest. `groupStack` is the chain of groups being compiled (this
 * selector is the last one's), to catch a group naming itself and a chain
 * deeper than `maxSelectorDepth`.
 */
function compile(inventory: Inventory, index: Index, selector: string, groupStack: string[]): Compiled {
  const fail = (offset: number, reason: string): never => {
    throw new SelectorError(selector, offset, reason);
  };
  let depth = 0;
  let usesFacts = false;
  const atom = (word: string, at: number): Atom => {
    const prefixed = /^([A-Za-z]+):(.*)$/.exec(word);
    if (prefixed) {
      const [, prefix = '', rest = ''] = prefixed;
      const restAt = at + prefix.length + 1;
      if (rest === '') fail(restAt, `"${prefix}:" needs a name after it`);
      switch (prefix) {
        case 'role':
          return role(rest) ?? fail(restAt, `no role named "${rest}"${known(inventory.roles.keys())}`);
        case 'group':
          return group(rest, restAt) ?? fail(restAt, `no group named "${rest}"${known(inventory.groups.keys())}`);
        case 'state': {
          if (!inventory.states.includes(rest)) fail(restAt, `no state named "${rest}"${known(inventory.states)}`);
          return { kind: 'set', indexes: index.byState.get(rest) ?? [], broad: false };
        }
        case 'host':
          return hosts(rest, restAt);
        default:
          return fail(at, `unknown prefix "${prefix}:" (use role:, group:, state:, host:, or KEY=VALUE)`);
      }
    }
    const equals = word.indexOf('=');
    if (equals === 0) fail(at, 'KEY=VALUE needs a key');
    if (equals > 0) {
      const key = word.slice(0, equals);
      if (!key.startsWith('fact.')) return { kind: 'vars', key, match: matcher(word.slice(equals + 1)) };
      if (key === 'fact.') fail(at, 'fact.KEY=VALUE needs a key after "fact." (e.g. fact.os.id=debian)');
      usesFacts = true;
      return { kind: 'fact', key: key.slice('fact.'.length), match: matcher(word.slice(equals + 1)) };
    }
    if (word === 'all') return { kind: 'all' };
    return role(word) ?? group(word, at) ?? hosts(word, at, `"${word}" is not a role, group or host`);
  };
  const role = (name: string): Atom | undefined =>
    inventory.roles.has(name) ? { kind: 'set', indexes: index.byRole.get(name) ?? [], broad: true } : undefined;
  const group = (name: string, at: number): Atom | undefined => {
    const found = inventory.groups.get(name);
    if (!found) return undefined;
    if (groupStack.includes(name)) fail(at, `group "${name}" refers to itself (${[...groupStack, name].join(' → ')})`);
    let compiled = index.groups.get(name);
    if (!compiled) {
      const chain = [...groupStack, name];
      // Checked before compiling it, so that a chain of thousands of groups is not followed (recursively) to its end.
      if (chain.length > maxSelectorDepth) throw new NestingError(at, nestingReason([...chain, '…']));
      try {
        compiled = compile(inventory, index, found.selector, chain);
      } catch (error) {
        if (error instanceof NestingError) {
          error.at = at;
          throw error;
        }
        if (!(error instanceof SelectorError) || error.selector === selector) throw error;
        return fail(at, `group "${name}" (${excerpt(found.selector)}): ${error.reason}`);
      }
      index.groups.set(name, compiled);
    }
    // A group compiled earlier from a shallower place may still make this chain too deep.
    if (groupStack.length + compiled.depth > maxSelectorDepth) throw new NestingError(at, nestingReason([...groupStack, name, '…']));
    depth = Math.max(depth, compiled.depth);
    usesFacts ||= compiled.usesFacts;
    return { kind: 'group', name };
  };
  const hosts = (pattern: string, at: number, unknown?: string): Atom => {
    if (/[*?]/.test(pattern)) {
      const re = globToRegExp(pattern);
      const picked: number[] = [];
      inventory.hosts.forEach((host, i) => {
        if (re.test(host.name)) picked.push(i);
      });
      return { kind: 'set', indexes: picked, broad: true };
    }
    if (!isNodesetPattern(pattern)) {
      const i = index.byName.get(pattern);
      if (i === undefined) return fail(at, unknown ?? `no host named "${pattern}"`);
      return { kind: 'set', indexes: [i], broad: false };
    }
    let names: string[];
    try {
      names = expandNodeset(pattern);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const offset = /at offset (\d+)/.exec(error.message);
      return fail(at + Number(offset?.[1] ?? 0), error.message.replace(/^Invalid nodeset "[^"]*" at offset \d+: /, 'bad nodeset: '));
    }
    const picked: number[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const i = index.byName.get(name);
      if (i === undefined) missing.push(name);
      else picked.push(i);
    }
    if (missing.length > 0) fail(at, `no host named ${missing.slice(0, 3).map((name) => `"${name}"`).join(', ')}${missing.length > 3 ? ` (and ${missing.length - 3} more)` : ''}`);
    return { kind: 'set', indexes: picked, broad: false };
  };
  const program = parseSelector(selector, atom);
  return { program, depth: depth + (groupStack.length > 0 ? 1 : 0), usesFacts };
}

function nestingReason(chain: string[]): string {
  const shown = chain.length > 6 ? [...chain.slice(0, 3), '…', ...chain.slice(-2)] : chain;
  return `groups nested more than ${maxSelectorDepth} deep (${shown.join(' → ')})`;
}

/** A selector quoted in a message about another one: a 6,000-name group is not repeated whole. */
function excerpt(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57)}…`;
}

function known(names: Iterable<string>): string {
  const list = [...names];
  if (list.length === 0) return ' (there are none)';
  return ` (known: ${list.slice(0, 8).join(', ')}${list.length > 8 ? ', …' : ''})`;
}

function evaluate(inventory: Inventory, index: Index, program: Program, facts: FactsLookup | undefined): Uint8Array {
  return runProgram(program, inventory.hosts.length, (atom) => operand(inventory, index, atom, facts));
}

function operand(inventory: Inventory, index: Index, atom: Atom, facts: FactsLookup | undefined): Operand {
  switch (atom.kind) {
    case 'set':
      return atom.indexes;
    case 'all':
      return new Uint8Array(inventory.hosts.length).fill(1);
    case 'group':
      return groupHosts(inventory, index, atom.name, facts).picked.slice();
    case 'vars':
      return matching(inventory.hosts, (host) => host.vars, atom);
    case 'fact':
      return matching(inventory.hosts, (host) => facts?.(host), atom);
  }
}

/** A group's hosts, evaluated on first use (recursion here is bounded: groups nest at most `maxSelectorDepth` deep). */
function groupHosts(inventory: Inventory, index: Index, name: string, facts: FactsLookup | undefined): GroupHosts {
  let found = index.groupHosts.get(name);
  if (found) return found;
  const compiled = index.groups.get(name);
  const program = compiled?.program ?? [];
  const named = new Uint8Array(inventory.hosts.length);
  markNamed(inventory, index, program, named, facts);
  found = { picked: program.length > 0 ? evaluate(inventory, index, program, facts) : new Uint8Array(inventory.hosts.length), named };
  if (!compiled?.usesFacts) index.groupHosts.set(name, found);
  return found;
}
