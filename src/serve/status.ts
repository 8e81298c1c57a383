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
  return {
    status: lastReload.ok ? 'ok' : 'error',
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
  const value: { [key: string]: Json } = name === 'health' ? { status: 'ok', index } : statusValue(facts, now);
  const sh = (): string => {
    const flat: Record<string, string | number | boolean> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== null && typeof v !== 'object') flat[key] = v;
    }
    if (name === 'status' && facts.lastReload.error !== undefined) flat['error'] = facts.lastReload.error;
    return shAssignments(flat);
  };
  return prepare(200, format, encode(value, sh, format), index);
}
