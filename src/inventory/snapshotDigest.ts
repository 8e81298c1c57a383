/**
 * The digest of a whole snapshot from each key's `recordDigest`: what the `version` key
 * publishes and every reader recomputes (the agents' copies, `serve --from-kv`, a local copy
 * read back). A two-level hash so a reader holding 10,000 records follows a one-host edit in
 * microseconds, not milliseconds: 1,000 agents each re-hashing every key (~4 ms) would spend
 * seconds of a fleet's CPU on every edit.
 *
 * Keys fall into 256 bins by the FNV-1a hash of the key; a bin's hash is sha256 over its
 * `key \0 digest \n` lines in key order, the digest sha256 over the 256 bin hashes in bin
 * order. A change re-hashes one bin (~40 keys of 10,000) and the 8 KiB of bin hashes.
 */
import { createHash } from 'node:crypto';

const binCount = 256;

/** The bin of a key: FNV-1a (32 bits) of its UTF-16 code units, low 8 bits. */
function binOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < key.length; at += 1) hash = Math.imul(hash ^ key.charCodeAt(at), 0x01000193);
  return hash & (binCount - 1);
}

/** One digest per key, kept so that the snapshot's digest is recomputed only where keys changed. */
export class SnapshotDigester {
  readonly #bins: Array<Map<string, string>> = Array.from({ length: binCount }, () => new Map());
  /** Each bin's hash (32 bytes), undefined while the bin has changed since. */
  readonly #binHashes: Array<Buffer | undefined> = new Array<Buffer | undefined>(binCount);
  #digest: string | undefined;

  /** Holds `key`'s record digest. */
  set(key: string, digest: string): void {
    const bin = binOf(key);
    if (this.#bins[bin]?.get(key) === digest) return;
    this.#bins[bin]?.set(key, digest);
    this.#changed(bin);
  }

  /** Forgets `key`. */
  delete(key: string): void {
    const bin = binOf(key);
    if (this.#bins[bin]?.delete(key)) this.#changed(bin);
  }

  /** Forgets every key. */
  clear(): void {
    for (const [bin, keys] of this.#bins.entries()) {
      if (keys.size === 0) continue;
      keys.clear();
      this.#changed(bin);
    }
  }

  /** The digest of the keys held. */
  digest(): string {
    if (this.#digest !== undefined) return this.#digest;
    const top = createHash('sha256');
    for (let bin = 0; bin < binCount; bin += 1) {
      let binHash = this.#binHashes[bin];
      if (binHash === undefined) {
        const keys = this.#bins[bin] ?? new Map<string, string>();
        const hash = createHash('sha256');
        for (const key of [...keys.keys()].sort()) hash.update(`${key}\0${keys.get(key) ?? ''}\n`);
        binHash = hash.digest();
        this.#binHashes[bin] = binHash;
      }
      top.update(binHash);
    }
    this.#digest = top.digest('hex');
    return this.#digest;
  }

  #changed(bin: number): void {
    this.#binHashes[bin] = undefined;
    this.#digest = undefined;
  }
}

/** The digest of a whole snapshot from each key's `recordDigest` (see the top of this file). */
export function snapshotDigest(digests: ReadonlyMap<string, string>): string {
  const digester = new SnapshotDigester();
  for (const [key, digest] of digests) digester.set(key, digest);
  return digester.digest();
}
