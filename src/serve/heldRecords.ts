/**
 * The bucket's records as a reader holds them: each key's exact text and its `recordDigest`,
 * and the `version` key read as a `PublishedVersion`. Kept apart from the source that swaps
 * snapshots so the one rule that matters, "serve only records whose digest is the version's",
 * is a pure function of what is held: `digest()` is `snapshotDigest` over exactly the keys a
 * snapshot has (meta, host, role, group; facts and unknown keys are not part of it).
 */
import { MusterError } from '../core/errors.js';
import { readPublishedVersion, versionKey, type PublishedVersion } from '../core/fleetKv.js';
import { isSnapshotKey, recordDigest, type Snapshot } from '../inventory/snapshot.js';
import { SnapshotDigester } from '../inventory/snapshotDigest.js';

/** What a put or delete touched. */
export type Touched = 'version' | 'record' | 'other';

/** The version key as read: the version, or why it is not one. */
export type HeldVersion = { version: PublishedVersion; error?: undefined } | { version?: undefined; error: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The records and the version of one bucket, as last delivered. */
export class HeldRecords {
  readonly #records = new Map<string, string>();
  readonly #digests = new SnapshotDigester();
  #version: HeldVersion | undefined;

  /** The version key, once delivered. */
  get version(): HeldVersion | undefined {
    return this.#version;
  }

  /** How many snapshot records are held. */
  get size(): number {
    return this.#records.size;
  }

  /** Forgets everything (a replay follows). */
  clear(): void {
    this.#records.clear();
    this.#digests.clear();
    this.#version = undefined;
  }

  /** Holds a key's new value. */
  put(key: string, value: Uint8Array): Touched {
    if (key === versionKey) {
      this.#version = readVersion(value);
      return 'version';
    }
    if (!isSnapshotKey(key)) return 'other';
    // Bytes that are not UTF-8 still get their digest (of the bytes), so they can never match a version's by accident.
    let text: string;
    try {
      text = decoder.decode(value);
    } catch {
      text = '\u0000not utf-8';
    }
    this.#records.set(key, text);
    this.#digests.set(key, recordDigest(value));
    return 'record';
  }

  /** Drops a key deleted or purged. */
  delete(key: string): Touched {
    if (key === versionKey) {
      this.#version = undefined;
      return 'version';
    }
    this.#digests.delete(key);
    return this.#records.delete(key) ? 'record' : 'other';
  }

  /** `snapshotDigest` of the records held: what a version's `digest` must be for them to be served. */
  digest(): string {
    return this.#digests.digest();
  }

  /** The records as a snapshot (parsed). Throws a `MusterError` naming `where` and the key of a record that is not JSON. */
  snapshot(where: string): Snapshot {
    const snapshot: Snapshot = new Map();
    for (const [key, text] of this.#records) {
      try {
        snapshot.set(key, JSON.parse(text) as unknown);
      } catch {
        throw new MusterError(`${where}: the record ${key} is not JSON`);
      }
    }
    return snapshot;
  }
}

/** The version key's value read (core/fleetKv.ts), or why it is not a `PublishedVersion`. */
function readVersion(value: Uint8Array): HeldVersion {
  try {
    return readPublishedVersion(decoder.decode(value));
  } catch {
    return { error: 'the version key is not UTF-8' };
  }
}
