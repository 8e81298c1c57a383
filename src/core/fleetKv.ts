/**
 * The JetStream KV bucket that holds the inventory on every host (docs/publish.md). In core
 * because the publisher (ops), the agents that watch it, `serve --from-kv` and the broker's
 * permissions must spell its keys the same way.
 *
 * Layout of bucket `muster`:
 * - `version`: the `PublishedVersion` of the last publish, written last and compare-and-set,
 *   so a reader that holds every record the version's digest covers has one consistent inventory;
 * - `meta`: what the inventory says beyond its hosts, roles and groups (`SnapshotMeta`);
 * - `host.<T>`, `role.<T>`, `group.<T>`: one record each (`T` is `kvToken` of the name);
 * - `facts.<T>`: the facts an agent publishes about its own host (the only key it may write).
 */

/** The bucket's name. */
export const kvBucket = 'muster';

/** The stream behind the bucket. */
export const kvStream = `KV_${kvBucket}`;

/** The subject a key (or a key filter) of the bucket is published on: a KV put is a publish there. */
export function kvSubject(key: string): string {
  return `$KV.${kvBucket}.${key}`;
}

/**
 * The keys a reader of the inventory follows, as filters: `*` (the version and meta records),
 * then every host, role and group record. Never `>`: that would bring every host's facts and
 * every join request to every agent.
 */
export const inventoryKeyFilters = ['*', 'host.>', 'role.>', 'group.>'] as const;

/** The key of the published version. */
export const versionKey = 'version';

/** The key of the inventory's meta record. */
export const metaKey = 'meta';

/** The kinds of record the publisher writes, one key per name. */
export type RecordKind = 'host' | 'role' | 'group';

/**
 * One KV key token for a name: letters, digits, `_` and `-` are kept, every other byte (the
 * `.` of `web01.dc1`) becomes `=XX` (KV keys allow `=`, not `%`), so a name is always one token.
 */
export function kvToken(name: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(name)) return name;
  let token = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    token += /[A-Za-z0-9_-]/.test(char) ? char : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (token === '') throw new Error('a KV key needs a non-empty name');
  return token;
}

/** The name a `kvToken` stands for. */
export function kvName(token: string): string {
  if (!token.includes('=')) return token;
  const bytes: number[] = [];
  for (let at = 0; at < token.length; at += 1) {
    if (token[at] === '=') {
      bytes.push(parseInt(token.slice(at + 1, at + 3), 16));
      at += 2;
    } else bytes.push(token.charCodeAt(at));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The key of one host's, role's or group's record. */
export function recordKey(kind: RecordKind, name: string): string {
  return `${kind}.${kvToken(name)}`;
}

/** The key of one host's facts. */
export function factsKey(host: string): string {
  return `facts.${kvToken(host)}`;
}

/** What a key names: a record, facts, the version or the meta record; undefined for any other key. */
export function parseKey(key: string): { kind: RecordKind | 'facts'; name: string } | { kind: 'version' | 'meta' } | undefined {
  if (key === versionKey || key === metaKey) return { kind: key };
  const dot = key.indexOf('.');
  const kind = key.slice(0, dot);
  if (dot < 0 || !['host', 'role', 'group', 'facts'].includes(kind)) return undefined;
  return { kind: kind as RecordKind | 'facts', name: kvName(key.slice(dot + 1)) };
}

/**
 * The `version` key's value. `digest` is `snapshotDigest` of the records it covers (inventory/
 * snapshot.ts): a reader writes its copy only when the records it holds give the same digest.
 * While a publish is writing, `publishing` says by whom since when (a second publish refuses).
 */
export interface PublishedVersion {
  /** Counts publishes, from 1. */
  revision: number;
  digest: string;
  /** ISO 8601. */
  publishedAt: string;
  /** Who published: `user@machine`. */
  by: string;
  hosts: number;
  publishing?: { by: string; since: string };
}

/** The key of a host's request to join (written by the host with a join credential: docs/join.md). */
export function pendingKey(host: string): string {
  return `pending.${kvToken(host)}`;
}

/** The key of the answer to a host's request to join, once admitted: its certificate. */
export function joinedKey(host: string): string {
  return `joined.${kvToken(host)}`;
}

/** A host's request to join: its name, its CSR (its key never leaves it) and its facts. */
export interface JoinRequest {
  name: string;
  csr: string;
  facts: Record<string, unknown>;
  /** ISO 8601. */
  requestedAt: string;
}

/** The answer to an admitted host: its certificate and what its agent.json needs. */
export interface JoinAnswer {
  name: string;
  cert: string;
  roles: string[];
  servers: string[];
  /** ISO 8601. */
  admittedAt: string;
  by: string;
}

/**
 * The `version` key's text read as a `PublishedVersion`, or why it is not one: every reader
 * (the publisher, the agents' copy keeper, `serve --from-kv`) takes it by the same rule.
 */
export function readPublishedVersion(text: string): { version: PublishedVersion; error?: undefined } | { version?: undefined; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'the version key is not JSON' };
  }
  const v = parsed as Partial<PublishedVersion> | null;
  // Revision 0 only with a publishing mark: the first publish, under way.
  const lowest = v && typeof v === 'object' && v.publishing !== undefined ? 0 : 1;
  if (!v || typeof v !== 'object' || !Number.isSafeInteger(v.revision) || (v.revision ?? 0) < lowest || typeof v.digest !== 'string'
    || typeof v.publishedAt !== 'string' || typeof v.by !== 'string' || typeof v.hosts !== 'number') {
    return { error: 'the version key is not a published version (revision ≥ 1, digest, publishedAt, by, hosts)' };
  }
  return { version: v as PublishedVersion };
}
