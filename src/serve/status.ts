/**
 * `/v1/status` and `/v1/health`: answers about the server rather than the
 * inventory, so they are made for each request (watchers and uptime change
 * between two versions) and never cached.
 */
import { shAssignments } from '../bindings/index.js';
import type { Format, Json } from './format.js';
import { encode, prepare, type Prepared } from './prepared.js';
import type { ReloadState, ReloadWait } from './reloader.js';
import type { Snapshot } from './snapshot.js';

/**
 * Where a source other than the files takes its snapshots from (the bucket), and whether the
 * snapshot served is the latest there is: `value` is shown as `source` in /v1/status.
 */
export interface SourceFacts {
  /** `bucket`: shown by /v1/health too. */
  readonly kind: string;
  /** Linked, caught up, and serving the latest published version. */
  readonly inSync: boolean;
  readonly value: { [key: string]: Json };
}

/** What the two routes say: the version served, the last reload, the watchers, since when. */
export interface ServerFacts {
  readonly snapshot: Snapshot;
  readonly lastReload: ReloadState;
  /** How long a reload waits for quiet files (see settle.ts). */
  readonly settle: { readonly settleMs: number; readonly maxWaitMs: number };
  /** What the reload in progress waits for, if it is waiting. */
  readonly reloadWait?: ReloadWait | undefined;
  /** Blocked (watching) requests now. */
  readonly watchers: number;
  /** When the server started (ms since the epoch). */
  readonly startedAt: number;
  /** Where the snapshots come from, unless from the files. */
  readonly source?: SourceFacts | undefined;
}

function statusValue(facts: ServerFacts, now: number): { [key: string]: Json } {
  const { snapshot, lastReload } = facts;
  const inventory = snapshot.inventory;
  const last: { [key: string]: Json } = { at: lastReload.at.toISOString(), ok: lastReload.ok };
  if (lastReload.waitedMs !== undefined) last['waited_ms'] = lastReload.waitedMs;
  if (lastReload.error !== undefined) last['error'] = lastReload.error;
  if (lastReload.problems) last['problems'] = lastReload.problems as Json;
  // The reload in progress: what it waits for (a file being written), since when, and the rule it waits by.
  const reload: { [key: string]: Json } = { settle_ms: facts.settle.settleMs, max_wait_ms: facts.settle.maxWaitMs };
  if (facts.reloadWait) {
    reload['waiting_for'] = `${facts.reloadWait.files.join(', ')} to settle`;
    reload['waiting_since'] = facts.reloadWait.since.toISOString();
  }
  const source = facts.source;
  return {
    // A source not in sync still answers, from its last good version: `stale`, not `error`.
    status: !lastReload.ok ? 'error' : source && !source.inSync ? 'stale' : 'ok',
    ...(source ? { source: source.value } : {}),
    index: snapshot.index,
    loaded_at: snapshot.loadedAt.toISOString(),
    files: inventory.files,
    hosts: inventory.hosts.length,
    roles: inventory.roles.size,
    groups: inventory.groups.size,
    watchers: facts.watchers,
    uptime_s: Math.round((now - facts.startedAt) / 1000),
    reload,
    last_reload: last,
  };
}

/**
 * The answer of `/v1/health` (`status: ok` and the version: the server is up,
 * whatever the last reload did) or `/v1/status` (everything, `status: error`
 * while the last reload failed). In sh, the scalar fields, and the reload error.
 */
export function serverResponse(name: 'status' | 'health', format: Format, facts: ServerFacts, now = Date.now()): Prepared {
  const index = facts.snapshot.index;
  const source = facts.source;
  // Health stays `ok` (the server answers), and says whether what it answers is current.
  const health: { [key: string]: Json } = source ? { status: 'ok', index, source: source.kind, in_sync: source.inSync } : { status: 'ok', index };
  const value: { [key: string]: Json } = name === 'health' ? health : statusValue(facts, now);
  const sh = (): string => {
    const flat: Record<string, string | number | boolean> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== null && typeof v !== 'object') flat[key] = v;
    }
    if (name === 'status' && facts.lastReload.error !== undefined) flat['error'] = facts.lastReload.error;
    if (name === 'status' && source) {
      for (const [key, v] of Object.entries(source.value)) if (v !== null && typeof v !== 'object') flat[`source_${key}`] = v;
    }
    return shAssignments(flat);
  };
  return prepare(200, format, encode(value, sh, format), index);
}
