/**
 * Runbooks: a Markdown procedure written once as a template and rendered per
 * job with a YAML of values plus the inventory (as genecon does:
 * `genecon -t README.md -c config.yaml > web001maintenance.md`). Values that name
 * hosts become the hosts themselves, so `{{ src_host.address }}` works.
 */
import { parse as parseYaml } from 'yaml';
import { InvalidFileError, OptionError, SelectorError, type Problem } from '../core/errors.js';
import { select } from '../inventory/index.js';
import type { Host, Inventory } from '../inventory/types.js';
import { hostView, templateContext, withValues } from './context.js';
import { renderTemplate } from './engine.js';

/**
 * Resolves a runbook's values against the inventory:
 * - a key ending in `_host` must name a host: its value becomes that host
 *   (an unknown name is an error, so a typo cannot slip into a procedure);
 * - a key ending in `_hosts` takes a selector string or a list of host names and
 *   becomes the list of hosts (skip_states included: a runbook names hosts on purpose);
 * - any other string that is exactly a host's name also becomes that host;
 * - everything else stays as it is (nested mappings and lists are resolved the same way).
 * A host prints as its name, so `{{ src_host }}` still reads `web001`.
 */
export function runbookValues(inventory: Inventory, values: Record<string, unknown>, file = 'values'): Record<string, unknown> {
  const problems: Problem[] = [];
  const view = (host: Host): unknown => hostView(host);
  const resolveValue = (key: string, value: unknown, path: string): unknown => {
    if (key.endsWith('_hosts')) {
      if (typeof value === 'string') {
        try {
          return select(inventory, [value], { allStates: true }).hosts.map(view);
        } catch (error) {
          if (error instanceof SelectorError) {
            problems.push({ message: `${path}: ${error.reason} in selector "${value}"` });
            return [];
          }
          throw error;
        }
      }
      if (Array.isArray(value)) {
        return value.map((item, index) => {
          const host = typeof item === 'string' ? inventory.hostsByName.get(item) : undefined;
          if (!host) problems.push({ message: `${path}[${index}]: no host named "${String(item)}"` });
          return host ? view(host) : item;
        });
      }
      problems.push({ message: `${path}: a *_hosts value is a selector string or a list of host names` });
      return value;
    }
    if (key.endsWith('_host')) {
      const host = typeof value === 'string' ? inventory.hostsByName.get(value) : undefined;
      if (!host) {
        problems.push({ message: `${path}: no host named "${String(value)}" in the inventory${suggest(inventory, String(value))}` });
        return value;
      }
      return view(host);
    }
    if (typeof value === 'string') {
      const host = inventory.hostsByName.get(value);
      return host ? view(host) : value;
    }
    if (Array.isArray(value)) return value.map((item, index) => resolveValue('', item, `${path}[${index}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(k, v, `${path}.${k}`)]));
    }
    return value;
  };
  const resolved = Object.fromEntries(Object.entries(values).map(([key, value]) => [key, resolveValue(key, value, key)]));
  if (problems.length > 0) throw new InvalidFileError(`runbook values ${file}`, problems);
  return resolved;
}

/** ` (did you mean web001.example.lan?)` when a host name starts with what was given. */
function suggest(inventory: Inventory, name: string): string {
  const close = inventory.hosts.find((host) => name !== '' && (host.name.startsWith(`${name}.`) || host.name.split('.')[0] === name));
  return close ? ` (did you mean ${close.name}?)` : '';
}

/**
 * Renders a runbook template: the inventory's context (`hosts`, `roles`, …)
 * plus the resolved values, which win over inventory names they collide with.
 */
export function renderRunbook(source: string, inventory: Inventory, values: Record<string, unknown>, options: { file: string; valuesFile?: string }): string {
  const resolved = runbookValues(inventory, values, options.valuesFile);
  return renderTemplate(source, withValues(templateContext(inventory), resolved), { file: options.file });
}

/**
 * Applies `--set key=value` words over values (from `-c VARS.yaml`): the value is
 * read as a YAML scalar (`count=3` is a number, `dry=true` a boolean, quote to
 * keep a string), and `a.b=v` sets a nested key. Returns a new object.
 */
export function applySetValues(base: Record<string, unknown>, pairs: readonly string[]): Record<string, unknown> {
  const values = structuredClone(base);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new OptionError('set', (name) => `${name('set')} ${pair}: write ${name('set')} KEY=VALUE`);
    const keys = pair.slice(0, eq).split('.');
    // `__proto__.x=1` would walk into Object.prototype and set x on every object of the process.
    const bad = keys.find((key) => key === '' || key === '__proto__' || key === 'constructor' || key === 'prototype');
    if (bad !== undefined) throw new OptionError('set', (name) => `${name('set')} ${pair}: ${bad === '' ? 'an empty key' : `"${bad}"`} cannot be a key`);
    let target = values;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const text = pair.slice(eq + 1);
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      // Not valid YAML on its own (e.g. `a: b`): take it as the plain string it is.
      value = text;
    }
    target[keys[keys.length - 1] as string] = value ?? (text === '' ? '' : value);
  }
  return values;
}
