/**
 * The local copy of the inventory every host keeps in /etc/muster (docs/publish.md), as
 * MATRIX kept /etc/dsas.conf: `muster.sh` (the sh bindings, safe to `source`),
 * `inventory.json` (every record of the published snapshot, with its digest: what
 * `--from-local-copy` reads back) and `host.json` (the host's own resolved record). Written by
 * the agent from the bucket, or by `muster publish --via ssh`: the same bytes either way.
 *
 * inventory.json: `{ "muster": CopyHeader, "records": { KEY: RECORD } }` (keys of core/fleetKv.ts).
 */
import type { PublishedVersion } from '../core/fleetKv.js';
import { select } from '../inventory/select.js';
import { inventoryFromSnapshot, snapshotFormat, type Snapshot } from '../inventory/snapshot.js';
import type { Inventory } from '../inventory/types.js';
import { fleetHost } from './fleet.js';
import { exportSh } from './sh.js';

/** Where the copy lives on a host. */
export const localCopyDir = '/etc/muster';

/** The files of the copy, in the order they are replaced (inventory.json, which is checked, last). */
export const localCopyNames = ['host.json', 'muster.sh', 'inventory.json'] as const;

export type LocalCopyName = (typeof localCopyNames)[number];

/** The `muster` header of inventory.json: which publish it is. */
export interface CopyHeader {
  format: typeof snapshotFormat;
  revision: number;
  /** `snapshotDigest` of the records, checked by every reader. */
  digest: string;
  publishedAt: string;
  by: string;
}

/**
 * The three files of the copy for host `host` (absent from the inventory: a host that has
 * not been admitted yet, whose host.json says so), from a snapshot whose digest the caller
 * has checked against `version`.
 */
export function localCopyFiles(snapshot: Snapshot, version: PublishedVersion, host: string): Record<LocalCopyName, string> {
  return localCopyMaker(snapshot, version)(host);
}

/**
 * `localCopyFiles` for many hosts of one snapshot (`publish --via ssh`): the inventory is
 * rebuilt and muster.sh and inventory.json are made once; only host.json differs per host.
 */
export function localCopyMaker(snapshot: Snapshot, version: PublishedVersion): (host: string) => Record<LocalCopyName, string> {
  const inventory: Inventory = inventoryFromSnapshot(snapshot, `revision ${version.revision}`);
  const header: CopyHeader = { format: snapshotFormat, revision: version.revision, digest: version.digest, publishedAt: version.publishedAt, by: version.by };
  const said = `revision ${version.revision}, published ${version.publishedAt} by ${version.by}`;
  // The selection `muster export --format sh` makes by default: sourcing the copy gives what it prints.
  const shared = {
    'muster.sh': `# muster local copy: ${said}\n${exportSh(inventory, select(inventory, ['all']).hosts)}`,
    'inventory.json': `${JSON.stringify({ muster: header, records: Object.fromEntries(snapshot) })}\n`,
  };
  return (host) => {
    const own = inventory.hostsByName.get(host);
    const hostRecord = own ? { name: own.name, ...fleetHost(own) } : { name: host, inInventory: false };
    return { 'host.json': `${JSON.stringify({ muster: header, host: hostRecord }, null, 2)}\n`, ...shared };
  };
}
