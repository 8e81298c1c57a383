/**
 * Host entries folded into nodeset patterns: hosts whose entries are identical
 * but for their name and address become one `web[01-20]` entry, with an address
 * pattern paired in order (`10.0.1.[1-20]`) when they have addresses. A pattern
 * per run: a set of hosts whose addresses do not fold is written host by host,
 * since one long comma list of addresses helps no reader.
 */
import { expandNodeset, foldNodeset, foldNodesetInOrder, isNodesetPattern } from '../../core/nodeset.js';
import type { ImportedHost } from './model.js';

/** One `hosts:` entry: its key (a name or a pattern) and what it holds. */
export interface HostEntry {
  key: string;
  address?: string;
  host: ImportedHost;
}

/** The entries for `hosts`, in the order of each kind's first host. */
export function foldHosts(hosts: readonly ImportedHost[]): HostEntry[] {
  const buckets = new Map<string, ImportedHost[]>();
  for (const host of hosts) {
    const { name: _name, address, ...rest } = host;
    // Hosts with an address and hosts without never share an entry: a pattern's address is all or none.
    const kind = JSON.stringify([address === undefined, rest]);
    const bucket = buckets.get(kind);
    if (bucket) bucket.push(host);
    else buckets.set(kind, [host]);
  }
  const entries: HostEntry[] = [];
  for (const bucket of buckets.values()) entries.push(...foldBucket(bucket));
  return entries;
}

function foldBucket(bucket: ImportedHost[]): HostEntry[] {
  const first = bucket[0];
  if (!first) return [];
  const single = (host: ImportedHost): HostEntry => ({ key: host.name, ...(host.address === undefined ? {} : { address: host.address }), host });
  // A name that reads as a pattern would not expand to itself: written alone (the reader refused it if invalid).
  if (bucket.length === 1 || bucket.some((host) => isNodesetPattern(host.name))) return bucket.map(single);
  const key = foldNodeset(bucket.map((host) => host.name));
  const order = expandNodeset(key);
  if (order.length !== bucket.length) return bucket.map(single);
  if (first.address === undefined) return [{ key, host: first }];
  const byName = new Map(bucket.map((host) => [host.name, host]));
  const addresses = order.map((name) => byName.get(name)?.address ?? '');
  const address = foldNodesetInOrder(addresses);
  const back = expandNodeset(address);
  const folds = topLevelParts(address) < addresses.length;
  if (!folds || back.length !== addresses.length || back.some((one, i) => one !== addresses[i])) return order.map((name) => single(byName.get(name) ?? first));
  return [{ key, address, host: first }];
}

/** The comma-separated parts of a nodeset outside brackets. */
function topLevelParts(pattern: string): number {
  let depth = 0;
  let parts = 1;
  for (const char of pattern) {
    if (char === '[') depth += 1;
    else if (char === ']') depth -= 1;
    else if (char === ',' && depth === 0) parts += 1;
  }
  return parts;
}
