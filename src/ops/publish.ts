/**
 * `muster publish`: the resolved inventory into the KV bucket (docs/publish.md), only the
 * records whose text changed, removed keys deleted, then the `version` key last.
 *
 * Consistency with two publishers at once comes from compare-and-set on `version`: the
 * publisher reads it (revision R), reads the records, and marks `publishing: {by, since}`
 * with an update expecting R. A second publisher sees the mark and refuses, naming who holds
 * it, unless the mark is older than `staleMarkMs` (its publisher died: it is taken over, by
 * the same compare-and-set). Whoever wins the mark writes the records, then sets the final
 * version expecting the mark's revision. Readers use a copy only when their records give the
 * version's digest, so the records written meanwhile are never read as half of two publishes.
 */
import type { KV } from '@nats-io/kv';
import { kvBucket, parseKey, readPublishedVersion, versionKey, type PublishedVersion, type RecordKind } from '../core/fleetKv.js';
import { digestOf, isSnapshotKey, recordText, type Snapshot } from '../inventory/snapshot.js';
import { bucketFailure, PublishError, readBucket, type HeldValue } from './publishBucket.js';

/** A `publishing` mark older than this is a dead publisher's, and taken over. */
export const defaultStaleMarkMs = 60_000;

/** How many puts are in flight at once (each waits for JetStream's ack). */
const putWindow = 256;

/** Names per kind of record. */
export type NamesByKind = Record<RecordKind, string[]>;

/** What a publish did. */
export interface PublishResult {
  /** False: the bucket already held this inventory (nothing written). */
  published: boolean;
  revision: number;
  digest: string;
  /** Records written: new or changed. */
  changed: NamesByKind;
  /** Records deleted: no longer in the inventory. */
  removed: NamesByKind;
  /** Whether the meta record (states, checks, order, agents…) changed. */
  metaChanged: boolean;
  hosts: number;
  /** A dead publisher's mark that was taken over. */
  tookOver?: { by: string; since: string };
}

/** Options of `publishSnapshot`. */
export interface PublishOptions {
  /** Who publishes: `user@machine`. */
  by: string;
  /** The operator (for the refusal's words). */
  operator: string;
  staleMarkMs?: number;
  now?: () => Date;
}

function emptyNames(): NamesByKind {
  return { host: [], role: [], group: [] };
}

/** The kind and name of a host, role or group key; undefined for meta and the rest. */
function recordOf(key: string): { kind: RecordKind; name: string } | undefined {
  const parsed = parseKey(key);
  if (!parsed || !('name' in parsed) || parsed.kind === 'facts') return undefined;
  return { kind: parsed.kind, name: parsed.name };
}

function parseVersion(held: HeldValue | undefined): PublishedVersion | undefined {
  // A version that is not one is overwritten by the next publish, as if absent.
  return held ? readPublishedVersion(held.text).version : undefined;
}

/** Whether JetStream refused a compare-and-set: the key moved since it was read. */
function isWrongSequence(error: unknown): boolean {
  return /wrong last sequence|key exists/i.test(error instanceof Error ? error.message : String(error));
}

/** The line for a mark another publisher holds. */
function busyMessage(mark: { by: string; since: string }, now: Date, staleMs: number): string {
  const age = Math.max(0, Math.round((now.getTime() - Date.parse(mark.since)) / 1000));
  return `another publish is running: ${mark.by} since ${mark.since} (${age} s ago); try again when it is done (a mark older than ${Math.round(staleMs / 1000)} s is taken over)`;
}

/** Sets `version` to `value` only if it is still at `revision` (0: absent); the new revision. */
async function compareAndSet(kv: KV, value: unknown, revision: number): Promise<number> {
  const text = JSON.stringify(value);
  return revision === 0 ? kv.create(versionKey, text) : kv.update(versionKey, text, revision);
}

/**
 * Publishes `snapshot` (inventory/snapshot.ts `snapshotOf`) into `kv`. Throws a PublishError
 * for a mark another publisher holds (naming it), a publish taken over meanwhile, and any
 * refusal of the broker (`bucketFailure`). On a failure after the mark, the version is set
 * back as it was (without the mark), so the next publish need not wait for the mark to go stale.
 */
export async function publishSnapshot(kv: KV, snapshot: Snapshot, options: PublishOptions): Promise<PublishResult> {
  const now = options.now ?? (() => new Date());
  const staleMs = options.staleMarkMs ?? defaultStaleMarkMs;
  const held = await readBucket(kv, options.operator);
  const versionHeld = held.get(versionKey);
  const previous = parseVersion(versionHeld);
  const mark = previous?.publishing;
  if (mark && now().getTime() - Date.parse(mark.since) < staleMs) throw new PublishError(busyMessage(mark, now(), staleMs));

  const texts = new Map([...snapshot].map(([key, record]) => [key, recordText(record)]));
  const digest = digestOf(snapshot);
  const changed = emptyNames();
  const removed = emptyNames();
  let metaChanged = false;
  const puts: Array<[string, string]> = [];
  for (const [key, text] of texts) {
    if (held.get(key)?.text === text) continue;
    puts.push([key, text]);
    const record = recordOf(key);
    if (record) changed[record.kind].push(record.name);
    else metaChanged = true;
  }
  const deletes: string[] = [];
  for (const key of held.keys()) {
    if (!isSnapshotKey(key) || texts.has(key)) continue;
    deletes.push(key);
    const record = recordOf(key);
    if (record) removed[record.kind].push(record.name);
  }
  const hosts = [...texts.keys()].filter((key) => key.startsWith('host.')).length;
  const result = { digest, changed, removed, metaChanged, hosts, ...(mark ? { tookOver: mark } : {}) };
  if (puts.length === 0 && deletes.length === 0 && previous && !mark && previous.digest === digest) {
    return { ...result, published: false, revision: previous.revision };
  }

  const base: PublishedVersion = previous
    ? { revision: previous.revision, digest: previous.digest, publishedAt: previous.publishedAt, by: previous.by, hosts: previous.hosts }
    : { revision: 0, digest: '', publishedAt: now().toISOString(), by: options.by, hosts: 0 };
  let markRevision: number;
  try {
    markRevision = await compareAndSet(kv, { ...base, publishing: { by: options.by, since: now().toISOString() } }, versionHeld?.revision ?? 0);
  } catch (error) {
    if (!isWrongSequence(error)) throw bucketFailure(error, options.operator);
    const other = parseVersion(await kv.get(versionKey).then((entry) => (entry ? { revision: entry.revision, text: entry.string() } : undefined)).catch(() => undefined));
    throw new PublishError(other?.publishing ? busyMessage(other.publishing, now(), staleMs) : `another publish changed the bucket ${kvBucket} meanwhile (now revision ${other?.revision ?? '?'}); run muster publish again`);
  }

  const final: PublishedVersion = { revision: base.revision + 1, digest, publishedAt: now().toISOString(), by: options.by, hosts };
  try {
    for (let at = 0; at < puts.length; at += putWindow) {
      await Promise.all(puts.slice(at, at + putWindow).map(([key, text]) => kv.put(key, text)));
    }
    for (let at = 0; at < deletes.length; at += putWindow) {
      await Promise.all(deletes.slice(at, at + putWindow).map((key) => kv.delete(key)));
    }
    await compareAndSet(kv, final, markRevision);
  } catch (error) {
    if (isWrongSequence(error)) {
      throw new PublishError(`this publish was taken over by another (its records may be mixed until that one ends; the version key says which is published): run muster publish again`);
    }
    // Put the version back as it was: readers keep the copy they have, the next publish needs no wait.
    await compareAndSet(kv, base, markRevision).catch(() => undefined);
    throw bucketFailure(error, options.operator);
  }
  return { ...result, published: true, revision: final.revision };
}
