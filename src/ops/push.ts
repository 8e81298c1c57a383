/**
 * The remote half of a safe deploy, one step at a time over one session:
 * inspect DEST, install new content beside it and rename it into place (keeping
 * the previous version for a rollback), then commit or roll back. Every path and
 * argument reaches the remote shell as a positional parameter quoted by
 * `shellQuote`, never spliced into the script text.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
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

/** A push done and not yet committed: where the previous version waits (null: there was none). */
export interface Installed {
  kind: 'file' | 'dir';
  dest: string;
  previous: string | null;
  sudo: boolean;
}

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
  if (first === 'dir' && kind === 'file') return { kind: 'other', what: 'a directory (use -r to push directories)' };
  if (first === 'dir') return { kind: 'dir', manifest: parseRemoteManifest(text) };
  const match = /^file ([0-9a-f]{64}) (\S+) (\S+)$/.exec(first);
  if (!match) return { message: `cannot read ${target.dest}: unexpected answer ${JSON.stringify(first)}`, result };
  return { kind: 'file', sha256: match[1] ?? '', mode: match[2] ?? '', owner: match[3] ?? '' };
}

function parseRemoteManifest(text: string): DirManifest {
  const [listing = '', sums = ''] = text.split('\n--\n');
  const bySum = new Map<string, string>();
  for (const line of sums.split('\n')) {
    // `HASH  ./path`; names with a newline or backslash come escaped and simply never match.
    if (line.length > 66) bySum.set(line.slice(66).replace(/^\.\//, ''), line.slice(0, 64));
  }
  const manifest: DirManifest = { mode: '', entries: [] };
  for (const line of listing.split('\n').slice(1)) {
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

function ownerMatches(actual: string, wanted: string): boolean {
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

const installFileScript = `set -u
d=$1 dir=$2 base=$3 sum=$4 mode=$5 owner=$6
t=$(mktemp -- "$dir/.$base.muster-XXXXXX") || { echo "cannot create a temporary file in $dir" >&2; exit 10; }
fail() { rm -f -- "$t"; echo "$1" >&2; exit 11; }
cat > "$t" || fail "cannot write $t (disk full?)"
got=$(sha256sum < "$t") || fail "cannot read back $t"
[ "\${got%% *}" = "$sum" ] || fail "the written file does not match its checksum (disk full?)"
if [ -e "$d" ]; then
  chmod --reference="$d" -- "$t" 2>/dev/null || true
  chown --reference="$d" -- "$t" 2>/dev/null || true
else
  chmod "$(printf '%o' $(( 0666 & ~$(umask) )))" "$t" || true
fi
[ -z "$mode" ] || chmod -- "$mode" "$t" || fail "cannot set mode $mode"
[ -z "$owner" ] || chown -- "$owner" "$t" || fail "cannot set owner $owner"
p=
if [ -e "$d" ]; then
  p=$(mktemp -- "$dir/.$base.muster-prev-XXXXXX") || fail "cannot keep the previous $d"
  ln -f -- "$d" "$p" 2>/dev/null || cp -pf -- "$d" "$p" || { rm -f -- "$p"; fail "cannot keep the previous $d"; }
fi
mv -f -- "$t" "$d" || { [ -z "$p" ] || rm -f -- "$p"; fail "cannot rename into place"; }
printf 'prev=%s\\n' "$p"`;

const installDirScript = `set -u
d=$1 dir=$2 base=$3 mode=$4 owner=$5
t=$(mktemp -d -- "$dir/.$base.muster-XXXXXX") || { echo "cannot create a temporary directory in $dir" >&2; exit 10; }
fail() { rm -rf -- "$t"; echo "$1" >&2; exit 11; }
tar -xpf - --no-same-owner -C "$t" || fail "cannot unpack into $t (disk full?)"
[ -z "$mode" ] || find "$t" -type f -exec chmod -- "$mode" {} + || fail "cannot set mode $mode"
[ -z "$owner" ] || chown -R -- "$owner" "$t" || fail "cannot set owner $owner"
p=
if [ -e "$d" ] || [ -L "$d" ]; then
  p=$(mktemp -u -- "$dir/.$base.muster-prev-XXXXXX") && mv -T -- "$d" "$p" || fail "cannot move the previous $d aside"
fi
mv -T -- "$t" "$d" || { [ -z "$p" ] || mv -T -- "$p" "$d"; fail "cannot rename into place"; }
printf 'prev=%s\\n' "$p"`;

/**
 * Writes `content` to a temporary name beside DEST (so the rename is atomic, on the
 * same filesystem), sets mode and owner, keeps the previous version under a
 * hidden name, and renames into place. Any failure before the rename removes the
 * temporary and leaves DEST untouched (a full disk, a permission error).
 */
export async function install(session: Session, target: PushTarget, content: PushContent, signal: AbortSignal): Promise<Installed | StepFailure> {
  const dir = posix.dirname(target.dest);
  const base = posix.basename(target.dest);
  const mode = target.mode ?? '';
  const owner = target.owner ?? '';
  const command = content.kind === 'file'
    ? shScript(installFileScript, [target.dest, dir, base, content.sha256, mode, owner])
    : shScript(installDirScript, [target.dest, dir, base, mode, owner]);
  const stdin = content.kind === 'file' ? content.data : content.tar;
  const result = await session.exec(command, { stdin, signal, sudo: target.sudo ?? false });
  const match = /^prev=(.*)$/m.exec(result.stdout.toString('utf8'));
  if (result.exitCode !== 0 || !match) {
    const why = result.stderr.toString('utf8').trim().split('\n').pop() || `exit code ${String(result.exitCode)}`;
    return { message: `cannot install ${target.dest}: ${why}`, result };
  }
  return { kind: content.kind, dest: target.dest, previous: match[1] === '' ? null : (match[1] ?? null), sudo: target.sudo ?? false };
}

/** Puts the previous version back (or removes DEST if there was none). True when that worked. */
export async function rollback(session: Session, installed: Installed, signal?: AbortSignal): Promise<boolean> {
  const script = installed.kind === 'file'
    ? 'if [ -n "$2" ]; then mv -f -- "$2" "$1"; else rm -f -- "$1"; fi'
    : 'rm -rf -- "$1" && { [ -z "$2" ] || mv -T -- "$2" "$1"; }';
  const result = await session.exec(shScript(script, [installed.dest, installed.previous ?? '']), { sudo: installed.sudo, ...(signal ? { signal } : {}) });
  return result.exitCode === 0;
}

/**
 * Makes a push final: drops the kept previous version, or with `backupSuffix`
 * keeps it as `DEST.muster-SUFFIX` (e.g. `DEST.muster-20261123T213000`).
 */
export async function commit(session: Session, installed: Installed, backupSuffix: string | undefined, signal: AbortSignal): Promise<boolean> {
  if (installed.previous === null) return true;
  const keep = backupSuffix === undefined ? '' : `${installed.dest}.muster-${backupSuffix}`;
  const script = installed.kind === 'file'
    ? 'if [ -n "$2" ]; then mv -f -- "$1" "$2"; else rm -f -- "$1"; fi'
    : 'if [ -n "$2" ]; then rm -rf -- "$2" && mv -T -- "$1" "$2"; else rm -rf -- "$1"; fi';
  const result = await session.exec(shScript(script, [installed.previous, keep]), { signal, sudo: installed.sudo });
  return result.exitCode === 0;
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
