/**
 * OpenSSH known_hosts files: parsing, lookup and the verdict on a presented key, as OpenSSH 9.2's
 * `check_host_key` gives it, and recording a new key the way `StrictHostKeyChecking accept-new` does.
 *
 * The rules, each checked against the real `ssh` by conformance.test.ts:
 * - a line names a host by plain names, `*`/`?` wildcards and `!negations` (case-insensitive), or by
 *   one hashed `|1|salt|hash` of the lowercased name; a line whose key does not parse is skipped;
 * - only the lines that name the host count, `@revoked` ones included: a key revoked on a line
 *   for other hosts says nothing about this one;
 * - the presented key revoked on such a line → revoked; listed → known; any other live key for the
 *   host, of any type → changed; none → unknown;
 * - `[host]:port` with no line at all falls back to the port-less name, which can only make the key
 *   known (a port-less line with another key leaves it unknown for `[host]:port`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { withFileLock } from '../../../core/fileLock.js';
import { HmacSha1Key } from './hmacSha1.js';
import { matchHostname } from '../config/patterns.js';
import { blobKeyType, isOpenSshKeyType, parsePublicKey } from './publicKey.js';

/** One key line of a known_hosts file, as written (its key is parsed only when it is looked up). */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  /** `@revoked` or `@cert-authority` (kept for lookups; muster does not use host certificates), else null. */
  marker: 'revoked' | 'cert-authority' | null;
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** The key blob, base64, as in the file. */
  key: string;
}

/** What a known_hosts lookup found for a presented key. */
export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  /** `entry`: the first line that holds another key for the host. */
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

const MARKERS: Readonly<Record<string, KnownHostEntry['marker']>> = { '@revoked': 'revoked', '@cert-authority': 'cert-authority' };

/** Parses the text of one known_hosts file; lines without three fields or with an unknown marker are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const trimmed = (lines[index] ?? '').trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      marker = MARKERS[fields.shift() ?? ''] ?? null;
      if (marker === null) continue;
    }
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    entries.push({ file, line: index + 1, marker, hosts, keyType, key });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Whether an entry's host field names `name` (as built by `knownHostName`): the lookup `linesNaming` does, on one line. */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  const index: IndexedFile = { byName: new Map(), patterns: [], hashed: [] };
  addToIndex(index, entry);
  return namesIn(index, name.toLowerCase()).length > 0;
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

/** One file, indexed: plain names in a map, patterns and hashed lines scanned. */
interface IndexedFile {
  byName: Map<string, KnownHostEntry[]>;
  patterns: KnownHostEntry[];
  hashed: HashedEntry[];
}

function addToIndex(index: IndexedFile, entry: KnownHostEntry): void {
  if (entry.hosts.startsWith('|1|')) {
    const [, , salt, hash] = entry.hosts.split('|');
    if (salt !== undefined && hash !== undefined) {
      index.hashed.push({ entry, hash: Buffer.from(hash, 'base64'), key: new HmacSha1Key(Buffer.from(salt, 'base64')) });
    }
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

/** The entries of one file that name `lowerName`: by name, by pattern (OpenSSH's `match_hostname`), by hash. */
function namesIn(index: IndexedFile, lowerName: string): KnownHostEntry[] {
  const entries = [...(index.byName.get(lowerName) ?? [])];
  for (const entry of index.patterns) if (matchHostname(lowerName, entry.hosts)) entries.push(entry);
  for (const hashed of index.hashed) if (hashed.key.digest(lowerName).equals(hashed.hash)) entries.push(hashed.entry);
  return entries;
}

/** A key to record (see `KnownHosts.accept`), and who waits for its verdict. */
interface RecordRequest {
  files: readonly string[];
  name: string;
  blob: Buffer;
  portless: string | undefined;
  resolve: (verdict: HostKeyVerdict) => void;
  reject: (error: unknown) => void;
}

interface RecordQueue {
  waiting: RecordRequest[];
  /** A turn is running: new records wait for the next one. */
  busy: boolean;
}

/** A line that names the host, with its key parsed (lines whose key does not parse are left out). */
interface Match {
  entry: KnownHostEntry;
  blob: Buffer;
}

/**
 * The known_hosts files of one operation, read once and looked up for every host.
 * Files that do not exist are empty; keys recorded by `accept` are seen by later lookups.
 * Plain names are found through a map; hashed lines cost two SHA-1 blocks each per lookup
 * (their HMAC key states are precomputed, see hmacSha1.ts), and each name is looked up once.
 */
export class KnownHosts {
  private readonly files = new Map<string, IndexedFile>();
  private readonly found = new Map<string, Match[]>();
  /** Per file written, the records waiting for their turn under the lock. */
  private readonly recording = new Map<string, RecordQueue>();

  /** Reads `file` unless it was read already; a missing file has no entries. */
  private load(file: string): IndexedFile {
    return this.files.get(file) ?? this.index(file, readKnownHostsFile(file));
  }

  /** Indexes `text` as the contents of `file`, replacing what was read of it, and forgets every lookup. */
  private index(file: string, text: string): IndexedFile {
    const index: IndexedFile = { byName: new Map(), patterns: [], hashed: [] };
    for (const entry of parseKnownHosts(text, file)) addToIndex(index, entry);
    this.files.set(file, index);
    this.found.clear();
    return index;
  }

  /**
   * Every line of `files` that names `name`, markers included, in file order: what `ssh-keygen -F`
   * lists (lines of a key type OpenSSH does not know are left out, as it does; their keys are not parsed).
   */
  linesNaming(files: readonly string[], name: string): KnownHostEntry[] {
    const lower = name.toLowerCase();
    const found: KnownHostEntry[] = [];
    for (const file of files) {
      const index = this.load(file);
      found.push(...namesIn(index, lower).filter((entry) => isOpenSshKeyType(entry.keyType)).sort((a, b) => a.line - b.line));
    }
    return found;
  }

  /** The lines naming `name` whose key parses (a line whose key does not is skipped, as `ssh` does), looked up once per name. */
  private matches(files: readonly string[], name: string): Match[] {
    const cacheKey = `${files.join('\0')}\n${name.toLowerCase()}`;
    const cached = this.found.get(cacheKey);
    if (cached) return cached;
    const found: Match[] = [];
    for (const entry of this.linesNaming(files, name)) {
      const blob = parsePublicKey(entry.keyType, entry.key);
      if (blob) found.push({ entry, blob });
    }
    this.found.set(cacheKey, found);
    return found;
  }

  /** Every live (not marked) entry of `files` that names `name`, in file order. */
  lookup(files: readonly string[], name: string): KnownHostEntry[] {
    return this.matches(files, name).filter((m) => m.entry.marker === null).map((m) => m.entry);
  }

  /** The key types known for `name`, so the client can ask the server for one of them first (as OpenSSH does). */
  knownTypes(files: readonly string[], name: string): string[] {
    return [...new Set(this.lookup(files, name).map((e) => e.keyType))];
  }

  /**
   * Judges a presented key (its wire blob) for `name`, as OpenSSH does (see the file header).
   * `portless`: the name without its port, tried when `name` (a `[host]:port`) has no line at all.
   */
  verify(files: readonly string[], name: string, blob: Buffer, portless?: string): HostKeyVerdict {
    const verdict = this.judge(files, name, blob);
    if (verdict.status !== 'unknown' || portless === undefined) return verdict;
    const fallback = this.judge(files, portless, blob);
    // OpenSSH lets a key revoked for the port-less name be recorded for [host]:port; muster refuses it.
    return fallback.status === 'known' || fallback.status === 'revoked' ? fallback : verdict;
  }

  private judge(files: readonly string[], name: string, blob: Buffer): HostKeyVerdict {
    const found = this.matches(files, name);
    const revoked = found.find((m) => m.entry.marker === 'revoked' && m.blob.equals(blob));
    if (revoked) return { status: 'revoked', entry: revoked.entry };
    const live = found.filter((m) => m.entry.marker === null);
    const known = live.find((m) => m.blob.equals(blob));
    if (known) return { status: 'known', entry: known.entry };
    const other = live[0];
    return other ? { status: 'changed', entry: other.entry } : { status: 'unknown' };
  }

  /**
   * Records a key judged unknown in `file` (the first UserKnownHostsFile), as accept-new does.
   * Under an flock of `file.lock` (withFileLock) the file is read again and the key judged again,
   * so muster processes recording at once write each key once, and a key another process
   * recorded meanwhile is seen: the verdict after that re-read is returned, and the line is
   * appended (creating the file and its folder, mode 0600/0700) only if it is still unknown.
   * The hosts of this process that ask while the lock is being taken wait for the next turn, all
   * together: one lock (one `flock` child) per turn, not one per host, so a hundred hosts
   * recording at once cost two turns, not a hundred in a row inside their connect timeout.
   */
  accept(files: readonly string[], file: string, name: string, blob: Buffer, portless?: string): Promise<HostKeyVerdict> {
    return new Promise((resolve, reject) => {
      let queue = this.recording.get(file);
      if (!queue) this.recording.set(file, (queue = { waiting: [], busy: false }));
      queue.waiting.push({ files, name, blob, portless, resolve, reject });
      if (!queue.busy) void this.recordTurns(file, queue);
    });
  }

  /** Takes the lock for the waiting records, turn after turn, until none waits. */
  private async recordTurns(file: string, queue: RecordQueue): Promise<void> {
    queue.busy = true;
    while (queue.waiting.length > 0) {
      const turn = queue.waiting.splice(0);
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        const verdicts = await withFileLock(file, async () => this.recordUnderLock(file, turn));
        turn.forEach((record, i) => record.resolve(verdicts[i] as HostKeyVerdict));
      } catch (error) {
        for (const record of turn) record.reject(error);
      }
    }
    queue.busy = false;
  }

  /** Reads `file` again, judges each record again and appends, in one write, the keys still unknown. */
  private recordUnderLock(file: string, records: RecordRequest[]): HostKeyVerdict[] {
    const text = readKnownHostsFile(file);
    const index = this.index(file, text);
    // A file whose last line has no newline would otherwise have the first new line joined to it.
    let added = text === '' || text.endsWith('\n') ? '' : '\n';
    let lineCount = text.split('\n').length - (added === '' ? 1 : 0);
    for (const { files, name, blob, portless } of records) {
      if (this.verify(files, name, blob, portless).status !== 'unknown') continue;
      const line = `${name} ${blobKeyType(blob) ?? 'unknown'} ${blob.toString('base64')}`;
      added += `${line}\n`;
      lineCount += 1;
      const entry = parseKnownHosts(line, file)[0];
      if (entry) addToIndex(index, { ...entry, line: lineCount });
      this.found.clear();
    }
    if (added.trim() !== '') appendFileSync(file, added, { mode: 0o600 });
    return records.map(({ files, name, blob, portless }) => this.verify(files, name, blob, portless));
  }
}

/** The text of a known_hosts file; a missing file is empty. */
function readKnownHostsFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Builds a hashed host field `|1|salt|hash` for `name`, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name.toLowerCase()).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}
