/**
 * The gathered view of facts: for each dotted key, each distinct value once with the hosts
 * that have it (folded: `os.id  debian  lab[01-06] (6)`), as `run` gathers output. A number
 * that differs on more than `maxNumberRows` hosts (uptime, free memory) is one row, its range,
 * instead of a row per host; other values (hostname, addresses) are each shown, since they
 * are how hosts are told apart. Pure: the caller formats and escapes.
 */
import { foldNodeset } from '../core/nodeset.js';
import type { FlatFacts, FlatValue } from '../core/factsFlat.js';

/** One row: a key (set on its first row only), a value as text, and the hosts that have it. */
export interface FactsRow {
  key: string;
  value: string;
  hosts: string[];
  /** The folded host list. */
  nodeset: string;
}

/** Past this many distinct values on different hosts, a numeric key is shown as its range. */
export const maxNumberRows = 3;

const KiB = 1024;

/** Keys whose numbers are bytes (shown as KiB…TiB) or seconds (shown as days and hours). */
function unitOf(key: string): 'bytes' | 'seconds' | undefined {
  if (/^memory\./.test(key) || /^disks\..*\.(size|used|free)$/.test(key)) return 'bytes';
  if (key === 'uptime') return 'seconds';
  return undefined;
}

/** A value for people: bytes in IEC units, uptime as `3d4h`, `2h05m`, `7m`, lists joined by spaces. */
export function showValue(key: string, value: FlatValue): string {
  if (Array.isArray(value)) return value.map((item) => showValue(key, item)).join(' ');
  if (value === null) return '-';
  if (typeof value !== 'number') return String(value);
  const unit = unitOf(key);
  if (unit === 'bytes') {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let n = value;
    let at = 0;
    while (n >= KiB && at < units.length - 1) {
      n /= KiB;
      at += 1;
    }
    return at === 0 ? `${n} B` : `${n.toFixed(1)} ${units[at]}`;
  }
  if (unit === 'seconds') {
    const days = Math.floor(value / 86400);
    const hours = Math.floor((value % 86400) / 3600);
    const minutes = Math.floor((value % 3600) / 60);
    if (days > 0) return `${days}d${hours}h`;
    return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : `${minutes}m`;
  }
  return String(value);
}

/**
 * The rows of `facts` (host → flattened facts, in inventory order): keys in the order they
 * first appear, values by how many hosts have them (most first), then first seen.
 */
export function gatherFacts(facts: ReadonlyMap<string, FlatFacts>): FactsRow[] {
  const byKey = new Map<string, Map<string, { value: FlatValue; hosts: string[] }>>();
  for (const [host, flat] of facts) {
    for (const [key, value] of Object.entries(flat)) {
      let values = byKey.get(key);
      if (!values) byKey.set(key, values = new Map());
      // Values that read the same (22.1 GiB free on two hosts, a few KiB apart) fold together.
      const id = showValue(key, value);
      const entry = values.get(id);
      if (entry) entry.hosts.push(host);
      else values.set(id, { value, hosts: [host] });
    }
  }
  const rows: FactsRow[] = [];
  for (const [key, values] of byKey) {
    const entries = [...values.values()].sort((a, b) => b.hosts.length - a.hosts.length);
    const numbers = entries.every((entry) => typeof entry.value === 'number');
    if (numbers && entries.length > maxNumberRows) {
      const sorted = entries.map((entry) => entry.value as number).sort((a, b) => a - b);
      const hosts = new Set(entries.flatMap((entry) => entry.hosts));
      const order = [...facts.keys()].filter((host) => hosts.has(host));
      rows.push({ key, value: `${showValue(key, sorted[0] ?? 0)} … ${showValue(key, sorted.at(-1) ?? 0)} (${entries.length} values)`, hosts: order, nodeset: foldNodeset(order) });
      continue;
    }
    entries.forEach((entry, at) => rows.push({ key: at === 0 ? key : '', value: showValue(key, entry.value), hosts: entry.hosts, nodeset: foldNodeset(entry.hosts) }));
  }
  return rows;
}
