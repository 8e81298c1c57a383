/**
 * Merging the files of an inventory: each top-level setting may come from any
 * file but only from one; roles, groups, checks and default vars are united,
 * and a name defined twice is a problem naming both places.
 */
import { dirname, resolve } from 'node:path';
import { isScalar, type Pair } from 'yaml';
import type { Problem, SourceLocation } from '../core/errors.js';
import type { ParsedFile } from './inventoryFile.js';
import { childPairs, keyPosition, placedEntries, positionAt, section, sectionOf, valuePosition, type Placed } from './sourcePosition.js';
import { keyText } from './yamlPath.js';
import type { AgentsFileSection } from './schema.js';
// zod leaves absent optional keys out (never `key: undefined`), so its data is these types as they are.
import type { AgentsSettings, Check, Group, ManagedFileSpec, ProfileSpec, ProvisionDefaults, Role, Section, VarValue } from './types.js';

/** A role with the place of each of its vars (for provenance). */
export type PlacedRole = Role & { placed: Map<string, Placed<VarValue>> };

/** A selector as written: where its value is, and whether it is quoted (which shifts its columns by one). */
export interface WrittenSelector {
  valueAt: SourceLocation;
  quoted: boolean;
}

/** What all files together say, each value with its place. */
export interface Merged {
  version?: Placed<number>;
  states?: Placed<string[]>;
  skipStates?: Placed<string[]>;
  sshConfig?: Placed<string>;
  agents?: Placed<AgentsSettings>;
  profiles?: Section<Record<string, ProfileSpec>>;
  user?: Placed<string>;
  port?: Placed<number>;
  defaultVars: Map<string, Placed<VarValue>>;
  roles: Map<string, PlacedRole>;
  /** Every role named under `roles`, even one whose body had problems. */
  declaredRoles: Set<string>;
  groups: Map<string, Group & WrittenSelector>;
  checks: Map<string, Check & WrittenSelector>;
  /** False when some file's `states` or `skip_states` had problems: then states are not checked. */
  statesKnown: boolean;
  /** False when some file's `roles` itself had problems: then host roles are not checked. */
  rolesKnown: boolean;
}

type Setting = 'version' | 'states' | 'skipStates' | 'sshConfig' | 'agents' | 'user' | 'port';

/**
 * Merges the parsed files in order, adding a problem for each thing defined
 * twice (`"states" is defined twice`, `role "web" is defined twice`, each at the
 * second place with the first). `version` alone may repeat: every file of a
 * folder may say `version: 1`. `ssh_config` is made absolute against its file's folder.
 */
export function mergeFiles(files: ParsedFile[], problems: Problem[]): Merged {
  const merged: Merged = { defaultVars: new Map(), roles: new Map(), declaredRoles: new Set(), groups: new Map(), checks: new Map(), statesKnown: true, rolesKnown: true };
  /** Records a once-only setting; a second definition is a problem naming both places. */
  const once = <K extends Setting>(slot: K, value: NonNullable<Merged[K]>['value'] | undefined, at: SourceLocation, what: string): void => {
    if (value === undefined) return;
    const first = merged[slot];
    if (first) problems.push({ message: `${what} is defined twice`, at, also: first.at });
    else merged[slot] = { value, at } as Merged[K];
  };

  for (const file of files) {
    const { data } = file;
    const root = childPairs(file.doc.contents);
    const topAt = (key: string): SourceLocation => {
      const pair = root.get(key);
      return pair ? keyPosition(file, pair) : positionAt(file, 0);
    };
    if (data.version !== undefined) merged.version ??= { value: data.version, at: topAt('version') };
    once('states', data.states, topAt('states'), '"states"');
    once('skipStates', data.skip_states, topAt('skip_states'), '"skip_states"');
    if (data.ssh_config !== undefined) once('sshConfig', resolve(dirname(resolve(file.path)), data.ssh_config), topAt('ssh_config'), '"ssh_config"');
    if (data.agents !== undefined) once('agents', agentsSettings(data.agents, file.path), topAt('agents'), '"agents"');
    const profiles = root.get('profiles');
    if (data.profiles !== undefined && profiles) {
      if (merged.profiles) problems.push({ message: '"profiles" is defined twice', at: keyPosition(file, profiles), also: merged.profiles.at });
      else merged.profiles = sectionOf(file, profiles, data.profiles as Record<string, ProfileSpec>);
    }
    if (file.broken.has('states') || file.broken.has('skip_states')) merged.statesKnown = false;
    for (const role of file.declaredRoles) merged.declaredRoles.add(role);
    if (file.broken.has('roles')) merged.rolesKnown = false;

    const defaults = childPairs(root.get('defaults')?.value);
    const defaultAt = (key: string): SourceLocation => {
      const pair = defaults.get(key);
      return pair ? keyPosition(file, pair) : topAt('defaults');
    };
    once('user', data.defaults?.user, defaultAt('user'), '"defaults.user"');
    once('port', data.defaults?.port, defaultAt('port'), '"defaults.port"');
    for (const [key, placed] of placedEntries(file, defaults.get('vars')?.value, data.defaults?.vars)) {
      const first = merged.defaultVars.get(key);
      if (first) problems.push({ message: `"defaults.vars.${key}" is defined twice`, at: placed.at, also: first.at });
      else merged.defaultVars.set(key, placed);
    }
    mergeNamed(file, 'roles', merged.roles, problems, (name, pair, at) => {
      const spec = data.roles?.[name] ?? {};
      const fields = childPairs(pair.value);
      const role: PlacedRole = { name, vars: spec.vars ?? {}, definedAt: at, placed: placedEntries(file, fields.get('vars')?.value, spec.vars) };
      if (spec.description !== undefined) role.description = spec.description;
      const files = fields.get('files');
      if (spec.files !== undefined && files) role.files = sectionOf(file, files, spec.files as Record<string, ManagedFileSpec>);
      const provision = fields.get('provision');
      if (spec.provision !== undefined && provision) role.provision = sectionOf(file, provision, spec.provision as ProvisionDefaults);
      return role;
    });
    mergeNamed(file, 'groups', merged.groups, problems, (name, pair, at) => {
      const selector = data.groups?.[name];
      return selector === undefined ? undefined : { name, selector, definedAt: at, valueAt: valuePosition(file, pair), quoted: isQuoted(pair.value) };
    });
    mergeNamed(file, 'checks', merged.checks, problems, (name, pair, at) => {
      const spec = data.checks?.[name];
      if (!spec) return undefined;
      const onPair = childPairs(pair.value).get('on');
      const check: Check & WrittenSelector = {
        name, command: spec.command, on: spec.on ?? 'all', definedAt: at,
        valueAt: onPair ? valuePosition(file, onPair) : at, quoted: onPair ? isQuoted(onPair.value) : false,
      };
      if (spec.description !== undefined) check.description = spec.description;
      return check;
    });
  }
  return merged;
}

/**
 * Adds the valid entries of a file's `roles`, `groups` or `checks` to `into`
 * (`make` builds one, or says undefined for an entry dropped for its problems);
 * a name already there is a problem naming both places.
 */
function mergeNamed<T extends { definedAt: SourceLocation }>(file: ParsedFile, key: 'roles' | 'groups' | 'checks', into: Map<string, T>, problems: Problem[], make: (name: string, pair: Pair, at: SourceLocation) => T | undefined): void {
  const valid = file.data[key];
  for (const pair of section(file, key)) {
    const name = keyText(pair);
    if (!valid || !Object.hasOwn(valid, name)) continue;
    const at = keyPosition(file, pair);
    const made = make(name, pair, at);
    if (!made) continue;
    const first = into.get(name);
    if (first) problems.push({ message: `${key.slice(0, -1)} "${name}" is defined twice`, at, also: first.definedAt });
    else into.set(name, made);
  }
}

function isQuoted(node: unknown): boolean {
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
}

/** The `agents` section as the inventory holds it: defaults filled in, `state` absolute against its file's folder. */
function agentsSettings(section: AgentsFileSection, path: string): AgentsSettings {
  const settings: AgentsSettings = {
    servers: section.servers ?? ['tls://127.0.0.1:4222'],
    operators: section.operators ?? {},
    permissions: section.permissions ?? {},
  };
  if (section.state !== undefined) settings.state = resolve(dirname(resolve(path)), section.state);
  if (section.autosign !== undefined) settings.autosign = section.autosign;
  return settings;
}
