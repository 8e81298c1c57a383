/**
 * A host's stored facts, as `muster facts` keeps them: STATE/facts/HOST.json
 * (ops/factsStore.ts writes them; serve does not import ops, so the format is
 * read here: { host, via, gatheredAt, seenAt, facts }). A file that is missing,
 * unparsable or of another host is no facts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flattenFacts } from '../../core/factsFlat.js';
import { kvToken } from '../../core/fleetKv.js';
import type { FactsLookup } from '../../inventory/select.js';

export interface HostFacts {
  via: string;
  gatheredAt: string;
  seenAt: string;
  /** Dotted keys (`os.id`) and their values as text, sorted. */
  rows: [string, string][];
}

/** The facts of `host` under the state folder `stateDir`, or undefined. */
export function readHostFacts(stateDir: string, host: string): HostFacts | undefined {
  const name = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host) ? host : kvToken(host);
  let record: { host?: unknown; via?: unknown; gatheredAt?: unknown; seenAt?: unknown; facts?: unknown };
  try {
    record = JSON.parse(readFileSync(join(stateDir, 'facts', `${name}.json`), 'utf8')) as typeof record;
  } catch {
    // No facts gathered for this host (or a file that is not a record): nothing to show.
    return undefined;
  }
  if (record.host !== host || typeof record.facts !== 'object' || record.facts === null) return undefined;
  const rows: [string, string][] = [];
  flatten(record.facts as Record<string, unknown>, '', rows);
  rows.sort(([a], [b]) => a.localeCompare(b));
  return { via: String(record.via ?? ''), gatheredAt: String(record.gatheredAt ?? ''), seenAt: String(record.seenAt ?? ''), rows };
}

function flatten(value: Record<string, unknown>, prefix: string, into: [string, string][]): void {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) flatten(item as Record<string, unknown>, path, into);
    else into.push([path, typeof item === 'string' ? item : JSON.stringify(item)]);
  }
}

/** As `muster reconcile --max-unseen` says by default: a host whose agent said nothing for longer is not seen. */
export const unseenAfterMs = 15 * 60_000;

/** When the host last said its facts (its agent's publish, or the SSH gathering), or undefined: for the fleet's tiles. */
export function readSeenAt(stateDir: string, host: string): string | undefined {
  const name = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host) ? host : kvToken(host);
  try {
    const record = JSON.parse(readFileSync(join(stateDir, 'facts', `${name}.json`), 'utf8')) as { host?: unknown; seenAt?: unknown };
    return record.host === host && typeof record.seenAt === 'string' ? record.seenAt : undefined;
  } catch {
    // No facts stored for this host: never seen by muster facts.
    return undefined;
  }
}

/** The stored facts as `fact.KEY=VALUE` selectors read them (as the CLI's selection does), each host read once. */
export function factsLookup(stateDir: string): FactsLookup {
  const read = new Map<string, Readonly<Record<string, unknown>> | undefined>();
  return (host) => {
    if (!read.has(host.name)) {
      const name = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host.name) ? host.name : kvToken(host.name);
      let flat: Readonly<Record<string, unknown>> | undefined;
      try {
        const record = JSON.parse(readFileSync(join(stateDir, 'facts', `${name}.json`), 'utf8')) as { host?: unknown; facts?: unknown };
        if (record.host === host.name && typeof record.facts === 'object' && record.facts !== null) flat = flattenFacts(record.facts);
      } catch {
        // No facts stored for this host: it matches no fact. atom.
      }
      read.set(host.name, flat);
    }
    return read.get(host.name);
  };
}
