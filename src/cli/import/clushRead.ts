/**
 * ClusterShell groups as muster roles: a groups.d YAML file (`SOURCE: {GROUP:
 * NODESET}`), the flat `GROUP: NODESET` file (/etc/clustershell/groups), or a
 * groups.conf, whose `autodir` folders' *.yaml files are read. Each group is a
 * role; a host's roles are the groups it is in. `@group` and `@source:group`
 * references are followed; `all` (clush -a's set) is left out, said.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MusterError } from '../../core/errors.js';
import { compareNatural, expandNodeset, NodeSet, parseNodeset } from '../../core/nodeset.js';
import type { NodesetOperator } from '../../core/nodesetScan.js';
import { emptyFleet, type ImportedFleet } from './model.js';

type Sources = Map<string, Map<string, string>>;

/** The fleet of the ClusterShell group file `path`. */
export function readClush(path: string): ImportedFleet {
  const fleet = emptyFleet(`the ClusterShell groups ${path}`);
  const sources = readSources(path, fleet.unmapped);
  const names = roleNames(sources);
  const members = new Map<string, Set<string>>();
  for (const [source, groups] of sources) {
    for (const group of groups.keys()) {
      if (group === 'all') {
        fleet.unmapped.push(`group ${source}:all (clush -a's hosts) is not a role; every host is muster's all`);
        continue;
      }
      const role = names.get(`${source}:${group}`) ?? group;
      fleet.roles.set(role, { vars: {} });
      members.set(role, resolveGroup(sources, source, group, [], fleet.unmapped));
    }
  }
  const hosts = new Set<string>();
  for (const set of members.values()) for (const host of set) hosts.add(host);
  for (const name of [...hosts].sort(compareNatural)) {
    fleet.hosts.push({ name, roles: [...members].filter(([, set]) => set.has(name)).map(([role]) => role), vars: {} });
  }
  return fleet;
}

function readSources(path: string, unmapped: string[]): Sources {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MusterError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (/^\s*\[Main\]/m.test(text)) return confSources(text, unmapped);
  const sources: Sources = new Map();
  // A groups.d YAML file maps sources to maps; the flat file (also YAML-like) maps groups to text.
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined;
  }
  const values = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.values(doc as Record<string, unknown>) : [];
  if (values.length > 0 && values.every((value) => value !== null && typeof value === 'object' && !Array.isArray(value))) {
    for (const [source, groups] of Object.entries(doc as Record<string, Record<string, unknown>>)) {
      sources.set(source, new Map(Object.entries(groups).map(([group, value]) => [group, Array.isArray(value) ? value.join(',') : String(value)])));
    }
    return sources;
  }
  const flat = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const match = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (!match) throw new MusterError(`${path}:${index + 1}:1: not "GROUP: NODESET"`);
    flat.set(match[1] ?? '', (match[2] ?? '').trim().split(/\s+/).join(','));
  });
  sources.set('local', flat);
  return sources;
}

/** groups.conf: the *.yaml files of its `autodir` folders (the other sources are shell commands muster does not run). */
function confSources(text: string, unmapped: string[]): Sources {
  const sources: Sources = new Map();
  const autodir = /^autodir\s*[:=]\s*(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  for (const dir of autodir.filter((one) => !one.includes('$') && existsSync(one))) {
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort()) {
      for (const [source, groups] of readSources(join(dir, file), unmapped)) sources.set(source, groups);
    }
  }
  unmapped.push('groups.conf: only the YAML files of its autodir folders are read; sources defined by shell commands (map:, list:) are not run — import their files directly');
  return sources;
}

/** One role per group: the group's name when no other source has it, else SOURCE_GROUP. */
function roleNames(sources: Sources): Map<string, string> {
  const count = new Map<string, number>();
  for (const groups of sources.values()) for (const group of groups.keys()) count.set(group, (count.get(group) ?? 0) + 1);
  const names = new Map<string, string>();
  for (const [source, groups] of sources) for (const group of groups.keys()) names.set(`${source}:${group}`, (count.get(group) ?? 0) > 1 ? `${source}_${group}` : group);
  return names;
}

function resolveGroup(sources: Sources, source: string, group: string, path: string[], unmapped: string[]): Set<string> {
  const key = `${source}:${group}`;
  if (path.includes(key)) {
    unmapped.push(`group loop ${[...path, key].join(' → ')}: left out`);
    return new Set();
  }
  const text = sources.get(source)?.get(group);
  if (text === undefined) {
    unmapped.push(`${path.at(-1) ?? key}: refers to the unknown group @${key}; left out`);
    return new Set();
  }
  // Left to right, no precedence, as ClusterShell evaluates: each operand a nodeset or a @reference.
  const result = new NodeSet();
  for (const { op, operand } of splitOperators(text)) {
    const set = new NodeSet();
    if (operand.startsWith('@')) {
      const ref = operand.slice(1);
      const colon = ref.indexOf(':');
      const [refSource, refGroup] = colon >= 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [source, ref];
      for (const name of expandNodeset(refGroup)) set.addNames(resolveGroup(sources, refSource, name, [...path, key], unmapped));
    } else if (operand !== '') {
      set.update(parseNodeset(operand));
    }
    result.apply(op, set);
  }
  return new Set(result.expand());
}

/** A group's text as operands with the operator before each (the first one's is ","). */
function splitOperators(text: string): { op: NodesetOperator; operand: string }[] {
  const parts: { op: NodesetOperator; operand: string }[] = [];
  let depth = 0;
  let start = 0;
  let op: NodesetOperator = ',';
  for (let i = 0; i <= text.length; i += 1) {
    const char = text[i];
    if (char === '[') depth += 1;
    else if (char === ']') depth -= 1;
    else if (i === text.length || (depth === 0 && (char === ',' || char === '!' || char === '&' || char === '^'))) {
      parts.push({ op, operand: text.slice(start, i).trim() });
      op = (char ?? ',') as NodesetOperator;
      start = i + 1;
    }
  }
  return parts;
}
