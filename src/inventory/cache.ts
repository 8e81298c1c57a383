/**
 * A cache of the parsed inventory, so that `muster ls` on a 10,000-host fleet
 * does not pay for parsing and validating 600 KB of YAML on every run (the YAML
 * parser alone takes ~400 ms there). It is keyed by the exact text of every
 * file, the paths, the working folder and muster's own code, so an edit, a move
 * or an upgrade can never be served stale data. Only valid inventories are
 * cached, of every size: a small one parses in a few milliseconds, but the YAML
 * parser and the schema (yaml and zod, ~1 MB of code) take ~70 ms to load, which a
 * cache hit never pays (a third of `muster run` on one host). The folder keeps the
 * `maxFiles` most recently written inventories (every test's temporary one is a new
 * file), so it stays small.
 * Hosts made by one entry (a pattern) are stored once, and every distinct
 * provenance record once, so the file stays small and quick to read back.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../core/errors.js';
import type { AgentsSettings, Check, Group, Host, Inventory, Provenance, Role, VarValue } from './types.js';

/** Where and when to cache. */
export interface CacheOptions {
  /** Folder of the cache files; default `$MUSTER_CACHE_DIR`, else `$XDG_CACHE_HOME/muster`, else `~/.cache/muster`. */
  dir?: string;
  /** Inventories smaller than this many bytes of YAML are not cached; default 0 (every one is). */
  minBytes?: number;
  /** The cache files kept in `dir`, newest first; default 64. */
  maxFiles?: number;
}

/** How many cache files a folder keeps unless told. */
export const defaultMaxCacheFiles = 64;

const format = 2;

interface Entry {
  /** Host names of the entry, in order. */
  n: string[];
  /** Addresses, when the entry sets them (else each host's name). */
  a?: string[];
  r: string[];
  s: string;
  u?: string;
  p?: number;
  o?: string;
  v: Record<string, VarValue>;
  /** The entry's own `files:` and `provision:` sections. */
  f?: Host['files'];
  q?: Host['provision'];
  /** Provenance of each key: an index into `provenance`. */
  w: Record<string, number>;
  /** definedAt: index into `paths`, line, col. */
  d: [number, number, number];
}

interface Stored {
  format: number;
  key: string;
  files: string[];
  paths: string[];
  states: string[];
  skipStates: string[];
  sshConfig?: string;
  agents?: AgentsSettings;
  profiles?: Inventory['profiles'];
  roles: Role[];
  groups: Group[];
  checks: Check[];
  /** Distinct provenance records: layer, index into `paths`, line, col. */
  provenance: [Provenance['layer'], number, number, number][];
  entries: Entry[];
}

/** The cache folder from the options and the environment. */
export function cacheDir(options: CacheOptions, env: NodeJS.ProcessEnv): string {
  return options.dir ?? env['MUSTER_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'muster');
}

let codeStamp: string | undefined;

/**
 * What identifies muster's parsing code: a hash of the modules that shape an
 * Inventory (or of the bundle). By content, not mtime: every build rewrites them.
 */
function code(): string {
  if (codeStamp !== undefined) return codeStamp;
  const here = fileURLToPath(import.meta.url);
  const hash = createHash('sha256');
  // In the bundle (scripts/bundle.js) chunk names are hashes of their content; the entry is not.
  // Every module of the inventory and core layers, not a hand-kept list that a new module (a
  // nodeset scanner, a file reader, a limit) silently falls out of.
  const names = basename(here) === 'cache.js' ? [...modulesIn(dirname(here), ''), ...modulesIn(join(dirname(here), '../core'), '../core/')] : ['main.js'];
  if (basename(here) !== 'cache.js') hash.update(readdirSync(dirname(here)).sort().join('\0'));
  for (const name of names) {
    try {
      hash.update(readFileSync(join(dirname(here), name)));
    } catch (error) {
      hash.update(`${name}:${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  codeStamp = hash.digest('hex');
  return codeStamp;
}

function modulesIn(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.js') && !name.endsWith('.test.js')).sort().map((name) => prefix + name);
}

/** The cache key and file for these sources. */
export function cacheSlot(sources: { path: string; text: string }[], cwd: string, dir: string): { key: string; file: string } {
  const slot = createHash('sha256').update(`${cwd}\0${sources.map((source) => source.path).join('\0')}`).digest('hex').slice(0, 24);
  const hash = createHash('sha256').update(`${format}\0${code()}\0${cwd}\0`);
  for (const source of sources) hash.update(`${source.path}\0${source.text.length}\0`).update(source.text);
  return { key: hash.digest('hex'), file: join(dir, `inventory-${slot}.json`) };
}

/** The cached inventory for these sources, or undefined (absent, stale, or unreadable: the caller parses). */
export function readCache(slot: { key: string; file: string }): Inventory | undefined {
  let stored: Stored;
  try {
    stored = JSON.parse(readFileSync(slot.file, 'utf8')) as Stored;
  } catch (error) {
    // A missing or damaged cache file only means parsing this time.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    return undefined;
  }
  if (stored.format !== format || stored.key !== slot.key) return undefined;
  const records: Provenance[] = stored.provenance.map(([layer, file, line, col]) => ({ layer, at: { file: stored.paths[file] ?? '', line, col } }));
  const hosts: Host[] = [];
  for (const entry of stored.entries) {
    const definedAt: SourceLocation = { file: stored.paths[entry.d[0]] ?? '', line: entry.d[1], col: entry.d[2] };
    const provenance: Record<string, Provenance> = {};
    for (const key in entry.w) {
      const record = records[entry.w[key] ?? 0] as Provenance;
      // Plain assignment is much faster than defineProperty; only `__proto__` needs the latter.
      if (key === '__proto__') Object.defineProperty(provenance, key, { value: record, enumerable: true, writable: true, configurable: true });
      else provenance[key] = record;
    }
    Object.freeze(provenance);
    entry.n.forEach((name, i) => {
      const host: Host = { name, address: entry.a?.[i] ?? name, roles: [...entry.r], state: entry.s, vars: { ...entry.v }, provenance, definedAt };
      if (entry.u !== undefined) host.user = entry.u;
      if (entry.p !== undefined) host.port = entry.p;
      if (entry.o !== undefined) host.note = entry.o;
      if (entry.f !== undefined) host.files = entry.f;
      if (entry.q !== undefined) host.provision = entry.q;
      hosts.push(host);
    });
  }
  const inventory: Inventory = {
    files: stored.files,
    states: stored.states,
    skipStates: stored.skipStates,
    hosts,
    hostsByName: new Map(hosts.map((host) => [host.name, host])),
    roles: new Map(stored.roles.map((role) => [role.name, role])),
    groups: new Map(stored.groups.map((group) => [group.name, group])),
    checks: new Map(stored.checks.map((check) => [check.name, check])),
  };
  if (stored.sshConfig !== undefined) inventory.sshConfig = stored.sshConfig;
  if (stored.agents !== undefined) inventory.agents = stored.agents;
  if (stored.profiles !== undefined) inventory.profiles = stored.profiles;
  return inventory;
}

/**
 * Stores a valid inventory for next time. Failing to write (read-only home, full
 * disk) is not an error: the cache is only an optimisation.
 */
export function writeCache(slot: { key: string; file: string }, inventory: Inventory, paths: string[], maxFiles = defaultMaxCacheFiles): boolean {
  const pathIndex = new Map(paths.map((path, i) => [path, i]));
  const entries: Entry[] = [];
  const records: Stored['provenance'] = [];
  const recordIndex = new Map<string, number>();
  const recordOf = ({ layer, at }: Provenance): number => {
    const record: Stored['provenance'][number] = [layer, pathIndex.get(at.file) ?? 0, at.line, at.col];
    const text = record.join('\0');
    let index = recordIndex.get(text);
    if (index === undefined) {
      index = records.push(record) - 1;
      recordIndex.set(text, index);
    }
    return index;
  };
  let last: { at: SourceLocation; entry: Entry } | undefined;
  for (const host of inventory.hosts) {
    if (last && last.at === host.definedAt) {
      last.entry.n.push(host.name);
      if (last.entry.a) last.entry.a.push(host.address);
      continue;
    }
    const w: Record<string, number> = {};
    for (const [key, provenance] of Object.entries(host.provenance)) {
      if (key === '__proto__') Object.defineProperty(w, key, { value: recordOf(provenance), enumerable: true, writable: true, configurable: true });
      else w[key] = recordOf(provenance);
    }
    const entry: Entry = { n: [host.name], r: host.roles, s: host.state, v: host.vars, w, d: [pathIndex.get(host.definedAt.file) ?? 0, host.definedAt.line, host.definedAt.col] };
    if (host.address !== host.name || host.provenance['address']?.at !== host.definedAt) entry.a = [host.address];
    if (host.user !== undefined) entry.u = host.user;
    if (host.port !== undefined) entry.p = host.port;
    if (host.note !== undefined) entry.o = host.note;
    if (host.files !== undefined) entry.f = host.files;
    if (host.provision !== undefined) entry.q = host.provision;
    entries.push(entry);
    last = { at: host.definedAt, entry };
  }
  const stored: Stored = {
    format,
    key: slot.key,
    files: inventory.files,
    paths,
    states: inventory.states,
    skipStates: inventory.skipStates,
    roles: [...inventory.roles.values()],
    groups: [...inventory.groups.values()],
    checks: [...inventory.checks.values()],
    provenance: records,
    entries,
  };
  if (inventory.sshConfig !== undefined) stored.sshConfig = inventory.sshConfig;
  if (inventory.agents !== undefined) stored.agents = inventory.agents;
  if (inventory.profiles !== undefined) stored.profiles = inventory.profiles;
  const temp = `${slot.file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(slot.file), { recursive: true, mode: 0o700 });
    writeFileSync(temp, JSON.stringify(stored), { mode: 0o600 });
    renameSync(temp, slot.file);
    prune(dirname(slot.file), maxFiles);
    return true;
  } catch (error) {
    if (!(error instanceof Error) || !('code' in error)) throw error;
    return false;
  }
}

/**
 * Removes all but the `keep` most recently written cache files of `dir`. Only on a write (a
 * cache miss), so a hit costs nothing more. Another muster pruning at the same time may
 * remove a file first: that is no failure.
 */
function prune(dir: string, keep: number): void {
  const files = readdirSync(dir).filter((name) => name.startsWith('inventory-') && name.endsWith('.json'));
  if (files.length <= keep) return;
  const aged = files.map((name) => {
    try {
      return { name, at: statSync(join(dir, name)).mtimeMs };
    } catch {
      return { name, at: -1 };
    }
  }).sort((a, b) => b.at - a.at);
  for (const { name } of aged.slice(keep)) rmSync(join(dir, name), { force: true });
}
