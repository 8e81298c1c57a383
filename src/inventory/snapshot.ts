/**
 * A resolved inventory as records and back: one per host, role and group, and a meta record
 * for the rest (core/fleetKv.ts). `muster publish` writes them to the KV bucket (or, with
 * `--via ssh`, as a local copy), agents rebuild the inventory from them, `serve --from-kv`
 * answers from them, and `--from-local-copy` reads them back: everything a muster command
 * reads, provenance included, so `muster show` on a host says what it says on the operator's.
 *
 * A snapshot's digest covers every record's exact text (`recordText`): a reader that holds
 * records giving the published digest holds one consistent inventory, never half of two.
 */
import { createHash } from 'node:crypto';
import { metaKey, parseKey, recordKey } from '../core/fleetKv.js';
import { MusterError } from '../core/errors.js';
import { snapshotDigest } from './snapshotDigest.js';
import type { AgentsSettings, Check, Group, Host, Inventory, Role } from './types.js';

/** The version of the records' shape and of their digest (2: inventory/snapshotDigest.ts's two levels); a reader refuses another. */
export const snapshotFormat = 2;

/** The meta record: what the inventory says beyond its records, and their order. */
export interface SnapshotMeta {
  format: typeof snapshotFormat;
  /** The inventory's files on the machine it was published from (provenance names them). */
  files: string[];
  states: string[];
  skipStates: string[];
  checks: Check[];
  sshConfig?: string;
  agents?: AgentsSettings;
  /** Host, role and group names in inventory order. */
  hosts: string[];
  roles: string[];
  groups: string[];
}

/** A snapshot: key → record (a `Host`, `Role`, `Group` or the `SnapshotMeta`). */
export type Snapshot = Map<string, unknown>;

/** The records of `inventory`, meta first. */
export function snapshotOf(inventory: Inventory): Snapshot {
  const meta: SnapshotMeta = {
    format: snapshotFormat,
    files: inventory.files,
    states: inventory.states,
    skipStates: inventory.skipStates,
    checks: [...inventory.checks.values()],
    ...(inventory.sshConfig !== undefined ? { sshConfig: inventory.sshConfig } : {}),
    ...(inventory.agents !== undefined ? { agents: inventory.agents } : {}),
    hosts: inventory.hosts.map((host) => host.name),
    roles: [...inventory.roles.keys()],
    groups: [...inventory.groups.keys()],
  };
  const snapshot: Snapshot = new Map<string, unknown>([[metaKey, meta]]);
  for (const host of inventory.hosts) snapshot.set(recordKey('host', host.name), host);
  for (const role of inventory.roles.values()) snapshot.set(recordKey('role', role.name), role);
  for (const group of inventory.groups.values()) snapshot.set(recordKey('group', group.name), group);
  return snapshot;
}

/** A record's exact text: what the bucket stores and the digest covers. */
export function recordText(record: unknown): string {
  return JSON.stringify(record);
}

/** The digest of one record's text. */
export function recordDigest(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `snapshotDigest` of a snapshot's records. */
export function digestOf(snapshot: Snapshot): string {
  return snapshotDigest(new Map([...snapshot].map(([key, record]) => [key, recordDigest(recordText(record))])));
}

/**
 * The inventory the records of `snapshot` make. Throws a `MusterError` naming `where` (a
 * bucket, a file) when a record is missing or of another format: a reader never makes an
 * inventory of part of one. Records are trusted to be what `snapshotOf` wrote once their
 * digest matched the version's (the caller checks it).
 */
export function inventoryFromSnapshot(snapshot: Snapshot, where: string): Inventory {
  const meta = snapshot.get(metaKey) as SnapshotMeta | undefined;
  if (!meta || typeof meta !== 'object') throw new MusterError(`${where}: no meta record: not a muster inventory snapshot`);
  if (meta.format !== snapshotFormat) throw new MusterError(`${where}: snapshot format ${String(meta.format)}, this muster reads ${snapshotFormat}`);
  const take = <T>(kind: 'host' | 'role' | 'group', name: string): T => {
    const record = snapshot.get(recordKey(kind, name));
    if (!record || typeof record !== 'object') throw new MusterError(`${where}: the ${kind} record of ${JSON.stringify(name)} is missing`);
    return record as T;
  };
  const hosts = meta.hosts.map((name) => take<Host>('host', name));
  const inventory: Inventory = {
    files: meta.files,
    states: meta.states,
    skipStates: meta.skipStates,
    hosts,
    hostsByName: new Map(hosts.map((host) => [host.name, host])),
    roles: new Map(meta.roles.map((name) => [name, take<Role>('role', name)])),
    groups: new Map(meta.groups.map((name) => [name, take<Group>('group', name)])),
    checks: new Map(meta.checks.map((check) => [check.name, check])),
  };
  if (meta.sshConfig !== undefined) inventory.sshConfig = meta.sshConfig;
  if (meta.agents !== undefined) inventory.agents = meta.agents;
  return inventory;
}

/** Whether `key` is one of a snapshot's (meta, host, role, group): not the version, not facts. */
export function isSnapshotKey(key: string): boolean {
  const parsed = parseKey(key);
  return parsed !== undefined && parsed.kind !== 'version' && parsed.kind !== 'facts';
}
