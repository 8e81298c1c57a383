/**
 * One inventory version and the responses prepared from it. A snapshot is
 * never changed once a newer one exists: a reload makes a new snapshot with
 * empty caches, so a response prepared from an old version cannot be served
 * for a new one, and nothing has to be invalidated.
 */
import { NotFoundError } from '../core/errors.js';
import type { Inventory } from '../inventory/index.js';
import { encode, prepare, type Prepared } from './prepared.js';
import { cacheKey, type ParsedRequest } from './request.js';
import { resolveRoute } from './routes.js';

/** An inventory version (X-Muster-Index) and its prepared responses. */
export interface Snapshot {
  readonly inventory: Inventory;
  readonly index: number;
  /** Of the bytes read (see `readInventory`): the same bytes again are no new version. */
  readonly digest: string;
  readonly loadedAt: Date;
  /** By what a request asks for (route, format, query). */
  readonly responses: Map<string, Prepared>;
  /** By raw request target and Accept header: the hot path skips parsing. */
  readonly byUrl: Map<string, Prepared>;
}

/** Cap on each prepared-response cache of one version (selectors are unbounded input). */
export const maxCached = 50_000;

/** A new snapshot of `inventory` as version `index`, with empty caches. */
export function newSnapshot(inventory: Inventory, index: number, digest: string, loadedAt = new Date()): Snapshot {
  return { inventory, index, digest, loadedAt, responses: new Map(), byUrl: new Map() };
}

/**
 * Keeps `prepared` in one of a snapshot's caches. A full cache is emptied
 * rather than trimmed: a client cycling through endless selectors costs
 * re-preparing, never unbounded memory, and the common routes come back at once.
 */
export function remember(map: Map<string, Prepared>, key: string, prepared: Prepared): void {
  if (map.size >= maxCached) map.clear();
  map.set(key, prepared);
}

/**
 * The prepared 200 for a parsed request, from the snapshot's cache or made
 * now (and kept). Throws what `resolveRoute` throws for what is not there; a
 * last segment with a format suffix (`web.example.sh`) that names nothing is
 * tried again as a whole name, in the format the query or Accept asks for.
 */
export function preparedFor(snapshot: Snapshot, parsed: ParsedRequest): Prepared {
  const key = cacheKey(parsed.segments, parsed.format, parsed.query);
  const cached = snapshot.responses.get(key);
  if (cached) return cached;
  let resource;
  let format = parsed.format;
  try {
    resource = resolveRoute(snapshot.inventory, parsed.segments, parsed.query);
  } catch (error) {
    if (!(error instanceof NotFoundError) || !parsed.unsuffixed) throw error;
    try {
      resource = resolveRoute(snapshot.inventory, parsed.unsuffixed, parsed.query);
      format = parsed.fallbackFormat;
    } catch {
      // The whole name is not there either: the first reason is the one to give.
      throw error;
    }
  }
  const prepared = prepare(200, format, encode(resource.value, resource.sh, format), snapshot.index);
  remember(snapshot.responses, key, prepared);
  return prepared;
}
