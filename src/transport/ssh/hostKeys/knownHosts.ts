/**
 * OpenSSH known_hosts files: parsing, lookup (plain, hashed, wildcard, negated,
 * `[host]:port` entries, `@revoked` markers) and recording a new key the way
 * `StrictHostKeyChecking accept-new` does.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HmacSha1Key } from './hmacSha1.js';

/** One key line of a known_hosts file. `@cert-authority` lines are not kept: muster does not use host certificates. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  revoked: boolean;
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** The key blob, base64, as in the file. */
  key: string;
}

/** What a known_hosts lookup found for a presented key. */
export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** Parses the text of one known_hosts file; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const trimmed = (lines[index] ?? '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') continue;
      if (marker !== '@revoked') continue;
      revoked = true;
    }
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    entries.push({ file, line: index + 1, revoked, hosts, keyType, key });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Whether an entry's host field names `name` (as built by `knownHostName`). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  const hosts = entry.hosts;
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const raw of hosts.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!globMatch(pattern.toLowerCase(), name.toLowerCase())) continue;
    // A matching negated pattern excludes the line whatever else matches.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** OpenSSH's `*` / `?` host patterns. */
function globMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(text);
}

/** Formats an entry's place as `file:line`, for messages. */
export function entryPlace(entry: KnownHostEntry): string {
  return `${entry.file}:${entry.line}`;
}

/** A hashed entry with its HMAC key schedule done once: looking a name up costs two SHA-1 blocks. */
interface HashedEntry {
  entry: KnownHostEntry;
  hash: Buffer;
  key: HmacSha1Key;
}

/** One file, indexed: plain names in a map, patterns and hashed lines scanned, revoked keys by key. */
interface IndexedFile {
  entries: KnownHostEntry[];
  byName: Map<string, KnownHostEntry[]>;
  patterns: KnownHostEntry[];
  hashed: HashedEntry[];
  revoked: Map<string, KnownHostEntry>;
}

function hashedEntry(entry: KnownHostEntry): HashedEntry | undefined {
  const [, , salt, hash] = entry.hosts.split('|');
  if (salt === undefined || hash === undefined) return undefined;
  return { entry, hash: Buffer.from(hash, 'base64'), key: new HmacSha1Key(Buffer.from(salt, 'base64')) };
}

function addToIndex(index: IndexedFile, entry: KnownHostEntry): void {
  index.entries.push(entry);
  if (entry.revoked) {
    if (!index.revoked.has(entry.key)) index.revoked.set(entry.key, entry);
    return;
  }
  if (entry.hosts.startsWith('|1|')) {
    const hashed = hashedEntry(entry);
    if (hashed) index.hashed.push(hashed);
    return;
  }
  if (/[*?!]/.test(entry.hosts)) {
    index.patterns.push(entry);
    return;
  }
  for (const name of entry.hosts.toLowerCase().split(',')) {
    const list = index.byName.get(name);
    if (list) list.push(entry);
    else index.byName.set(name, [entry]);
  }
}

/**
 * The known_hosts files of one operation, read once and looked up for every host.
 * Files that do not exist are empty; keys recorded by `record` are seen by later lookups.
 * Plain names are found through a map; hashed lines cost two SHA-1 blocks each per lookup
 * (their HMAC key states are precomputed, see hmacSha1.ts), and each name is looked up once.
 */
export class KnownHosts {
  private readonly files = new Map<string, IndexedFile>();
  private readonly found = new Map<string, KnownHostEntry[]>();

  /** Reads `file` unless it was read already; a missing file has no entries. */
  private load(file: string): IndexedFile {
    let index = this.files.get(file);
    if (index) return index;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    index = { entries: [], byName: new Map(), patterns: [], hashed: [], revoked: new Map() };
    for (const entry of parseKnownHosts(text, file)) addToIndex(index, entry);
    this.files.set(file, index);
    return index;
  }

  /** Every live (not revoked) entry of `files` that names `name`, in file order. */
  lookup(files: readonly string[], name: string): KnownHostEntry[] {
    const cacheKey = `${files.join('\0')}\n${name}`;
    const cached = this.found.get(cacheKey);
    if (cached) return cached;
    const found: KnownHostEntry[] = [];
    for (const file of files) {
      const index = this.load(file);
      const matches = [...(index.byName.get(name.toLowerCase()) ?? [])];
      for (const entry of index.patterns) if (entryMatches(entry, name)) matches.push(entry);
      for (const hashed of index.hashed) {
        if (hashed.key.digest(name).equals(hashed.hash)) matches.push(hashed.entry);
      }
      found.push(...matches.sort((a, b) => a.line - b.line));
    }
    this.found.set(cacheKey, found);
    return found;
  }

  /** The key types known for `name`, so the client can ask the server for one of them first (as OpenSSH does). */
  knownTypes(files: readonly string[], name: string): string[] {
    return [...new Set(this.lookup(files, name).map((e) => e.keyType))];
  }

  /**
   * Checks a presented key against the files, as OpenSSH does: a revoked key is refused wherever it
   * is listed; a matching line accepts; a line of the same key type with another key means the key
   * changed; no line of that type means unknown.
   */
  verify(files: readonly string[], name: string, keyType: string, key: string): HostKeyVerdict {
    for (const file of files) {
      // A revoked key is refused for any host, like OpenSSH's check_key_not_revoked().
      const revoked = this.load(file).revoked.get(key);
      if (revoked) return { status: 'revoked', entry: revoked };
    }
    const live = this.lookup(files, name);
    const match = live.find((entry) => entry.key === key && sameKeyFamily(entry.keyType, keyType));
    if (match) return { status: 'known', entry: match };
    const changed = live.find((entry) => sameKeyFamily(entry.keyType, keyType));
    if (changed) return { status: 'changed', entry: changed };
    return { status: 'unknown', otherTypes: [...new Set(live.map((entry) => entry.keyType))] };
  }

  /**
   * Appends `name keyType key` to `file` (creating it and its folder, mode 0600/0700) and remembers it.
   * One `O_APPEND` write of a short line: concurrent appends from several hosts or processes do not interleave.
   */
  record(file: string, name: string, keyType: string, key: string): KnownHostEntry {
    const index = this.load(file);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const text = `${name} ${keyType} ${key}\n`;
    appendFileSync(file, text, { mode: 0o600 });
    // The line number is found again after the write: another process may have appended meanwhile.
    const lines = readFileSync(file, 'utf8').split('\n');
    const line = lines.lastIndexOf(text.trimEnd()) + 1;
    const entry: KnownHostEntry = { file, line, revoked: false, hosts: name, keyType, key };
    addToIndex(index, entry);
    this.found.clear();
    return entry;
  }
}

/** RSA keys are listed as `ssh-rsa` whichever signature algorithm (rsa-sha2-256/512) was negotiated. */
function sameKeyFamily(a: string, b: string): boolean {
  return normalizeKeyType(a) === normalizeKeyType(b);
}

function normalizeKeyType(type: string): string {
  return type === 'rsa-sha2-256' || type === 'rsa-sha2-512' ? 'ssh-rsa' : type;
}

/** Builds a hashed host field `|1|salt|hash` for `name`, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}
