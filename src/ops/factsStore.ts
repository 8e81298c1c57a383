/**
 * The last facts gathered of each host, kept in the state folder (`STATE/facts/HOST.json`),
 * so that `fact.KEY=VALUE` selectors and `muster reconcile` work without a broker or a new
 * round of SSH. Each file is replaced atomically (a reader sees the last record or the one
 * before, never half), and says when it was gathered, how, and when the host was last seen.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvToken } from '../core/fleetKv.js';
import { writeFileAtomic } from '../core/writeFileAtomic.js';

/** Where a host's facts came from: gathered over SSH, asked of its agent, or read from the bucket. */
export type FactsSource = 'ssh' | 'nats' | 'bucket';

/** One stored record. */
export interface StoredFacts {
  host: string;
  via: FactsSource;
  /** When muster got them (ISO 8601). */
  gatheredAt: string;
  /** When the host itself last said them: its agent's `seenAt` for the bucket, else `gatheredAt`. */
  seenAt: string;
  facts: Record<string, unknown>;
}

/** The folder of stored facts under a state folder. */
export function factsDir(stateDir: string): string {
  return join(stateDir, 'facts');
}

/** A host's file: its name when that is a plain file name, else its KV token (never a path or a hidden file). */
function fileOf(dir: string, host: string): string {
  const name = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host) ? host : kvToken(host);
  return join(dir, `${name}.json`);
}

/** Stores `records`, each replacing that host's file atomically. */
export async function storeFacts(stateDir: string, records: readonly StoredFacts[]): Promise<void> {
  const dir = factsDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const record of records) await writeFileAtomic(fileOf(dir, record.host), `${JSON.stringify(record)}\n`, { createMode: 0o600 });
}

/**
 * A host's stored facts, or undefined when there are none (or the file is not a record of
 * this host: a file that does not parse is as good as none, and is said by the caller).
 * Synchronous: selectors are evaluated synchronously.
 */
export function readStoredFacts(stateDir: string, host: string): StoredFacts | undefined {
  let text: string;
  try {
    text = readFileSync(fileOf(factsDir(stateDir), host), 'utf8');
  } catch {
    // No file: no facts gathered yet for this host.
    return undefined;
  }
  try {
    const record = JSON.parse(text) as Partial<StoredFacts>;
    if (record.host !== host || typeof record.facts !== 'object' || record.facts === null || typeof record.seenAt !== 'string') return undefined;
    return record as StoredFacts;
  } catch {
    // Unparsable (written by hand, or by something else): treated as no facts.
    return undefined;
  }
}
