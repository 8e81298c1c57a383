/**
 * muster's template filters, added to Liquid's own (`sort`, `where`, `group_by`,
 * `map`, `join`, `default`, …): nodeset folding, shell quoting, natural sorting,
 * host names and addresses, JSON/YAML, and `select` — the Liquid form of the
 * `select(SEL)` function (Liquid has no function calls).
 */
import type { Liquid } from 'liquidjs';
import { stringify as yamlStringify } from 'yaml';
import { foldNodeset } from '../core/nodeset.js';
import { shellJoin, shellQuote } from '../core/shell.js';
import { selectViews } from './context.js';

/** A host view or a plain name: what `fold`, `names` and `addresses` accept. */
function nameOf(item: unknown): string {
  if (item !== null && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string') return (item as { name: string }).name;
  return String(item);
}

function addressOf(item: unknown): string {
  if (item !== null && typeof item === 'object' && typeof (item as { address?: unknown }).address === 'string') return (item as { address: string }).address;
  return String(item);
}

/** Lists for filters: an array as is, a mapping's values (e.g. `hosts`), anything else as one item. */
function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  if (typeof value === 'object') return Object.values(value);
  return [value];
}

/** Reads `a.b.c` from an item, own properties only. */
function pick(item: unknown, path: string): unknown {
  let value: unknown = item;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

/** Natural order (web2 before web10, numbers by value); missing values last. */
export function naturalCompare(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return natural.compare(String(a), String(b));
}

/** Adds muster's filters to a Liquid engine. */
export function registerFilters(engine: Liquid): void {
  // {{ hosts_list | fold }} → web[001-003]; accepts host views, names, or a mapping (hosts).
  engine.registerFilter('fold', (value: unknown) => foldNodeset(list(value).map(nameOf)));
  // {{ host.note | shquote }} → one shell word; a list becomes several words.
  engine.registerFilter('shquote', (value: unknown) => (Array.isArray(value) ? shellJoin(value.map((item) => String(item ?? ''))) : shellQuote(String(value ?? ''))));
  // {{ list | sort_by: "vars.dc" }}: natural order by a (dotted) field; stable.
  engine.registerFilter('sort_by', (value: unknown, path?: unknown) => {
    const items = [...list(value)];
    if (path === undefined) return items.sort(naturalCompare);
    return items.sort((a, b) => naturalCompare(pick(a, String(path)), pick(b, String(path))));
  });
  engine.registerFilter('names', (value: unknown) => list(value).map(nameOf));
  engine.registerFilter('addresses', (value: unknown) => list(value).map(addressOf));
  engine.registerFilter('to_json', (value: unknown, indent?: unknown) => JSON.stringify(value, null, typeof indent === 'number' ? indent : undefined));
  engine.registerFilter('to_yaml', (value: unknown) => yamlStringify(value).trimEnd());
  // {% assign webs = "web&dc=tk1" | select %}; `| select: true` keeps hosts in skip_states.
  engine.registerFilter('select', function (this: { context: { environments: object } }, selector: unknown, allStates?: unknown) {
    const selectors = Array.isArray(selector) ? selector.map(String) : [String(selector)];
    return selectViews(this.context.environments, selectors, allStates === true);
  });
}
