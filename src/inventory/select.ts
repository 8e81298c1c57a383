/**
 * Selectors: which hosts an operation is for. Grammar (DESIGN.md "Nodesets and
 * selectors"): atoms joined by `,` (union), `&` (intersection) and `!`
 * (exclusion), evaluated left to right as in clush, with parentheses. An atom is
 * `all`, `role:NAME`, `group:NAME`, `state:NAME`, `host:GLOB|NODESET`,
 * `KEY=VALUE` (on resolved vars; the value may be a glob), or a bare word: a
 * role, else a group, else a host name or nodeset of host names.
 */
import { SelectorError, UsageError } from '../core/errors.js';
import { expandNodeset, isNodesetPattern } from '../core/nodeset.js';
import type { Host, Inventory, Selection } from './types.js';

type Tree =
  | { kind: 'op'; op: ',' | '&' | '!'; left: Tree; right: Tree }
  | { kind: 'set'; indexes: number[]; broad: boolean }
  | { kind: 'all' }
  | { kind: 'group'; name: string }
  | { kind: 'vars'; key: string; match: (value: string) => boolean };

/** Lookups built once per inventory: selecting from 10,000 hosts should not rescan them per atom. */
interface Index {
  byName: Map<string, number>;
  byRole: Map<string, number[]>;
  byState: Map<string, number[]>;
  skip: Uint8Array;
  groups: Map<string, Tree>;
}

const indexes = new WeakMap<Inventory, Index>();

function indexOf(inventory: Inventory): Index {
  let index = indexes.get(inventory);
  if (index) return index;
  const skipStates = new Set(inventory.skipStates);
  index = { byName: new Map(), byRole: new Map(), byState: new Map(), skip: new Uint8Array(inventory.hosts.length), groups: new Map() };
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
 * fewer hosts. Hosts come back in inventory order.
 * Throws `SelectorError` (with the offset of the offending character) for a
 * selector that does not parse or names an unknown role, group, state or host.
 *
 * @example select(inventory, ['web&dc=tk1!web[001-003]']).hosts.map((h) => h.name)
 */
export function select(inventory: Inventory, selectors: string[], options: { allStates?: boolean } = {}): Selection {
  const index = indexOf(inventory);
  const trees = selectors.map((selector) => compile(inventory, index, selector, []));
  const picked = new Uint8Array(inventory.hosts.length);
  const named = new Uint8Array(inventory.hosts.length);
  for (const tree of trees) {
    or(picked, run(inventory, index, tree));
    markNamed(index, tree, named);
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

/** Marks the hosts a selector names host by host (not through a role, group pattern, glob or `all`). */
function markNamed(index: Index, tree: Tree, into: Uint8Array): void {
  switch (tree.kind) {
    case 'op':
      markNamed(index, tree.left, into);
      markNamed(index, tree.right, into);
      return;
    case 'set':
      if (!tree.broad) for (const i of tree.indexes) into[i] = 1;
      return;
    case 'group': {
      const inner = index.groups.get(tree.name);
      if (inner) markNamed(index, inner, into);
      return;
    }
    case 'all':
    case 'vars':
      return;
  }
}

/**
 * Checks that a selector parses and names only known things, without selecting.
 * Throws `SelectorError`. `group` is the group whose selector this is, so that a
 * group naming itself is caught.
 */
export function checkSelector(inventory: Inventory, selector: string, group?: string): void {
  compile(inventory, indexOf(inventory), selector, group === undefined ? [] : [group]);
}

function compile(inventory: Inventory, index: Index, selector: string, groupStack: string[]): Tree {
  let pos = 0;
  const fail = (offset: number, reason: string): never => {
    throw new SelectorError(selector, offset, reason);
  };
  const skipSpace = (): void => {
    while (pos < selector.length && /\s/.test(selector[pos] ?? '')) pos++;
  };
  const expression = (): Tree => {
    let tree = term();
    for (;;) {
      skipSpace();
      const c = selector[pos];
      if (c !== ',' && c !== '&' && c !== '!') return tree;
      pos++;
      tree = { kind: 'op', op: c, left: tree, right: term() };
    }
  };
  const term = (): Tree => {
    skipSpace();
    const c = selector[pos];
    if (c === '(') {
      const open = pos++;
      const inner = expression();
      skipSpace();
      if (selector[pos] !== ')') fail(pos < selector.length ? pos : open, pos < selector.length ? `expected ")" here` : 'unclosed "("');
      pos++;
      return inner;
    }
    if (c === '!') {
      // A leading exclusion means "everything but": `!web` is `all!web`.
      pos++;
      return { kind: 'op', op: '!', left: { kind: 'all' }, right: term() };
    }
    const start = pos;
    let depth = 0;
    while (pos < selector.length) {
      const ch = selector[pos] ?? '';
      if (ch === '[') depth++;
      else if (ch === ']') depth--;
      else if (depth === 0 && /[,&!()\s]/.test(ch)) break;
      pos++;
    }
    if (pos === start) {
      fail(start, c === undefined ? 'expected a role, group, host or KEY=VALUE at the end' : `expected a role, group, host or KEY=VALUE before "${c}"`);
    }
    return atom(selector.slice(start, pos), start);
  };
  const atom = (word: string, at: number): Tree => {
    const prefixed = /^([A-Za-z]+):(.*)$/.exec(word);
    if (prefixed) {
      const [, prefix = '', rest = ''] = prefixed;
      const restAt = at + prefix.length + 1;
      if (rest === '') fail(restAt, `"${prefix}:" needs a name after it`);
      switch (prefix) {
        case 'role':
          return role(rest, restAt) ?? fail(restAt, `no role named "${rest}"${known(inventory.roles.keys())}`);
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
    if (equals > 0) return { kind: 'vars', key: word.slice(0, equals), match: matcher(word.slice(equals + 1)) };
    if (word === 'all') return { kind: 'all' };
    return role(word, at) ?? group(word, at) ?? hosts(word, at, `"${word}" is not a role, group or host`);
  };
  const role = (name: string, _at: number): Tree | undefined =>
    inventory.roles.has(name) ? { kind: 'set', indexes: index.byRole.get(name) ?? [], broad: true } : undefined;
  const group = (name: string, at: number): Tree | undefined => {
    const found = inventory.groups.get(name);
    if (!found) return undefined;
    if (groupStack.includes(name)) fail(at, `group "${name}" refers to itself (${[...groupStack, name].join(' → ')})`);
    if (!index.groups.has(name)) {
      try {
        index.groups.set(name, compile(inventory, index, found.selector, [...groupStack, name]));
      } catch (error) {
        if (!(error instanceof SelectorError) || error.selector === selector) throw error;
        fail(at, `group "${name}" (${found.selector}): ${error.reason}`);
      }
    }
    return { kind: 'group', name };
  };
  const hosts = (pattern: string, at: number, unknown?: string): Tree => {
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
      if (i === undefined) fail(at, unknown ?? `no host named "${pattern}"`);
      return { kind: 'set', indexes: [i as number], broad: false };
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

  const tree = expression();
  skipSpace();
  if (pos < selector.length) fail(pos, selector[pos] === ')' ? 'unmatched ")"' : `unexpected "${selector[pos]}"`);
  return tree;
}

function known(names: Iterable<string>): string {
  const list = [...names];
  if (list.length === 0) return ' (there are none)';
  return ` (known: ${list.slice(0, 8).join(', ')}${list.length > 8 ? ', …' : ''})`;
}

function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`);
}

function matcher(expected: string): (value: string) => boolean {
  if (/[*?]/.test(expected)) {
    const re = globToRegExp(expected);
    return (value) => re.test(value);
  }
  return (value) => value === expected;
}

function matchesVar(value: unknown, match: (value: string) => boolean): boolean {
  if (value === undefined) return false;
  if (value === null) return match('');
  if (Array.isArray(value)) return value.some((item) => matchesVar(item, match));
  if (typeof value === 'object') return false;
  return match(String(value));
}

function run(inventory: Inventory, index: Index, tree: Tree): Uint8Array {
  const size = inventory.hosts.length;
  switch (tree.kind) {
    case 'op': {
      const left = run(inventory, index, tree.left);
      const right = run(inventory, index, tree.right);
      if (tree.op === ',') or(left, right);
      else if (tree.op === '&') for (let i = 0; i < size; i++) left[i] = (left[i] ?? 0) & (right[i] ?? 0);
      else for (let i = 0; i < size; i++) if (right[i]) left[i] = 0;
      return left;
    }
    case 'set': {
      const out = new Uint8Array(size);
      for (const i of tree.indexes) out[i] = 1;
      return out;
    }
    case 'all':
      return new Uint8Array(size).fill(1);
    case 'group': {
      const inner = index.groups.get(tree.name);
      return inner ? run(inventory, index, inner) : new Uint8Array(size);
    }
    case 'vars': {
      const out = new Uint8Array(size);
      inventory.hosts.forEach((host, i) => {
        if (Object.hasOwn(host.vars, tree.key) && matchesVar(host.vars[tree.key], tree.match)) out[i] = 1;
      });
      return out;
    }
  }
}

function or(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < into.length; i++) if (from[i]) into[i] = 1;
}
