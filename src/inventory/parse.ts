/**
 * Turns inventory YAML into an `Inventory`: parse (with positions), validate each
 * file against the schema, merge the files, expand host patterns, resolve vars
 * with provenance, and check everything that spans files (duplicates, unknown
 * roles and states, selectors in groups and checks). Every problem is collected
 * and reported at once, each with its file:line:col.
 */
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { InvalidFileError, SelectorError, UsageError, type Problem, type SourceLocation } from '../core/errors.js';
import { expandNodeset, foldNodeset, isNodesetPattern } from '../core/nodeset.js';
import { inventoryFileSchema, namePattern, type HostEntry, type InventoryFile } from './schema.js';
import { checkSelector } from './select.js';
import { findPair, keyText, yamlOffset } from './yamlPath.js';
import type { Check, Group, Host, Inventory, Provenance, Role, VarValue } from './types.js';

/** One inventory file's text, with the path used in messages and to resolve `ssh_config`. */
export interface InventorySource {
  path: string;
  text: string;
}

/** Used when the inventory declares no `states`. */
export const defaultStates = ['ok', 'warn', 'stop'];
/** Used when the inventory declares neither `states` nor `skip_states`. */
export const defaultSkipStates = ['stop'];

const collections = new Set(['roles', 'groups', 'hosts', 'checks']);

interface ParsedFile {
  path: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The parts of the file that passed the schema (entries with problems are dropped, so they cause no follow-on errors). */
  data: InventoryFile;
  /** Top-level keys dropped for schema problems: checks that depend on them are skipped. */
  broken: Set<string>;
  /** Roles declared (even if their body had problems), so hosts naming them raise no second error. */
  declaredRoles: Set<string>;
}

/** A value with the place it was written. */
interface Placed<T> {
  value: T;
  at: SourceLocation;
}

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
  const problems: Problem[] = [];
  const files: ParsedFile[] = [];
  for (const source of sources) {
    const file = readSource(source, problems);
    if (file) files.push(file);
  }
  const inventory = build(files, problems);
  if (problems.length > 0) {
    const order = new Map(sources.map((source, i) => [source.path, i]));
    problems.sort((a, b) => (order.get(a.at?.file ?? '') ?? -1) - (order.get(b.at?.file ?? '') ?? -1) || (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0));
    throw new InvalidFileError('inventory', problems);
  }
  return inventory;
}

function readSource(source: InventorySource, problems: Problem[]): ParsedFile | undefined {
  const lines = new LineCounter();
  // yaml's own unique-key check is quadratic in the size of a map (seconds for a 10,000-host
  // `hosts:`), so it is off and checkKeys() does the same in one pass.
  const doc = parseDocument(source.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const where = (offset: number): SourceLocation => ({ file: source.path, ...lines.linePos(offset) });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) problems.push({ message: `YAML: ${error.message.split('\n')[0]}`, at: where(error.pos[0]) });
    return undefined;
  }
  const { duplicates, reserved } = checkKeys(doc);
  if (duplicates.length > 0) {
    for (const [key, offset, first] of duplicates) problems.push({ message: `YAML: key "${key}" appears twice in the same mapping`, at: where(offset), also: where(first) });
    return undefined;
  }
  if (reserved.length > 0) {
    // The validator drops such keys without a word: a host or var named so would silently vanish.
    for (const offset of reserved) problems.push({ message: 'the key "__proto__" cannot be used (as a host, role, group, state or var name)', at: where(offset) });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
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
  const file: ParsedFile = { path: source.path, doc, lines, data: {}, broken: new Set(), declaredRoles: new Set() };
  const result = inventoryFileSchema.safeParse(raw);
  if (result.success) {
    file.data = result.data;
  } else {
    const data = raw as Record<string, unknown>;
    if (isRecord(data['roles'])) for (const role of Object.keys(data['roles'])) file.declaredRoles.add(role);
    for (const issue of result.error.issues) {
      problems.push(...describeIssue(file, issue, raw));
      prune(data, issue, file.broken);
    }
    file.data = data as InventoryFile;
  }
  return file;
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
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
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

/**
 * Drops the smallest part of a file that a schema problem makes unusable, so the
 * rest can still be checked (and its problems reported) in the same pass: a bad
 * field of a host or role, a whole check, a whole top-level list. Unknown keys
 * drop nothing, since only known keys are read.
 */
function prune(data: Record<string, unknown>, issue: z.core.$ZodIssue, broken: Set<string>): void {
  const path = issue.path.map(String);
  const [top, entry, field] = path;
  if (top === undefined || (issue.code === 'unrecognized_keys' && path.length < 3 && collections.has(top)) || (issue.code === 'unrecognized_keys' && path.length < 2)) return;
  const container = data[top];
  if (collections.has(top) && entry !== undefined && isRecord(container)) {
    const item = container[entry];
    if (field !== undefined && top !== 'checks' && isRecord(item)) delete item[field];
    // A role with problems stays declared (empty), so hosts and selectors naming it raise no second error.
    else if (top === 'roles') container[entry] = {};
    else delete container[entry];
    return;
  }
  if (top === 'defaults' && entry !== undefined && isRecord(container)) {
    delete container[entry];
    return;
  }
  delete data[top];
  broken.add(top);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeIssue(file: ParsedFile, issue: z.core.$ZodIssue, raw: unknown): Problem[] {
  const path = issue.path.map(String);
  let input: unknown = raw;
  for (const segment of path) input = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[segment] : undefined;
  const named = path.length > 0 ? `"${path.join('.')}"` : 'the file';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      message: `unknown key "${key}"${path.length > 0 ? ` in ${named}` : ''}${allowedKeys(path)}`,
      at: locate(file, [...path, key], 'key'),
    }));
  }
  let message: string;
  switch (issue.code) {
    case 'invalid_type':
      message = input === undefined ? `${named} is required` : `${named} must be ${article(issue.expected)}, not ${describe(input)}`;
      break;
    case 'invalid_key':
      message = `${named}: ${issue.issues[0]?.message ?? 'invalid name'}`;
      return [{ message, at: locate(file, path, 'key') }];
    case 'invalid_value':
      message = `${named} must be ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
      break;
    case 'too_small':
    case 'too_big':
      message = issue.origin === 'array' && issue.code === 'too_small' ? `${named} must not be empty` : `${named}: ${issue.message.replace(/^Too (small|big): expected (number|int) to be /, 'must be ')}`;
      break;
    default:
      message = `${named}: ${issue.message}`;
  }
  return [{ message, at: locate(file, path, 'value') }];
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'record' || type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(input: unknown): string {
  if (input === null) return 'empty';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}

const keysOf: Record<string, string[]> = {
  '': ['version', 'defaults', 'states', 'skip_states', 'roles', 'groups', 'hosts', 'ssh_config', 'checks'],
  defaults: ['user', 'port', 'vars'],
  roles: ['description', 'vars'],
  hosts: ['roles', 'address', 'user', 'port', 'state', 'note', 'vars'],
  checks: ['command', 'on', 'description'],
};

function allowedKeys(path: string[]): string {
  const keys = path.length === 0 ? keysOf[''] : path.length === 1 ? keysOf[path[0] ?? ''] : path.length === 2 ? keysOf[path[0] ?? ''] : undefined;
  return keys ? ` (allowed: ${keys.join(', ')})` : '';
}

/** The place of a path in a file: the key's position, or the value's; the deepest existing node when the path goes further. */
function locate(file: ParsedFile, path: string[], want: 'key' | 'value'): SourceLocation {
  return place(file, yamlOffset(file.doc, path, want));
}

function place(file: ParsedFile, offset: number): SourceLocation {
  return { file: file.path, ...file.lines.linePos(offset) };
}

/** The pairs of the mapping at `key` of the file's root (empty when absent or not a mapping). */
function section(file: ParsedFile, key: string): Pair[] {
  const root = file.doc.contents;
  if (!isMap(root)) return [];
  const value = findPair(root, key)?.value;
  return isMap(value) ? (value.items as Pair[]) : [];
}

function keyAt(file: ParsedFile, pair: Pair): SourceLocation {
  return place(file, (pair.key as Node | null)?.range?.[0] ?? 0);
}

function valueAt(file: ParsedFile, pair: Pair): SourceLocation {
  return place(file, (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? 0);
}

/** The pairs of a mapping node, by key text. */
function childPairs(node: unknown): Map<string, Pair> {
  const out = new Map<string, Pair>();
  if (isMap(node)) for (const pair of node.items as Pair[]) out.set(keyText(pair), pair);
  return out;
}

/** Vars of a mapping with the place of each key. */
function placedVars(file: ParsedFile, node: unknown, values: Record<string, VarValue> | undefined): Map<string, Placed<VarValue>> {
  const out = new Map<string, Placed<VarValue>>();
  if (!values || !isMap(node)) return out;
  for (const pair of node.items as Pair[]) {
    const key = keyText(pair);
    if (Object.hasOwn(values, key)) out.set(key, { value: values[key] as VarValue, at: keyAt(file, pair) });
  }
  return out;
}

/** Records a once-only top-level setting; a second definition is a problem naming both places. */
function once<T>(slot: { current?: Placed<T> }, value: T | undefined, at: SourceLocation, what: string, problems: Problem[]): void {
  if (value === undefined) return;
  if (slot.current) problems.push({ message: `${what} is defined twice`, at, also: slot.current.at });
  else slot.current = { value, at };
}

function build(files: ParsedFile[], problems: Problem[]): Inventory {
  const states: { current?: Placed<string[]> } = {};
  const skipStates: { current?: Placed<string[]> } = {};
  const sshConfig: { current?: Placed<string> } = {};
  const user: { current?: Placed<string> } = {};
  const port: { current?: Placed<number> } = {};
  const version: { current?: Placed<number> } = {};
  const defaultVars = new Map<string, Placed<VarValue>>();
  const roles = new Map<string, Role & { placed: Map<string, Placed<VarValue>> }>();
  const groups = new Map<string, Group & { valueAt: SourceLocation; quoted: boolean }>();
  const checks = new Map<string, Check & { onAt: SourceLocation; quoted: boolean }>();
  const declaredRoles = new Set<string>();
  let statesKnown = true;
  let rolesKnown = true;

  for (const file of files) {
    const { data } = file;
    const root = childPairs(file.doc.contents);
    const topAt = (key: string): SourceLocation => {
      const pair = root.get(key);
      return pair ? keyAt(file, pair) : place(file, 0);
    };
    // Every file of a folder may say `version: 1`; only the other settings are once-only.
    if (data.version !== undefined) version.current ??= { value: data.version, at: topAt('version') };
    once(states, data.states, topAt('states'), '"states"', problems);
    once(skipStates, data.skip_states, topAt('skip_states'), '"skip_states"', problems);
    if (data.ssh_config !== undefined) once(sshConfig, resolve(dirname(resolve(file.path)), data.ssh_config), topAt('ssh_config'), '"ssh_config"', problems);
    if (file.broken.has('states') || file.broken.has('skip_states')) statesKnown = false;
    for (const role of file.declaredRoles) declaredRoles.add(role);
    if (file.broken.has('roles')) rolesKnown = false;

    const defaults = childPairs(root.get('defaults')?.value);
    const defaultAt = (key: string): SourceLocation => {
      const pair = defaults.get(key);
      return pair ? keyAt(file, pair) : topAt('defaults');
    };
    once(user, data.defaults?.user, defaultAt('user'), '"defaults.user"', problems);
    once(port, data.defaults?.port, defaultAt('port'), '"defaults.port"', problems);
    for (const [key, placed] of placedVars(file, defaults.get('vars')?.value, data.defaults?.vars)) {
      const first = defaultVars.get(key);
      if (first) problems.push({ message: `"defaults.vars.${key}" is defined twice`, at: placed.at, also: first.at });
      else defaultVars.set(key, placed);
    }

    for (const pair of section(file, 'roles')) {
      const name = keyText(pair);
      if (!data.roles || !Object.hasOwn(data.roles, name)) continue;
      const spec = data.roles[name] ?? {};
      const at = keyAt(file, pair);
      const first = roles.get(name);
      if (first) {
        problems.push({ message: `role "${name}" is defined twice`, at, also: first.definedAt });
        continue;
      }
      const placed = placedVars(file, childPairs(pair.value).get('vars')?.value, spec.vars);
      const role: Role & { placed: Map<string, Placed<VarValue>> } = { name, vars: spec.vars ?? {}, definedAt: at, placed };
      if (spec.description !== undefined) role.description = spec.description;
      roles.set(name, role);
    }

    for (const pair of section(file, 'groups')) {
      const name = keyText(pair);
      const selector = data.groups?.[name];
      if (selector === undefined || !Object.hasOwn(data.groups ?? {}, name)) continue;
      const at = keyAt(file, pair);
      const first = groups.get(name);
      if (first) problems.push({ message: `group "${name}" is defined twice`, at, also: first.definedAt });
      else groups.set(name, { name, selector, definedAt: at, valueAt: valueAt(file, pair), quoted: isQuoted(pair.value) });
    }

    for (const pair of section(file, 'checks')) {
      const name = keyText(pair);
      const spec = data.checks?.[name];
      if (!spec || !Object.hasOwn(data.checks ?? {}, name)) continue;
      const at = keyAt(file, pair);
      const first = checks.get(name);
      if (first) {
        problems.push({ message: `check "${name}" is defined twice`, at, also: first.definedAt });
        continue;
      }
      const onPair = childPairs(pair.value).get('on');
      const check: Check & { onAt: SourceLocation; quoted: boolean } = {
        name, command: spec.command, on: spec.on ?? 'all', definedAt: at,
        onAt: onPair ? valueAt(file, onPair) : at, quoted: onPair ? isQuoted(onPair.value) : false,
      };
      if (spec.description !== undefined) check.description = spec.description;
      checks.set(name, check);
    }
  }

  const stateList = states.current?.value ?? defaultStates;
  const skipList = skipStates.current?.value ?? (states.current ? [] : defaultSkipStates);
  if (skipStates.current && statesKnown) {
    skipStates.current.value.forEach((state) => {
      if (!stateList.includes(state)) problems.push({ message: `unknown state "${state}" in "skip_states" (states: ${stateList.join(', ')})`, at: skipStates.current?.at as SourceLocation });
    });
  }

  const hosts = buildHosts(files, { roles, declaredRoles, rolesKnown, defaultVars, user: user.current, port: port.current, states: statesKnown ? stateList : undefined, statesAt: states.current?.at }, problems);

  const inventory: Inventory = {
    files: files.map((file) => resolve(file.path)),
    states: stateList,
    skipStates: skipList,
    hosts,
    hostsByName: new Map(hosts.map((host) => [host.name, host])),
    roles: new Map([...roles].map(([name, { placed: _placed, ...role }]) => [name, role])),
    groups: new Map([...groups].map(([name, group]) => [name, { name, selector: group.selector, definedAt: group.definedAt }])),
    checks: new Map([...checks].map(([name, { onAt: _onAt, quoted: _quoted, ...check }]) => [name, check])),
  };
  if (sshConfig.current) inventory.sshConfig = sshConfig.current.value;

  for (const group of groups.values()) {
    selectorProblem(inventory, group.selector, group.valueAt, group.quoted, `group "${group.name}"`, problems, group.name);
  }
  for (const check of checks.values()) {
    selectorProblem(inventory, check.on, check.onAt, check.quoted, `check "${check.name}": "on"`, problems);
  }
  return inventory;
}

function isQuoted(node: unknown): boolean {
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
}

function selectorProblem(inventory: Inventory, selector: string, at: SourceLocation, quoted: boolean, what: string, problems: Problem[], group?: string): void {
  try {
    checkSelector(inventory, selector, group);
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error;
    const col = error.selector === selector && !selector.includes('\n') ? at.col + (quoted ? 1 : 0) + error.offset : at.col;
    problems.push({ message: `${what}: ${error.reason}`, at: { ...at, col } });
  }
}

interface Context {
  roles: Map<string, Role & { placed: Map<string, Placed<VarValue>> }>;
  declaredRoles: Set<string>;
  /** False when a file's `roles` itself had problems: then host roles are not checked. */
  rolesKnown: boolean;
  defaultVars: Map<string, Placed<VarValue>>;
  user: Placed<string> | undefined;
  port: Placed<number> | undefined;
  /** Undefined when `states` itself had problems: then host states are not checked. */
  states: string[] | undefined;
  statesAt: SourceLocation | undefined;
}

const hostNamePattern = namePattern;

function buildHosts(files: ParsedFile[], context: Context, problems: Problem[]): Host[] {
  const hosts: Host[] = [];
  const byName = new Map<string, Host>();
  const byAddress = new Map<string, Host>();
  const defaultState = context.states?.[0] ?? defaultStates[0] ?? 'ok';
  const stateProvenance: Provenance = { layer: 'defaults', at: context.statesAt ?? { file: files[0]?.path ?? '', line: 1, col: 1 } };
  const basePlaced = new Map(context.defaultVars);

  for (const file of files) {
    for (const pair of section(file, 'hosts')) {
      const pattern = keyText(pair);
      if (!file.data.hosts || !Object.hasOwn(file.data.hosts, pattern)) continue;
      const spec: HostEntry = file.data.hosts[pattern] ?? {};
      const at = keyAt(file, pair);
      const fields = childPairs(pair.value);
      const fieldAt = (key: string): SourceLocation => {
        const field = fields.get(key);
        return field ? keyAt(file, field) : at;
      };

      let names: string[];
      try {
        names = expandNodeset(pattern);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        problems.push({ message: `bad host pattern: ${error.message}`, at });
        continue;
      }
      const badName = names.find((name) => !hostNamePattern.test(name));
      if (badName !== undefined) {
        problems.push({ message: `host name "${badName}" may use only letters, digits, "_", "." and "-" (and not start with "." or "-")`, at });
        continue;
      }

      let addresses: string[] | undefined;
      if (spec.address !== undefined) {
        if (isNodesetPattern(spec.address)) {
          try {
            addresses = expandNodeset(spec.address);
          } catch (error) {
            if (!(error instanceof UsageError)) throw error;
            problems.push({ message: `bad address pattern: ${error.message}`, at: valueAt(file, fields.get('address') as Pair) });
          }
          if (addresses && addresses.length !== names.length) {
            problems.push({ message: `address pattern "${spec.address}" makes ${addresses.length} addresses but host pattern "${pattern}" makes ${names.length} hosts`, at: valueAt(file, fields.get('address') as Pair) });
            addresses = undefined;
          }
        } else if (names.length > 1) {
          problems.push({ message: `address "${spec.address}" would be shared by the ${names.length} hosts of "${pattern}": give an address pattern of the same size (e.g. 192.0.2.[1-${names.length}])`, at: valueAt(file, fields.get('address') as Pair) });
        } else {
          addresses = [spec.address];
        }
      }

      const roleNames = spec.roles ?? [];
      const rolesNode = fields.get('roles')?.value;
      roleNames.forEach((role, i) => {
        if (!context.rolesKnown || context.roles.has(role) || context.declaredRoles.has(role)) return;
        const item = isSeq(rolesNode) ? (rolesNode.items[i] as Node | undefined) : undefined;
        const list = [...context.roles.keys()];
        problems.push({ message: `unknown role "${role}" (${list.length > 0 ? `roles: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}` : 'no roles are declared'})`, at: item ? place(file, item.range?.[0] ?? 0) : fieldAt('roles') });
      });
      if (spec.state !== undefined && context.states && !context.states.includes(spec.state)) {
        problems.push({ message: `unknown state "${spec.state}" (states: ${context.states.join(', ')})`, at: valueAt(file, fields.get('state') as Pair) });
      }

      // Resolve once per entry; every host of a pattern shares the result (copied, so hosts stay independent).
      const placed = new Map(basePlaced);
      const provenance: Record<string, Provenance> = {};
      const vars: Record<string, VarValue> = {};
      const layers = new Map<string, Provenance['layer']>();
      for (const key of placed.keys()) layers.set(key, 'defaults');
      for (const role of roleNames) {
        for (const [key, value] of context.roles.get(role)?.placed ?? []) {
          placed.set(key, value);
          layers.set(key, `role:${role}`);
        }
      }
      for (const [key, value] of placedVars(file, fields.get('vars')?.value, spec.vars)) {
        placed.set(key, value);
        layers.set(key, 'host');
      }
      for (const [key, value] of placed) {
        setOwn(vars, key, value.value);
        setOwn(provenance, key, { layer: layers.get(key) ?? 'host', at: value.at });
      }
      const fixed: Record<string, Provenance> = {};
      const hostLayer = (key: string): Provenance => ({ layer: 'host', at: fieldAt(key) });
      if (spec.user !== undefined) fixed['user'] = hostLayer('user');
      else if (context.user) fixed['user'] = { layer: 'defaults', at: context.user.at };
      if (spec.port !== undefined) fixed['port'] = hostLayer('port');
      else if (context.port) fixed['port'] = { layer: 'defaults', at: context.port.at };
      fixed['state'] = spec.state !== undefined ? hostLayer('state') : stateProvenance;
      if (spec.note !== undefined) fixed['note'] = hostLayer('note');
      fixed['address'] = spec.address !== undefined ? hostLayer('address') : { layer: 'host', at };
      const userValue = spec.user ?? context.user?.value;
      const portValue = spec.port ?? context.port?.value;

      // Shared by every host of the entry, and frozen: provenance describes the file, not the host.
      const sharedProvenance: Record<string, Provenance> = Object.freeze({ ...provenance, ...fixed });
      const duplicates = new Map<Host, string[]>();
      const sharedAddress = new Map<Host, string[]>();
      names.forEach((name, i) => {
        const host: Host = {
          name,
          address: addresses?.[i] ?? name,
          roles: [...roleNames],
          state: spec.state ?? defaultState,
          vars: { ...vars },
          provenance: sharedProvenance,
          definedAt: at,
        };
        if (userValue !== undefined) host.user = userValue;
        if (portValue !== undefined) host.port = portValue;
        if (spec.note !== undefined) host.note = spec.note;
        const first = byName.get(name);
        if (first) {
          duplicates.set(first, [...(duplicates.get(first) ?? []), name]);
          return;
        }
        byName.set(name, host);
        const addressKey = `${host.address}:${host.port ?? 22}`;
        const owner = byAddress.get(addressKey);
        if (owner) sharedAddress.set(owner, [...(sharedAddress.get(owner) ?? []), `${name} (${host.address})`]);
        else byAddress.set(addressKey, host);
        hosts.push(host);
      });
      // One problem per earlier entry clashed with, not one per host: a pattern defined twice is one mistake.
      for (const [first, clash] of groupByEntry(duplicates)) {
        problems.push({ message: `host ${clash.length === 1 ? `"${clash[0]}" is` : `${foldNodeset(clash)} (${clash.length} hosts) are`} defined twice`, at, also: first.definedAt });
      }
      for (const [first, clash] of groupByEntry(sharedAddress)) {
        problems.push({ message: `address of ${clash.length === 1 ? `host ${clash[0]}` : `${clash.length} hosts (${clash.slice(0, 3).join(', ')}${clash.length > 3 ? ', …' : ''})`} is already used by host "${first.name}"`, at: fields.get('address') ? valueAt(file, fields.get('address') as Pair) : at, also: first.provenance['address']?.at ?? first.definedAt });
      }
    }
  }
  return hosts;
}

/** Sets an own property, even one named `__proto__` (which plain assignment would turn into a prototype change). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Groups clashes by the entry (definedAt) of the host clashed with. */
function groupByEntry(clashes: Map<Host, string[]>): [Host, string[]][] {
  const byEntry = new Map<SourceLocation, [Host, string[]]>();
  for (const [host, names] of clashes) {
    const found = byEntry.get(host.definedAt);
    if (found) found[1].push(...names);
    else byEntry.set(host.definedAt, [host, [...names]]);
  }
  return [...byEntry.values()];
}
