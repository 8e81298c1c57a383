/**
 * What a push compares and writes: its content (a file, or a tree as a tar
 * stream with its manifest), what is at DEST now (read by `inspect` for trees and
 * `--check`), and whether the two are the same. The locked install itself is
 * push-remote.ts. Every path and argument reaches the remote shell as a
 * positional parameter quoted by `shellQuote`, never spliced into the script text.
 */
import { createHash } from 'node:crypto';
import { shellJoin, shellQuote } from '../core/shell.js';
import type { ExecResult, Session } from '../transport/types.js';

/** What a push writes: one file's bytes, or a directory as a tar stream plus its manifest. */
export type PushContent =
  | { kind: 'file'; data: Buffer; sha256: string }
  | { kind: 'dir'; tar: Buffer; manifest: DirManifest };

/** A directory tree as compared between here and a host: one entry per path below the top. */
export interface DirManifest {
  /** Mode of the top directory, octal text as `find -printf %m` writes it (e.g. `755`). */
  mode: string;
  entries: DirEntry[];
}

/** One entry of a directory tree: `f` file (with sha256), `d` directory, `l` symlink (with target). */
export interface DirEntry {
  type: 'f' | 'd' | 'l';
  path: string;
  mode: string;
  sha256?: string;
  link?: string;
  owner?: string;
}

/** How a push writes DEST. `mode` is octal text (`0644`), `owner` is `user[:group]`. */
export interface PushTarget {
  dest: string;
  mode?: string;
  owner?: string;
  sudo?: boolean;
}

/** What is at DEST now, as far as deciding "unchanged" needs. */
export type RemoteState =
  | { kind: 'missing' }
  | { kind: 'other'; what: string }
  | { kind: 'file'; sha256: string; mode: string; owner: string }
  | { kind: 'dir'; manifest: DirManifest };

/** What a file's DEST is when it is a directory (the job then pushes into it, as cp does). */
export const directoryWhat = 'a directory';

/** A remote step that did not work: what to tell people, and the command's output. */
export interface StepFailure {
  message: string;
  result?: ExecResult;
}

/** sha256 of a buffer, hex. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sh -c SCRIPT sh ARG…`: the script is fixed text, every variable part a quoted positional parameter. */
export function shScript(script: string, args: readonly string[]): string {
  return `sh -c ${shellQuote(script)} sh ${shellJoin(args)}`.trimEnd();
}

/** Normalizes an octal mode given by people (`0644`, `644`, `u=rw` stays as is) to find's `%m` form. */
export function normalizeMode(mode: string): string {
  return /^[0-7]{3,4}$/.test(mode) ? Number.parseInt(mode, 8).toString(8) : mode;
}

const inspectFileScript = `d=$1
if [ -d "$d" ]; then echo dir; exit 0; fi
if [ ! -e "$d" ]; then if [ -L "$d" ]; then echo 'other dangling symlink'; else echo missing; fi; exit 0; fi
if [ ! -f "$d" ]; then echo 'other not a regular file'; exit 0; fi
s=$(sha256sum < "$d") || exit 3
printf 'file %s %s\\n' "\${s%% *}" "$(stat -L -c '%a %U:%G' -- "$d")"`;

const inspectDirScript = `d=$1
if [ ! -e "$d" ] && [ ! -L "$d" ]; then echo missing; exit 0; fi
if [ -L "$d" ] || [ ! -d "$d" ]; then echo 'other not a directory'; exit 0; fi
cd -- "$d" || exit 3
echo dir
find . -printf '%y %m %u:%g %P\\t%l\\n' || exit 3
echo --
find . -type f -print0 | xargs -0 -r sha256sum || exit 3`;

/** Reads what is at DEST (a file, or a directory tree when `kind` is `dir`). */
export async function inspect(session: Session, target: PushTarget, kind: 'file' | 'dir', signal: AbortSignal): Promise<RemoteState | StepFailure> {
  const script = kind === 'file' ? inspectFileScript : inspectDirScript;
  const result = await session.exec(shScript(script, [target.dest]), { signal, sudo: target.sudo ?? false, maxOutputBytes: 64 * 1024 * 1024 });
  if (result.exitCode !== 0) return { message: `cannot read ${target.dest}`, result };
  const text = result.stdout.toString('utf8');
  const first = text.split('\n', 1)[0] ?? '';
  if (first === 'missing') return { kind: 'missing' };
  if (first.startsWith('other')) return { kind: 'other', what: first.slice(6) };
  if (first === 'dir' && kind === 'file') return { kind: 'other', what: directoryWhat };
  if (first === 'dir') return { kind: 'dir', manifest: parseRemoteManifest(text) };
  const match = /^file ([0-9a-f]{64}) (\S+) (\S+)$/.exec(first);
  if (!match) return { message: `cannot read ${target.dest}: unexpected answer ${JSON.stringify(first)}`, result };
  return { kind: 'file', sha256: match[1] ?? '', mode: match[2] ?? '', owner: match[3] ?? '' };
}

function parseRemoteManifest(text: string): DirManifest {
  const [listing = '', sums = ''] = text.split('\n--\n');
  return manifestOf(listing.split('\n').slice(1), sums.split('\n'));
}

/**
 * A folder's manifest from the host's `find` listing (`TYPE MODE OWNER PATH\tLINK`, the folder
 * itself with an empty PATH) and its `sha256sum` lines (`HASH  ./path`), sorted by path. Shared
 * by push's compare and drift's probe, which print both the same way.
 */
export function manifestOf(listing: readonly string[], sums: readonly string[]): DirManifest {
  const bySum = new Map<string, string>();
  for (const line of sums) {
    // Names with a newline or backslash come escaped and simply never match.
    if (line.length > 66) bySum.set(line.slice(66).replace(/^\.\//, ''), line.slice(0, 64));
  }
  const manifest: DirManifest = { mode: '', entries: [] };
  for (const line of listing) {
    const match = /^(\S) (\S+) (\S+) ([^\t]*)\t(.*)$/.exec(line);
    if (!match) continue;
    const [, type = '', mode = '', owner = '', path = '', link = ''] = match;
    if (path === '') {
      manifest.mode = mode;
      continue;
    }
    if (type !== 'f' && type !== 'd' && type !== 'l') {
      manifest.entries.push({ type: 'f', path, mode: `special:${type}`, owner });
      continue;
    }
    const entry: DirEntry = { type, path, mode: type === 'l' ? '' : mode, owner };
    if (type === 'f') entry.sha256 = bySum.get(path) ?? '';
    if (type === 'l') entry.link = link;
    manifest.entries.push(entry);
  }
  manifest.entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return manifest;
}

/**
 * Whether DEST already holds `content` with the wanted mode and owner: then the
 * push is `ok` and nothing is written. Mode and owner are compared only when asked for.
 */
export function isUnchanged(state: RemoteState, content: PushContent, target: PushTarget): boolean {
  const mode = target.mode === undefined ? undefined : normalizeMode(target.mode);
  if (content.kind === 'file') {
    if (state.kind !== 'file' || state.sha256 !== content.sha256) return false;
    if (mode !== undefined && state.mode !== mode) return false;
    return target.owner === undefined || ownerMatches(state.owner, target.owner);
  }
  if (state.kind !== 'dir') return false;
  return manifestKey(state.manifest, target) === manifestKey(content.manifest, target);
}

export function ownerMatches(actual: string, wanted: string): boolean {
  return wanted.includes(':') ? actual === wanted : actual.split(':')[0] === wanted;
}

/** A manifest as one comparable string; file modes become `--mode` when given, owners are checked when `--owner` is. */
function manifestKey(manifest: DirManifest, target: { mode?: string | undefined; owner?: string | undefined }): string {
  const mode = target.mode === undefined ? undefined : normalizeMode(target.mode);
  const lines = [`top ${manifest.mode}`];
  for (const entry of manifest.entries) {
    const entryMode = entry.type === 'f' && mode !== undefined ? mode : entry.mode;
    let owner = '';
    if (target.owner !== undefined && entry.owner !== undefined) owner = ownerMatches(entry.owner, target.owner) ? 'owner-ok' : 'owner-differs';
    else if (target.owner !== undefined) owner = 'owner-ok';
    lines.push(`${entry.type} ${entryMode} ${entry.path} ${entry.sha256 ?? ''} ${entry.link ?? ''} ${owner}`);
  }
  return lines.join('\n');
}

/** Reads DEST's bytes (for `--check` diffs), or a tar of it for a directory. Null when it cannot be read whole. */
export async function readRemote(session: Session, target: PushTarget, kind: 'file' | 'dir', signal: AbortSignal, maxBytes = 64 * 1024 * 1024): Promise<Buffer | null> {
  const command = kind === 'file' ? shScript('cat -- "$1"', [target.dest]) : shScript('tar -C "$1" -cf - .', [target.dest]);
  const result = await session.exec(command, { signal, sudo: target.sudo ?? false, maxOutputBytes: maxBytes });
  if (result.exitCode !== 0 || result.stdoutTruncated) return null;
  return result.stdout;
}

/** The backup suffix for a moment: UTC `YYYYmmddTHHMMSS`. */
export function backupSuffix(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}
